#!/usr/bin/env bash
# timeout: 120
# SIP OPTIONS trunk probing against a real kamailio as the carrier SBC, in two
# network namespaces (uplink side / carrier side): tg-probe sees the trunk
# up, then the SBC answering 503 (down), back to 200 (up), kamailio stopped
# (no answer: down), restarted (up), its address blackholed (timeout: down),
# restored (up). Asserts on tg-probe's JSON lines.
set -euo pipefail
P=tgca$$
NC=${P}c            # uplink side: where tg-probe runs
NS=${P}s            # carrier side: the SBC
UPLINK=198.51.100.2 PEER=198.51.100.1 SBC=203.0.113.10
. "$(dirname "$0")/lib/sbc_pair.sh"
need_bin tg-probe
probe_bin=$bin/tg-probe
temp_dir run tgca-options
kam_pid= probe_pid=
fail_details() {
  echo "--- tg-probe output"; tail -n 30 "$run/probe.jsonl" 2>/dev/null
  echo "--- kamailio log"; tail -n 20 "$run/kamailio.log" 2>/dev/null
  return 0
}

sbc_pair_up "$SBC"

ctl=$run/kamailio.ctl
start_sbc() {
  start_kamailio "$SBC" "$run"
  kam_pid=$kam_started
}
sbc_reply() { kamcmd -s "unix:$ctl" pv.shvSet reply_code int "$1" >/dev/null; }

start_sbc
echo "kamailio up on $SBC:5060 (pid $kam_pid)"

ip netns exec "$NC" "$probe_bin" --bind "$UPLINK" --target "sip:$SBC:5060" --name carrierA \
  --count 0 --duration-s 110 --interval-ms 200 --timeout-ms 400 --down-after 3 --up-after 2 \
  >"$run/probe.jsonl" 2>"$run/probe.err" &
probe_pid=$!
cleanup_pid "$probe_pid"

# Waits until a line after line $from matches the extended regex $re (on
# tg-probe's JSON, whose keys come in a fixed order); prints its number.
# Polls against a deadline, failing early if tg-probe died. (awk, not a
# JSON parser per poll: cheap on a loaded machine; every line is parsed as
# JSON once at the end.)
expect() {
  local from=$1 re=$2 what=$3 secs=${4:-15} deadline n
  deadline=$((SECONDS + secs))
  while ((SECONDS < deadline)); do
    n=$(awk -v from="$from" -v re="$re" 'NR > from && $0 ~ re { print NR; exit }' "$run/probe.jsonl")
    if [ -n "$n" ]; then
      echo "ok: $what (line $n)" >&2
      echo "$n"
      return 0
    fi
    kill -0 "$probe_pid" 2>/dev/null || fail "tg-probe exited while waiting for: $what"
    sleep 0.05
  done
  fail "timed out waiting for: $what"
}
to() { echo '"transition":[{]"from":"[a-z]+","to":"'"$1"'"'; }


# 1. the SBC answers 200: the trunk comes up after up_after successes.
n=$(expect 0 '"status":200,.*'"$(to up)" "trunk up")
first_up=$n

# 2. the SBC answers 503 (+ Retry-After: an overload): down after 3 failures.
sbc_reply 503
m=$(expect "$n" '"outcome":"overloaded","status":503,' "503 seen")
n=$(expect "$m" "$(to down)"',"cause":"overloaded"' "down on 503")
first_503=$m down_503=$n

# 3. back to 200: up again after 2 successes.
sbc_reply 200
n=$(expect "$n" '"transition":[{]"from":"recovering","to":"up"' "up after 503 cleared")

# 4. kamailio stopped: no answer (timeout, or ICMP port unreachable): down.
stop_pid "$kam_pid"
kam_pid=
m=$(expect "$n" '"outcome":"(timeout|unreachable)","status":0,' "no answer from a stopped SBC")
n=$(expect "$m" "$(to down)"',"cause":"(timeout|unreachable)"' "down with SBC stopped")
echo "SBC stopped: $(sed -n "${n}p" "$run/probe.jsonl" | grep -Eo '"cause":"[a-z]+"')"

# 5. kamailio restarted: up again.
start_sbc
n=$(expect "$n" "$(to up)" "up after restart" 20)

# 6. the SBC's address silently gone (a blackhole: no ICMP either): only our
#    short timeout can tell, within timeout x down_after, not Timer F's 32 s.
ip -n "$NS" addr del "$SBC/32" dev lo
m=$(expect "$n" '"outcome":"timeout","status":0,"reason":"no response","rtt_ms":(399|4[0-9][0-9]|[5-9][0-9][0-9])[.]' "probe timeout at 400 ms")
n=$(expect "$m" "$(to down)"',"cause":"timeout"' "down by timeout")
ip -n "$NS" addr add "$SBC/32" dev lo
n=$(expect "$n" "$(to up)" "up after the blackhole" 20)

# tg-probe stops cleanly on TERM.
kill "$probe_pid"
wait "$probe_pid" || fail "tg-probe exited with $?"
probe_pid=

# Every line is JSON with the fields the daemon and the NOC rely on, and the
# thresholds held: up on the 2nd 200, down on exactly the 3rd 503.
python3 - "$run/probe.jsonl" "$first_up" "$first_503" "$down_503" <<'EOF' || fail "JSON checks"
import json, sys
ls = [json.loads(l) for l in open(sys.argv[1])]
up, f503, d503 = (int(x) for x in sys.argv[2:5])
keys = {"trunk", "target", "local", "seq", "t_ms", "outcome", "status", "reason", "rtt_ms", "state",
        "usable", "failures", "successes", "transition"}
assert all(keys <= set(j) for j in ls), "missing keys"
assert [j["seq"] for j in ls] == list(range(1, len(ls) + 1)), "seq not 1..N"
assert up == 2 and ls[0]["state"] == "unknown" and ls[1]["state"] == "up", (up, ls[:2])
assert all(j["outcome"] == "ok" and j["reason"] == "OK" and 0 < j["rtt_ms"] < 400 for j in ls[:2]), ls[:2]
assert ls[0]["local"].startswith("sip:198.51.100.2:"), ls[0]["local"]
assert d503 - f503 + 1 == 3 and ls[d503 - 1]["failures"] == 3 and ls[d503 - 1]["usable"] is False
print("%d probe lines checked" % len(ls))
EOF
echo "PASS"
