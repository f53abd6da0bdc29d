#!/usr/bin/env bash
# timeout: 60
# tg-callgen's BYE gives up in time: the far end answers a call, then goes
# away (its 200 to our BYE lost, or the process gone). RFC 3261 15.1.1: the
# session ends when the BYE is sent; the UAC retransmits it for 4 s, then
# counts the call completed and exits — not after Timer B's 32 s, which made
# a test's call generator overrun its --max-time under 3 % loss. Loopback
# of a namespace of its own.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
need_root
need_bin tg-callgen
gen=$bin/tg-callgen
NS=tgcb$$
temp_dir run tgcb
uas= uac=
fail_details() { tail -n 5 "$run"/*.log 2>/dev/null; return 0; }
# wait_bound ADDR:PORT WHO: a UDP socket of WHO bound there, within 5 s.
wait_bound() {
  local addr=$1
  wait_for 5 "$2 binds $addr" eval 'ip netns exec "$NS" ss -Huna | grep -q "$addr "'
}
netns_add "$NS"

ip netns exec "$NS" "$gen" --mode uas --local 127.0.0.1:5060 --calls 1 --max-time 20 \
  --summary "$run/uas.json" >"$run/uas.log" 2>&1 &
uas=$!
cleanup_pid "$uas"
wait_bound 127.0.0.1:5060 UAS
start=$(date +%s%N)
ip netns exec "$NS" "$gen" --mode uac --local 127.0.0.1:5062 --remote 127.0.0.1:5060 --calls 1 --duration 2 \
  --max-time 30 --rtp-base 22000 --summary "$run/uac.json" >"$run/uac.log" 2>&1 &
uac=$!
cleanup_pid "$uac"
wait_bound 127.0.0.1:22000 UAC   # its first RTP socket: it has started
sleep 1   # places the kill inside the 2 s call (a position in time, not a wait for a condition)
kill "$uas"
wait "$uas" 2>/dev/null || true
uas=
wait "$uac" || fail "UAC exit status $?: $(cat "$run/uac.log")"
uac=
ms=$((($(date +%s%N) - start) / 1000000))
jq -e '.calls.answered == 1 and .calls.completed == 1' "$run/uac.json" >/dev/null ||
  fail "UAC summary: $(jq -c .calls "$run/uac.json")"
# 2 s call + 4 s of BYE retransmissions, with room for setup; Timer B was 32 s.
((ms >= 5500 && ms < 12000)) || fail "UAC finished after $ms ms (expected ~6 s: 2 s call + 4 s BYE wait)"
echo "ok: far end gone mid-call: the UAC gave up on its BYE and finished after $ms ms, call completed"
echo PASS
