#!/usr/bin/env bash
# timeout: 240
# tg-analyze agrees with Wireshark on hand-made RTP edge cases: for each
# tg-pcapgen case (sequence wrap, SSRC change, timestamp jumps, marker bit
# with comfort noise, duplicates, reordering, late packets, loss bursts, and
# many concurrent calls with G.711/G.729/Opus), per RTP stream,
# `tg-analyze --json` must match `tshark -q -z rtp,streams`: packets and lost
# exactly, max and mean jitter within 0.1 ms or 2 %.
# Each case's edge stream (198.51.100.10:20000 -> 203.0.113.20:40000) must
# also still show the figures tshark 4.0.17 gave when the case was written,
# so a generator change that loses the edge case fails here too.
#   KEEP=DIR   keep the captures and the outputs in DIR
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-build}
[[ $build = /* ]] || build=$top/$build
pcapgen=$build/bin/tg-pcapgen analyze=$build/bin/tg-analyze
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
for t in tshark python3; do command -v $t >/dev/null || skip "$t missing"; done
for b in "$pcapgen" "$analyze"; do [ -x "$b" ] || fail "$b missing: run make first"; done

work=$(mktemp -d /tmp/tgrtedge.XXXX)
cleanup() {
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp -r "$work"/. "$KEEP"/; fi
  rm -rf "$work"
}
trap cleanup EXIT

# case  streams  edge-stream "packets lost" as tshark 4.0.17 reported them
# (ssrc-change: the first SSRC's stream; the second also has 250 / 0, and a
# stray third SSRC sends one packet).
cases="seqwrap:2:498:2 ssrc-change:4:250:0 ts-jump:2:450:0 marker:2:505:0 duplicates:2:522:-22
reorder:2:500:0 late:2:500:-2 loss-burst:2:479:21 multi-stream:40:-:-"

failed=0
for spec in $cases; do
  IFS=: read -r name streams edge_pkts edge_lost <<<"$spec"
  cap=$work/$name.pcap
  args=(--case "$name" -o "$cap")
  [ "$name" = multi-stream ] && args+=(--calls 20 --seconds 12 --seed 7)
  "$pcapgen" "${args[@]}" 2>"$work/$name.pcapgen.log" || fail "tg-pcapgen --case $name failed"
  tshark -q -o rtp.heuristic_rtp:FALSE -z rtp,streams -r "$cap" >"$work/$name.tshark.txt" 2>/dev/null \
    || fail "tshark failed on $name"
  "$analyze" --json "$cap" >"$work/$name.json" || fail "tg-analyze failed on $name"
  echo "== $name"
  if ! python3 - "$work/$name.tshark.txt" "$work/$name.json" "$streams" "$edge_pkts" "$edge_lost" <<'PY'
import json, re, sys
rtp_txt, ours_path, want_streams, edge_pkts, edge_lost = sys.argv[1:6]
ours = json.load(open(ours_path))
bad = []
# tshark 4.0 rtp,streams rows:
# start end src sport dst dport SSRC payload pkts lost (pct) mind meand maxd minj meanj maxj [X]
row = re.compile(r"^\s*[\d.]+\s+[\d.]+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(0x[0-9A-Fa-f]+)\s+(.+?)\s+"
                 r"(\d+)\s+(-?\d+)\s+\(\s*-?[\d.]+%\)\s+-?[\d.]+\s+-?[\d.]+\s+(-?[\d.]+)\s+-?[\d.]+\s+(-?[\d.]+)\s+(-?[\d.]+)")
# (min delta and min jitter print as -1.000 for a one-packet stream)
theirs = {}
for line in open(rtp_txt):
    m = row.match(line)
    if m:
        key = (f"{m.group(1)}:{m.group(2)}", f"{m.group(3)}:{m.group(4)}", int(m.group(5), 16))
        theirs[key] = {"packets": int(m.group(7)), "lost": int(m.group(8)),
                       "mean_jitter_ms": float(m.group(10)), "max_jitter_ms": float(m.group(11))}
mine = {(s["src"], s["dst"], int(s["ssrc"], 16)): s for s in ours["streams"]}
if len(theirs) != int(want_streams):
    bad.append(f"tshark found {len(theirs)} RTP streams, the case has {want_streams}")
if set(theirs) != set(mine):
    bad.append(f"stream sets differ: only tshark {sorted(set(theirs) - set(mine))}, "
               f"only tg-analyze {sorted(set(mine) - set(theirs))}")
def close(a, b):
    return abs(a - b) <= max(0.1, 0.02 * abs(b))
for key in sorted(set(theirs) & set(mine)):
    t, o = theirs[key], mine[key]
    name = f"{key[0]} -> {key[1]} ssrc 0x{key[2]:08x}"
    print(f"  {name}: packets {o['packets']}/{t['packets']} lost {o['lost']}/{t['lost']} "
          f"max jitter {o['max_jitter_ms']:.3f}/{t['max_jitter_ms']:.3f} "
          f"mean jitter {o['mean_jitter_ms']:.3f}/{t['mean_jitter_ms']:.3f} (tg-analyze/tshark)")
    for f in ("packets", "lost"):
        if o[f] != t[f]:
            bad.append(f"{name}: {f} {o[f]} vs tshark {t[f]}")
    for f in ("max_jitter_ms", "mean_jitter_ms"):
        if not close(o[f], t[f]):
            bad.append(f"{name}: {f} {o[f]} vs tshark {t[f]}")
if edge_pkts != "-":
    edge = theirs.get(("198.51.100.10:20000", "203.0.113.20:40000", 0x1234ABCD))
    if not edge:
        bad.append("edge stream 0x1234abcd missing from tshark's output")
    elif (edge["packets"], edge["lost"]) != (int(edge_pkts), int(edge_lost)):
        bad.append(f"edge stream is now {edge['packets']} packets / {edge['lost']} lost in tshark, "
                   f"the case was written for {edge_pkts} / {edge_lost}")
for b in bad:
    print("  FAIL:", b)
sys.exit(1 if bad else 0)
PY
  then
    failed=$((failed + 1))
  fi
done
[ "$failed" -eq 0 ] || fail "$failed case(s) disagree with tshark"
echo "tg-analyze agrees with tshark on every edge case"
