#!/usr/bin/env bash
# timeout: 200
# Per-uplink voice alarms from the calls themselves, over the whole virtual
# board (lab, kamailio SBC, tg-dataplane, tg-controld with the board's
# example config), with calls from the LAN PBX through the SBC and RTCP
# every second from both ends:
#   delay 60 ms towards the gateway on wan0 -> the calls' RTCP round trip
#       grows by 60 ms: one-way delay ~30 ms above a 20 ms level
#       -> uplink_delay on wan0 (MOS stays good: no uplink_mos); cleared
#       after the fault is
#   loss 8 % both ways on wan0 -> the inbound streams' 10 s windows rate
#       MOS ~3.6-3.9 below a 4.1 level -> uplink_mos on wan0; cleared after
#   the same loss with switch_mos raised to 4.1 by a console commit ->
#       soft fault mos on wan0: traffic moves to wan1 (the probes are fine:
#       the calls' own quality decides)
# Levels are lowered from the G.114 / G.107 defaults (150 ms, 3.6) so the
# faults stay inside what the fast path's probes tolerate (100 ms timeout)
# and what must never fail over: no switch until the last case. The figures
# are read back from `show uplinks` (mos, one_way_delay_ms) as the NOC sees
# them.
set -euo pipefail
. "$(dirname "$0")/lib/e2e.sh"
need_bin tg-dataplane tg-controld tg-callgen tg-impair

e2e_lab_up
e2e_timers 2000 4000 4000
e2e_dataplane
# Switch levels far above the faults: this test is about alarms only.
e2e_controld --set thresholds.window_s=2 --set thresholds.one_way_delay_ms=20 --set thresholds.mos=4.1 \
  --set thresholds.rtt_ms=1000 --set thresholds.switch_rtt_ms=2000 --set thresholds.loss_percent=50 \
  --set thresholds.switch_loss_percent=80

uplink() { mgmt show.uplinks | jq -c --arg u "$1" '.result.uplinks[]? | select(.name == $u)'; }
figure() { uplink wan0 | jq -r ".$1 // empty"; }
# Active alarm of TYPE on wan0, as JSON (empty if none).
active_alarm() { mgmt show.alarms | jq -c --arg t "$1" '[.result[]? | select(.type == $t and .object == "wan0")][0] // empty'; }
raised() { [ -n "$(active_alarm "$1")" ]; }
cleared() { [ -z "$(active_alarm "$1")" ]; }
no_switch() { [ "$(switches)" = "$s0" ] || fail "$1: switch $(dp -c '.recent_switches[-1]')"; }

export AP_FAR_ARGS="--rtcp-interval 1"
s0=$(switches)
calls 2 95 --rtcp-interval 1
wait_for 15 "wan0 carries the calls' inbound streams ($(uplink wan0))" \
  eval '[ "$(uplink wan0 | jq .media_streams)" -ge 2 ]'
wait_for 15 "an RTCP round trip per call on wan0 ($(uplink wan0))" eval '[ -n "$(figure one_way_delay_ms)" ]'
# Both calls' inbound streams rated on a 10 s window: the delay case can
# then show that MOS stays good.
wait_for 20 "the inbound streams rated on wan0 ($(uplink wan0))" eval '[ "$(uplink wan0 | jq .media_rated)" -ge 2 ]'
owd0=$(figure one_way_delay_ms)
log "wan0 before the fault: $(uplink wan0 | jq -c '{mos, one_way_delay_ms, media_streams, media_rated, rtt_ms}')"

