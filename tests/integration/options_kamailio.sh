#!/usr/bin/env bash
# timeout: 120
# SIP OPTIONS trunk probing against a real kamailio as the carrier SBC, in two
# network namespaces (uplink side / carrier side): tg-probe sees the trunk
# up, then the SBC answering 503 (down), back to 200 (up), kamailio stopped
# (no answer: down), restarted (up). Asserts on tg-probe's JSON lines.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-build}
[[ $build = /* ]] || build=$top/$build
probe_bin=$build/bin/tg-probe
cfg=$top/board/virtual/kamailio.cfg

[ "$(id -u)" = 0 ] || { echo "needs root for network namespaces"; exit 77; }
command -v kamailio >/dev/null && command -v kamcmd >/dev/null || { echo "kamailio not installed"; exit 77; }
[ -x "$probe_bin" ] || { echo "FAIL: $probe_bin not built"; exit 1; }

P=tgca$$
NC=${P}c            # uplink side: where tg-probe runs
NS=${P}s            # carrier side: the SBC
UPLINK=198.51.100.2 PEER=198.51.100.1 SBC=203.0.113.10
run=$(mktemp -d /tmp/tgca-options.XXXXXX)
kam_pid= probe_pid=

stop_pid() {  # TERM, then KILL if it lingers; waits for it either way
  local pid=$1 deadline=$((SECONDS + 5))
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS < deadline)) || { kill -KILL "$pid" 2>/dev/null || true; break; }
    sleep 0.05
  done
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  stop_pid "$probe_pid"
  stop_pid "$kam_pid"
  ip netns del "$NC" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  if [ "$rc" -ne 0 ]; then
    echo "--- tg-probe output"; tail -n 30 "$run/probe.jsonl" 2>/dev/null || true
    echo "--- kamailio log"; tail -n 20 "$run/kamailio.log" 2>/dev/null || true
  fi
  [ -n "${KEEP_RUN:-}" ] && echo "kept $run" || rm -rf "$run"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

ip netns add "$NC"
ip netns add "$NS"
ip link add "${P}a" netns "$NC" type veth peer name "${P}b" netns "$NS"
ip -n "$NC" link set lo up
ip -n "$NS" link set lo up
ip -n "$NC" addr add "$UPLINK/28" dev "${P}a"
ip -n "$NS" addr add "$PEER/28" dev "${P}b"
ip -n "$NS" addr add "$SBC/32" dev lo
ip -n "$NC" link set "${P}a" up
ip -n "$NS" link set "${P}b" up
ip -n "$NC" route add 203.0.113.0/24 via "$PEER"

ctl=$run/kamailio.ctl
start_sbc() {
  rm -f "$ctl"
  ip netns exec "$NS" kamailio -DD -E -f "$cfg" -l "udp:$SBC:5060" -Y "$run" -m 32 -M 8 \
    -A "FAR_URI=\"sip:203.0.113.20:5060\"" -A "CTL_SOCKET=\"unix:$ctl\"" >>"$run/kamailio.log" 2>&1 &
  kam_pid=$!
  local deadline=$((SECONDS + 15))
  until [ -S "$ctl" ] && kamcmd -s "unix:$ctl" core.version >/dev/null 2>&1; do
    kill -0 "$kam_pid" 2>/dev/null || fail "kamailio exited at start"
    ((SECONDS < deadline)) || fail "kamailio control socket not up"
    sleep 0.05
  done
}
sbc_reply() { kamcmd -s "unix:$ctl" pv.shvSet reply_code int "$1" >/dev/null; }

start_sbc
echo "kamailio up on $SBC:5060 (pid $kam_pid)"

ip netns exec "$NC" "$probe_bin" --bind "$UPLINK" --target "sip:$SBC:5060" --name carrierA \
  --count 0 --duration-s 100 --interval-ms 200 --timeout-ms 400 --down-after 3 --up-after 2 \
  >"$run/probe.jsonl" 2>"$run/probe.err" &
probe_pid=$!

# Waits until a JSON line after line $from matches the Python condition on
# `j`; prints that line's number. Polls against a deadline.
expect() {
  local from=$1 cond=$2 what=$3 secs=${4:-15} deadline n
  deadline=$((SECONDS + secs))
  while ((SECONDS < deadline)); do
    kill -0 "$probe_pid" 2>/dev/null || fail "tg-probe exited while waiting for: $what"
    if n=$(python3 - "$run/probe.jsonl" "$from" "$cond" <<'EOF'
import json, sys
path, start, cond = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(path) as f:
    lines = f.read().split("\n")
for i, text in enumerate(lines[:-1], 1):   # the last piece may be a partial line
    if i <= start:
        continue
    j = json.loads(text)
    if eval(cond, {}, {"j": j}):
        print(i)
        sys.exit(0)
sys.exit(1)
EOF
    ); then
      echo "ok: $what (line $n)" >&2
      echo "$n"
      return 0
    fi
    sleep 0.1
  done
  fail "timed out waiting for: $what"
}

lines() { wc -l <"$run/probe.jsonl"; }

# 1. the SBC answers 200: the trunk comes up after up_after successes.
n=$(expect 0 'j["transition"] and j["transition"]["to"] == "up" and j["status"] == 200' "trunk up")
python3 - "$run/probe.jsonl" <<'EOF' || fail "first answers are not plain 200 OK with a sane RTT"
import json, sys
js = [json.loads(l) for l in open(sys.argv[1]) if l.endswith("\n")][:2]
assert all(j["outcome"] == "ok" and j["reason"] == "OK" and 0 < j["rtt_ms"] < 400 for j in js), js
assert js[0]["state"] == "unknown" and js[0]["local"].startswith("sip:198.51.100.2:"), js[0]
EOF

# 2. the SBC answers 503 (+ Retry-After: an overload): down after 3 failures.
sbc_reply 503
m=$(expect "$n" 'j["status"] == 503 and j["outcome"] == "overloaded"' "503 seen")
n=$(expect "$m" 'j["transition"] and j["transition"]["to"] == "down" and j["transition"]["cause"] == "overloaded"' "down on 503")
python3 - "$run/probe.jsonl" "$m" "$n" <<'EOF' || fail "down before down_after consecutive failures"
import json, sys
ls = [json.loads(l) for l in open(sys.argv[1]) if l.endswith("\n")]
first, down = int(sys.argv[2]), int(sys.argv[3])
assert down - first + 1 == 3, (first, down)
assert ls[down - 1]["failures"] == 3 and ls[down - 1]["usable"] is False
EOF

# 3. back to 200: up again after 2 successes.
sbc_reply 200
n=$(expect "$n" 'j["transition"] and j["transition"]["to"] == "up" and j["transition"]["from"] == "recovering"' "up after 503 cleared")

# 4. kamailio stopped: no answer (timeout, or ICMP port unreachable): down.
stop_pid "$kam_pid"
kam_pid=
m=$(expect "$n" 'j["outcome"] in ("timeout", "unreachable") and j["status"] == 0' "no answer from a stopped SBC")
n=$(expect "$m" 'j["transition"] and j["transition"]["to"] == "down" and j["transition"]["cause"] in ("timeout", "unreachable")' "down with SBC stopped")
cause=$(sed -n "${n}p" "$run/probe.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["transition"]["cause"])')
echo "SBC stopped: down by $cause"

# 5. kamailio restarted: up again.
start_sbc
n=$(expect "$n" 'j["transition"] and j["transition"]["to"] == "up"' "up after restart" 20)

# tg-probe stops cleanly on TERM.
kill "$probe_pid"
wait "$probe_pid" || fail "tg-probe exited with $?"
probe_pid=
echo "PASS: $(lines) probes"
