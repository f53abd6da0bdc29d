#!/usr/bin/env bash
# timeout: 90
# tg-analyze as a user meets it: usage errors (exit 2), unreadable, empty and
# garbage files (exit 1, the message names the file), a capture cut short
# (exit 3, report of what was read), malformed frames counted in
# summary.malformed, pcap and pcapng giving the same report, the JSON shape
# (issue 2's names and types), the text report, and a live capture on a veth
# inside a namespace while tg-callgen places a call.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
need_bin tg-analyze tg-callgen
analyze=$bin/tg-analyze callgen=$bin/tg-callgen
data=$top/tests/data/callgen_impaired.pcap
py=$PY

P=tganc$$
temp_dir work "$P"

# run EXPECTED_RC ARGS...: stdout in $work/out, stderr in $work/err
run() {
  local want=$1 rc=0; shift
  "$analyze" "$@" >"$work/out" 2>"$work/err" || rc=$?
  [ "$rc" = "$want" ] || fail "tg-analyze $* exited $rc, expected $want; stderr: $(cat "$work/err")"
}
err_names() { grep -qF -- "$1" "$work/err" || fail "error message does not name '$1': $(cat "$work/err")"; }

# Usage.
run 2
run 2 "$data" --interface lo --duration 1
run 2 --interface lo
run 2 --interface lo --duration 0
run 2 "$data" --duration 3
run 2 --bogus "$data"
run 0 --help
grep -q -- "--interface" "$work/out" || fail "--help does not mention --interface"

# Unreadable inputs.
run 1 "$work/missing.pcap"; err_names "$work/missing.pcap"
: >"$work/empty.pcap"
run 1 "$work/empty.pcap"; err_names "$work/empty.pcap"
head -c 4000 /dev/urandom >"$work/garbage.pcap"
printf 'this is not a capture\n%.0s' {1..50} >"$work/text.pcapng"
run 1 "$work/garbage.pcap"; err_names "$work/garbage.pcap"
run 1 "$work/text.pcapng"; err_names "$work/text.pcapng"
mkdir "$work/dir.pcap"
run 1 "$work/dir.pcap"; err_names "$work/dir.pcap"
run 1 --interface "nosuch$P" --duration 1; err_names "nosuch$P"
[ -s "$work/out" ] && fail "a report was written for an unreadable input"

# The JSON shape: issue 2's names with their types, summary consistent.
check_json() {  # file [expect_streams_min]
  "$py" - "$1" "${2:-1}" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
need_streams = int(sys.argv[2])
def check(obj, spec, where):
    for k, types in spec.items():
        assert k in obj, f"{where}: missing {k}"
        assert isinstance(obj[k], types), f"{where}.{k}: {type(obj[k]).__name__} {obj[k]!r}"
num = (int, float)
stream_spec = {"ssrc": str, "src": str, "dst": str, "payload_type": int, "codec": str, "packets": int,
               "lost": int, "lost_pct": num, "duplicates": int, "reordered": int, "max_delta_ms": num,
               "max_jitter_ms": num, "mean_jitter_ms": num, "mos": num + (type(None),),
               "r_factor": num + (type(None),), "call_id": (str, type(None))}
call_spec = {"call_id": str, "from": str, "to": str, "state": str, "final_code": (int, type(None)),
             "pdd_ms": num + (type(None),), "duration_s": num + (type(None),),
             "transfer": (dict, str, type(None)), "streams": list}
check(doc, {"streams": list, "calls": list, "summary": dict}, "top")
check(doc["summary"], {"packets": int, "malformed": int, "calls": int, "streams": int}, "summary")
for i, s in enumerate(doc["streams"]):
    check(s, stream_spec, f"streams[{i}]")
    assert s["ssrc"].startswith("0x") and len(s["ssrc"]) == 10, s["ssrc"]
for i, c in enumerate(doc["calls"]):
    check(c, call_spec, f"calls[{i}]")
    for x in c["streams"]:
        assert any(s["ssrc"] == x for s in doc["streams"]), f"call {c['call_id']} names unknown stream {x}"
assert doc["summary"]["streams"] == len(doc["streams"]), "summary.streams"
assert doc["summary"]["calls"] == len(doc["calls"]), "summary.calls"
assert len(doc["streams"]) >= need_streams, f"only {len(doc['streams'])} streams"
print(f"json ok: {len(doc['streams'])} streams, {len(doc['calls'])} calls, {doc['summary']['packets']} packets")
PY
}
run 0 --json "$data"
cp "$work/out" "$work/pcap.json"
check_json "$work/pcap.json" 8 || fail "JSON shape"
frames=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["packets"])' "$work/pcap.json")
want=$(capinfos -Mc "$data" | sed -nE 's/^Number of packets: *([0-9]+).*/\1/p')
[ "$frames" = "$want" ] || fail "summary.packets $frames, capinfos says $want"
"$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["summary"]["malformed"] != 0)' \
  "$work/pcap.json" || fail "clean capture reported malformed frames"