# fault_raises NAME ALARM SECS TEXT-REGEX FAULT...: FAULT on wan0 raises
# ALARM on wan0 within SECS with a text matching TEXT-REGEX; no switch.
fault_raises() {
  local name=$1 type=$2 secs=$3 regex=$4 t0=$SECONDS
  shift 4
  lab fault wan0 "$@" >/dev/null
  wait_for "$secs" "$name: $type on wan0 ($(uplink wan0 | jq -c '{mos, one_way_delay_ms, media_loss_pct, media_rated}'))" raised "$type"
  raised_after=$((SECONDS - t0))
  jq -e --arg re "$regex" '.text | test($re)' <<<"$(active_alarm "$type")" >/dev/null ||
    fail "$name: alarm text $(active_alarm "$type")"
  no_switch "$name"
}
# fault_cleared NAME ALARM SECS: the fault removed, ALARM clears within SECS.
fault_cleared() {
  local t0=$SECONDS
  lab clear wan0 >/dev/null
  wait_for "$3" "$1: $2 cleared after the fault ($(uplink wan0 | jq -c '{mos, one_way_delay_ms}'))" cleared "$2"
  ok "$1: $2 cleared $((SECONDS - t0)) s after the fault ended, MOS $(figure mos), one-way delay $(figure one_way_delay_ms) ms"
}

fault_raises "delay 60" uplink_delay 25 \
  'wan0 \(Carrier A\) one-way delay high: voice one-way delay [0-9.]+ ms above 20 ms' delay 60
owd=$(figure one_way_delay_ms)
# 60 ms more round trip is 30 ms more one way (within what RTCP timing gives).
awk -v a="$owd" -v b="$owd0" 'BEGIN { exit !(a - b >= 20 && a - b <= 45) }' ||
  fail "delay: one-way delay $owd ms (before $owd0 ms), expected ~30 ms more"
cleared uplink_mos || fail "delay: 30 ms one way must not lower MOS below 4.1: $(active_alarm uplink_mos)"
ok "delay 60: uplink_delay raised $raised_after s after the fault, one-way delay $owd0 -> $owd ms, MOS $(figure mos)"
fault_cleared "delay 60" uplink_delay 25

fault_raises "loss 8" uplink_mos 35 'wan0 \(Carrier A\) voice quality low: voice MOS [0-9.]+ below 4.1 ' loss 8
mos=$(figure mos)
awk -v m="$mos" 'BEGIN { exit !(m < 4.1 && m > 2.5) }' || fail "loss: MOS $mos"
ok "loss 8: uplink_mos raised $raised_after s after the fault, MOS $mos, inbound loss $(figure media_loss_pct) %"
fault_cleared "loss 8" uplink_mos 35
no_switch "the alarm cases"

# The alarm history holds both raise/clear pairs (what the NOC's trap
# receiver and mail got; alarm_snmp/alarm_smtp test the transports).
hist=$(mgmt show.alarms '{"history":true}' |
  jq -c '[.result[]? | select(.object == "wan0" and (.type == "uplink_delay" or .type == "uplink_mos")) | "\(.type):\(.transition)"]')
for want in uplink_delay:raised uplink_delay:cleared uplink_mos:raised uplink_mos:cleared; do
  jq -e --arg w "$want" 'index($w) != null' <<<"$hist" >/dev/null || fail "alarm history lacks $want: $hist"
done

# --- switch level: commit switch_mos = 4.1 from the console (the alarm
# level: a switch level may not be above it), then the same loss.
r=$(mgmt config.set '{"section":"thresholds","key":"switch_mos","value":"4.1"}')
jq -e .ok <<<"$r" >/dev/null || fail "config.set switch_mos: $r"
r=$(mgmt config.commit '{"comment":"switch on MOS 4.1"}')
jq -e .ok <<<"$r" >/dev/null || fail "config.commit: $r"
lab fault wan0 loss 8 >/dev/null
t_fault=$SECONDS
wait_for 35 "loss 8 with switch_mos 4.1: traffic on wan1 ($(uplink wan0 | jq -c '{mos, soft_faults}'))" active_is wan1
sw=$(dp -c '.recent_switches[-1]')
jq -e '.from == "wan0" and .to == "wan1" and .reason == "soft_fault"' <<<"$sw" >/dev/null ||
  fail "loss 8 with switch_mos 4.1: switch $sw (a soft fault of tg-controld expected)"
soft=$(uplink wan0 | jq -r .soft_faults)
[[ $soft == *mos* ]] || fail "loss 8 with switch_mos 4.1: wan0 soft faults '$soft' (mos expected)"
ok "loss 8 with switch_mos 4.1: switched to wan1 by soft fault '$soft' $((SECONDS - t_fault)) s after the fault"
lab clear wan0 >/dev/null
calls_end 60
e2e_done
