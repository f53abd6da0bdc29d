#!/usr/bin/env bash
# timeout: 120
# A dead control daemon stops neither forwarding nor failover, and a new one
# catches up. The whole virtual board with calls through the SBC:
#   1. kill -9 tg-controld: the calls keep flowing through the fast path,
#   2. Carrier A's end of wan0 goes down: the fast path alone moves traffic
#      to wan1 (far-end longest RTP gap per call under 500 ms),
#   3. tg-controld starts again: it attaches to the running fast path and its
#      failover history holds the switch made while it was dead (the events
#      waited in the shared-memory ring), with the calls affected; the
#      alarm for wan0 is raised.
set -euo pipefail
. "$(dirname "$0")/lib/e2e.sh"
need_bin tg-dataplane tg-controld tg-callgen tg-impair

ncalls=3
e2e_lab_up
e2e_timers 5000 20000
e2e_dataplane
e2e_controld
calls $ncalls 25
# Calls the fast path sees on wan0 (its inspection feeds calls affected).
calls_seen=0 end=$((SECONDS + 3))
while ((SECONDS < end)); do
  calls_seen=$(mgmt show.uplinks | jq '.result.uplinks[] | select(.name == "wan0") | .active_calls // 0')
  ((calls_seen >= ncalls)) && break
  sleep 0.2
done
ok "$ncalls calls up on wan0, tg-controld attached (fast path counts $calls_seen active calls on wan0)"

# 1. kill -9: its own pid file names the daemon (not the netns wrapper).
cpid=$(cat "$run/tg-controld.pid")
[ "$(cat "/proc/$cpid/comm" 2>/dev/null)" = tg-controld ] || fail "pid file $run/tg-controld.pid: '$cpid' is not tg-controld"
kill -9 "$cpid"
wait_for 5 "tg-controld gone after kill -9" eval '[ ! -e /proc/$cpid ]'
f0=$(forwarded) s0=$(switches)
want=$((f0 + 2 * 50 * ncalls))   # two seconds of RTP, LAN -> far side
wait_for 15 "calls flowing through the fast path without tg-controld" eval '(( $(forwarded) > want ))'
dp_alive || fail "tg-dataplane died with tg-controld"
active_is wan0 || fail "active uplink $(dp .active_uplink) after tg-controld died (no fault yet)"
ok "tg-controld killed; fast path forwarding on wan0 ($(( $(forwarded) - f0 )) packets since)"

# 2. link down with no control daemon.
lab fault wan0 down >/dev/null
wait_for 5 "fast path fails over to wan1 without tg-controld" active_is wan1
jq -e '.recent_switches[-1] | .from == "wan0" and .to == "wan1" and .reason == "link_down"' "$run/dataplane.json" >/dev/null ||
  fail "last switch: $(dp -c '.recent_switches[-1]')"
((($(switches) - s0) == 1)) || fail "$(($(switches) - s0)) switches for one link-down"
decided_ms=$(jq '.recent_switches[-1] | (.decided_ns - .fault_first_seen_ns) / 1e6' "$run/dataplane.json")
ok "wan0 down -> wan1 by the fast path alone: decided $decided_ms ms after it saw the carrier loss"

# 3. restart: attach, catch up on the events of the dead time.
mv "$run/controld.log" "$run/controld-1.log"
e2e_controld
hist=
caught_up() {
  hist=$(mgmt show.failover.history)
  jq -e '[.result.switches[] | select(.from == "wan0" and .to == "wan1" and (.reason | startswith("link_down")))] | length == 1' \
    <<<"$hist" >/dev/null 2>&1
}
wait_for 10 "restarted tg-controld has the switch made while it was dead: $hist" caught_up
sw=$(jq -c '[.result.switches[] | select(.to == "wan1")][0]' <<<"$hist")
jq -e '.detection_ms < 500 and .faults == "link"' <<<"$sw" >/dev/null ||
  fail "switch as reported by tg-controld: $sw (link fault, detection < 500 ms expected)"
((calls_seen >= ncalls)) || fail "the fast path counted $calls_seen active calls on wan0 while $ncalls ran"
jq -e --argjson n "$ncalls" '.calls_affected == $n' <<<"$sw" >/dev/null ||
  fail "switch reported by tg-controld: calls_affected $(jq .calls_affected <<<"$sw"), $ncalls calls were up"
up=$(mgmt show.uplinks)
jq -e '[.result.uplinks[] | select(.active)] | .[0].name == "wan1"' <<<"$up" >/dev/null ||
  fail "restarted tg-controld does not show wan1 active: $(jq -c '[.result.uplinks[] | {name, state, active}]' <<<"$up")"
ok "restarted tg-controld caught up: $sw"

alarms=$(mgmt show.alarms)
jq -e '.ok == true' <<<"$alarms" >/dev/null 2>&1 || fail "restarted tg-controld's alarm service does not answer: show.alarms: $alarms"
wan0_alarm() {
  alarms=$(mgmt show.alarms)
  jq -e '[(.result | if type == "array" then . else .alarms end)[] | select(.object == "wan0")] | length >= 1' <<<"$alarms" >/dev/null 2>&1
}
wait_for 10 "an active alarm on wan0 in the restarted tg-controld: $alarms" wan0_alarm
ok "alarm active after the restart: $(jq -c '[(.result | if type == "array" then . else .alarms end)[] | select(.object == "wan0")][0] | {type, text, calls_affected}' <<<"$alarms")"

lab clear wan0 >/dev/null
calls_end 40
check_calls $ncalls 500
log "far-end longest RTP gap per call (ms): $(far_gaps)"
e2e_done