# pcapng: same report.
editcap -F pcapng "$data" "$work/same.pcapng"
run 0 --json "$work/same.pcapng"
"$py" - "$work/pcap.json" "$work/out" <<'PY' || fail "pcap and pcapng reports differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for d in (a, b):
    d["summary"].pop("source", None)
assert a == b, "reports differ"
PY

# Text report for people.
run 0 "$data"
grep -q "^RTP streams: " "$work/out" || fail "text report has no stream section: $(head "$work/out")"
grep -q "^Summary: " "$work/out" || fail "text report has no summary"
grep -q "^Calls: " "$work/out" || fail "text report has no call section"

# Malformed frames are counted, not fatal: the capture plus a frame whose
# IPv4 header is cut and one whose UDP length lies.
"$py" - "$data" "$work/bad.pcap" <<'PY'
import struct, sys
src, dst = sys.argv[1:3]
raw = open(src, "rb").read()
hdr, body = raw[:24], raw[24:]
magic = struct.unpack("<I", hdr[:4])[0]
assert magic in (0xa1b2c3d4, 0xa1b23c4d), hex(magic)
eth = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00"
cut_ip = eth + bytes([0x45, 0, 0, 60, 0, 0, 0, 0, 64, 17])  # 10 of 20 header bytes
ip = bytes([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2])
bad_udp = eth + ip + struct.pack(">HHHH", 4000, 4002, 200, 0)  # UDP says 200 bytes, has 8
def rec(frame, sec):
    return struct.pack("<IIII", sec, 0, len(frame), len(frame)) + frame
open(dst, "wb").write(hdr + body + rec(cut_ip, 2000000000) + rec(bad_udp, 2000000001))
PY
run 0 --json "$work/bad.pcap"
"$py" - "$work/out" <<'PY' || fail "malformed frames not counted"
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
assert s["malformed"] == 2, s
assert sum(s["packet_errors"].values()) == 2, s["packet_errors"]
PY

# A capture cut in the middle of a record: exit 3, a valid report of what was
# read, and the message names the file.
size=$(stat -c %s "$data")
head -c $((size - 100)) "$data" >"$work/cut.pcap"
run 3 --json "$work/cut.pcap"; err_names "$work/cut.pcap"
"$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not d["summary"]["read_error"])' \
  "$work/out" || fail "cut capture: report does not say it was cut"

# Live capture: tg-analyze on a veth in a namespace while tg-callgen calls.
# The offline part above passed; the live part needs namespaces.
need_root
A=${P}a B=${P}b
netns_add "$A" "$B"
ip link add va netns "$A" type veth peer name vb netns "$B"
ip -n "$A" addr add 203.0.113.1/24 dev va
ip -n "$B" addr add 203.0.113.2/24 dev vb
ip -n "$A" link set va up
ip -n "$B" link set vb up
ip netns exec "$B" "$analyze" --json --interface vb --duration 6 >"$work/live.json" 2>"$work/live.err" &
live=$!
cleanup_pid "$live"
# tg-analyze is capturing once its packet socket exists in the namespace.
capturing() { [ "$(ip netns exec "$B" cat /proc/net/packet | wc -l)" -gt 1 ]; }
wait_until 10 capturing || fail "live tg-analyze did not open vb: $(cat "$work/live.err")"
ip netns exec "$B" "$callgen" --mode uas --local 203.0.113.2:5060 --calls 1 --max-time 20 --summary /dev/null &
cleanup_pid $!
wait_for 10 "the UAS binds :5060" eval 'ip netns exec "$B" ss -Hnlu "sport = :5060" | grep -q .'
ip netns exec "$A" "$callgen" --mode uac --local 203.0.113.1:5060 --remote 203.0.113.2:5060 --calls 1 \
  --duration 2 --max-time 20 --summary /dev/null || fail "call failed"
wait "$live" || fail "live tg-analyze failed: $(cat "$work/live.err")"
check_json "$work/live.json" 2 || fail "live JSON"
"$py" - "$work/live.json" <<'PY' || fail "live capture did not see the call"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["summary"]["live"] is True
assert len(d["calls"]) == 1 and d["calls"][0]["final_code"] == 200, d["calls"]
assert all(s["packets"] >= 90 for s in d["streams"]), [s["packets"] for s in d["streams"]]
PY
echo "tg-analyze CLI: all behave"
