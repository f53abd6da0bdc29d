#!/usr/bin/env bash
# timeout: 120
# tg-controld never blocks its loop on a request that waits on the network:
# `test trunk` against a dead SBC (something takes the OPTIONS on port 5060
# and never answers — a hung SBC: no ICMP, no response) waits out the
# trunk's 30 s OPTIONS timeout, while the console keeps answering — `show
# uplinks` on one connection, many times, each in under 100 ms (the max is
# printed) — and periodic probing and the alarm side go on (trunk_down is
# raised meanwhile). Without the fast path; tg-controld in an uplink
# namespace, the SBC address behind it (lib/sbc_pair.sh).
set -euo pipefail
P=tgnb$$
NC=${P}c            # uplink side: tg-controld
NS=${P}s            # carrier side: the dead SBC
UPLINK=198.51.100.2 PEER=198.51.100.1 SBC=203.0.113.10
. "$(dirname "$0")/lib/sbc_pair.sh"
need_cmd jq
need_bin tg-controld tg-cli
controld=$bin/tg-controld
cli=$bin/tg-cli
temp_dir run tgcd-noblock
chmod 755 "$run"
daemon_pid= sink_pid= test_pid=
fail_details() { echo "--- tg-controld log"; tail -n 40 "$run/daemon.log" 2>/dev/null || true; }

sbc_pair_up "$SBC"
# The dead SBC: takes every datagram on 5060 and answers none (a bound
# socket, so no ICMP port-unreachable ends the probe early). Bounded.
ip netns exec "$NS" timeout 110 "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5060))
while True:
    s.recv(65535)
' "$SBC" &
sink_pid=$!
cleanup_pid "$sink_pid"
sink_bound() { ip netns exec "$NS" ss -Hlun "src $SBC:5060" | grep -q .; }
end=$((SECONDS + 10))
until sink_bound; do
  ((SECONDS < end)) || fail "the dead SBC's socket is not bound"
  kill -0 "$sink_pid" 2>/dev/null || fail "the dead SBC exited"
  sleep 0.1
done
ok "dead SBC bound on $SBC:5060 (takes OPTIONS, answers none)"

cfg=$run/tg.conf
{ sbc_pair_conf_head tg-noblock-test "$UPLINK" "$SBC"; cat <<EOF
[alarm.email]
enabled = false

[trunk.carrierA]
sbc_address = $SBC
sbc_port = 5060
options_interval_ms = 31000
options_timeout_ms = 30000
down_after = 1
up_after = 1
uplinks = wan0
EOF
} >"$cfg"
"$controld" --config "$cfg" --check >/dev/null || fail "the test's config does not pass --check"
ip netns exec "$NC" "$controld" --config "$cfg" --log stderr --shm-prefix "/tgnb$$" --board "$run/no-board" \
  >"$run/daemon.log" 2>&1 &
daemon_pid=$!
cleanup_pid "$daemon_pid"
wait_for 10 "management socket" test -S "$run/mgmt.sock"
wait_for 10 "OPTIONS agent bound on wan0" grep -q "OPTIONS probing over wan0 from $UPLINK" "$run/daemon.log"

# `test trunk` in the background: it owes its answer for the whole timeout.
start=$(date +%s.%N)
"$cli" --socket "$run/mgmt.sock" --json -c "test trunk carrierA" >"$run/test.json" 2>"$run/test.err" &
test_pid=$!
cleanup_pid "$test_pid"
sleep 0.3
kill -0 "$test_pid" 2>/dev/null || fail "test trunk ended at once: $(cat "$run/test.json" "$run/test.err")"

# Meanwhile: `show uplinks` on one connection, every 50 ms, until the test
# has answered (at least 29 s); each answer timed. Bounded to 40 s.
"$PY" - "$run/mgmt.sock" "$test_pid" >"$run/latency.txt" <<'PY'
import json, os, socket, sys, time
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.settimeout(5)
sock.connect(sys.argv[1])
f = sock.makefile("rw", encoding="utf-8", newline="\n")
pid = int(sys.argv[2])
def alive(p):
    try:
        os.kill(p, 0)
        return True
    except OSError:
        return False
times, bad, t_start = [], 0, time.monotonic()
t_end = t_start + 40
n = 0
while alive(pid) and time.monotonic() < t_end:
    n += 1
    t0 = time.monotonic()
    f.write(json.dumps({"v": 1, "id": n, "cmd": "show.uplinks", "args": {}}) + "\n")
    f.flush()
    r = json.loads(f.readline())
    times.append((time.monotonic() - t0) * 1000)
    if times[-1] >= 50:
        print(f"slow answer {times[-1]:.1f} ms at {t0 - t_start:.1f} s", file=sys.stderr)
    if not r.get("ok") or r.get("id") != n or r["result"]["uplinks"][0]["name"] != "wan0":
        bad += 1
    time.sleep(0.05)
times.sort()
print(f"{len(times)} {bad} {max(times):.1f} {times[len(times) // 2]:.1f} {times[int(len(times) * 0.99)]:.1f}")
PY
wait "$test_pid" || fail "tg-cli test trunk exited with $?: $(cat "$run/test.err")"
test_pid=
held=$(echo "$(date +%s.%N) - $start" | bc)
read -r count bad max p50 p99 <"$run/latency.txt"
echo "test trunk held ${held} s; show uplinks answered $count times: max ${max} ms, p50 ${p50} ms, p99 ${p99} ms"
((bad == 0)) || fail "$bad of $count show uplinks answers were wrong"
((count >= 200)) || fail "only $count show uplinks answers in ${held} s"
awk -v m="$max" 'BEGIN { exit !(m < 100) }' || fail "show uplinks took up to ${max} ms while test trunk waited"
awk -v h="$held" 'BEGIN { exit !(h >= 29.5 && h < 35) }' || fail "test trunk answered after ${held} s, not the 30 s timeout"
jq -e '.trunk == "carrierA" and (.answers | length) == 1 and .answers[0].uplink == "wan0"
       and .answers[0].outcome == "timeout"' "$run/test.json" >/dev/null ||
  fail "test trunk result: $(cat "$run/test.json")"
ok "test trunk: no answer within the 30 s timeout, said so"

# The rest of the daemon ran meanwhile: periodic probes decided the trunk
# down (down_after 1, its first probe timed out) and raised the alarm.
cli() { "$cli" --socket "$run/mgmt.sock" --json -c "$1" | jq -c 'if type == "object" and has("result") then .result else . end'; }
trunk_down() { cli "show alarms" | jq -e 'map(select(.type == "trunk_down" and .object == "carrierA")) | length == 1' >/dev/null; }
wait_for 5 "trunk_down raised by the periodic probe (sent at start, timed out after 30 s)" trunk_down

kill "$daemon_pid"
wait "$daemon_pid" || fail "tg-controld exited with $?"
daemon_pid=
echo "PASS"
