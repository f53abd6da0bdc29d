#!/usr/bin/env bash
# timeout: 180
# The NOC hears about a failover, over the whole virtual board: tg-controld
# with SNMP v2c traps to a real snmptrapd and mail to a real SMTP sink (both
# on the gateway's loopback, board/virtual/appliance.sh), calls through the
# SBC:
#   1. blackhole on wan0: a tgAlarmRaised trap with the TRUNKGUARD-MIB
#      varbinds (object wan0, calls affected) and a mail naming the uplink,
#      the fault, the switch to wan1 and the calls affected;
#   2. clear: the alarm clears (tgAlarmCleared trap + mail), and
#      `show.fault-report` gives the fault's duration and calls affected;
#   3. the same with both receivers down during the fault: raise and clear
#      are delivered once each after they come back; none lost, none twice.
# Needs the alarm manager in tg-controld; without it every sub-case is
# skipped with the reason tg-controld gives.
set -euo pipefail
. "$(dirname "$0")/lib/e2e.sh"
e2e_need tg-dataplane tg-controld tg-callgen tg-impair
command -v snmptrapd >/dev/null || { echo "SKIP: snmptrapd not installed"; exit 77; }

ncalls=2 hd0=2000 hdmax=4000
mib=.1.3.6.1.4.1.32473.1
oid_raised=$mib.0.1 oid_cleared=$mib.0.2
vb() { echo "$mib.1.1.$1.0"; }   # tgAlarmObjects scalar N
e2e_lab_up
e2e_timers $hd0 $hdmax
ap_receivers
e2e_dataplane
e2e_controld --set alarm.snmp.enabled=true --set alarm.snmp.version=v2c --set alarm.snmp.community=public \
  --set alarm.snmp.targets=127.0.0.1:10162 \
  --set alarm.email.enabled=true --set alarm.email.smtp_url=smtp://127.0.0.1:10025 \
  --set alarm.email.starttls=none --set alarm.email.group_window_s=0

r=$(mgmt show.alarms)
if jq -e '.ok == false and .error.code == "not_available"' <<<"$r" >/dev/null; then
  why=$(jq -r .error.message <<<"$r")
  for c in "trap and mail on blackhole" "clear: trap and mail" "fault report" "receivers down: none lost, none twice"; do
    skip_case "$c" "tg-controld: $why"
  done
  e2e_done
  exit 0
fi
jq -e .ok <<<"$r" >/dev/null || fail "show.alarms: $r"

# Notifications about wan0 as received: trap lines (one per notification:
# `TRAP host sep varbinds`) and mail files.
traps() {  # OID of the notification
  grep -F -- "OID: $1"$'\t' "$run/snmptrapd.log" 2>/dev/null | grep -E -- "$(vb 7) = STRING: \"[^\"]*wan0" || true
}
ntraps() { traps "$1" | grep -c . || true; }
mails_about_wan0() { grep -l -i "wan0" "$run"/mail/new/* 2>/dev/null || true; }
nmails() { mails_about_wan0 | grep -c . || true; }

# The receivers' real pids in the gateway namespace (the pid files name the
# netns wrappers), to take them down and up again.
receiver_pids() {
  local p
  for p in $(ip netns pids "$prefix-gw"); do
    grep -qaE 'snmptrapd|aiosmtpd' "/proc/$p/cmdline" 2>/dev/null && echo "$p"
  done
}
receivers_up() {
  wait_until 10 "snmptrapd listens" eval 'lab exec gw ss -Hlun | grep -q 127.0.0.1:10162'
  wait_until 10 "SMTP sink listens" eval 'lab exec gw ss -Hltn | grep -q 127.0.0.1:10025'
}
receivers_up

calls $ncalls 40

# 1. blackhole: raise.
t_fault=$(now_ms)
lab fault wan0 blackhole >/dev/null
wait_until 5 "blackhole: switch to wan1" active_is wan1
wait_until 15 "tgAlarmRaised trap about wan0" eval '(( $(ntraps $oid_raised) >= 1 ))'
trap_line=$(traps $oid_raised | head -n 1)
for n in 2 4 7 9 10 13; do   # severity, probable cause, object, text, calls, notice id
  grep -qF -- "$(vb $n)" <<<"$trap_line" || fail "raise trap lacks varbind $(vb $n): $trap_line"
done
grep -qE -- "$(vb 10) = Gauge32: $ncalls([^0-9]|$)" <<<"$trap_line" ||
  fail "raise trap: calls affected is not $ncalls: $trap_line"
ok "raise trap: $(grep -oE -- "$(vb 9)[^\"]*\"[^\"]*\"" <<<"$trap_line")"
wait_until 15 "alarm mail about wan0" eval '(( $(nmails) >= 1 ))'
mail=$(mails_about_wan0 | head -n 1)
body=$(cat "$mail")
# The uplink, the fault (the fast path sees a blackhole as lost probes or
# silent media), the switch and the calls affected.
for re in wan0 wan1 "blackhole|probe|no rtp|blackout" "$ncalls calls"; do
  grep -qiE -- "$re" <<<"$body" || fail "alarm mail does not say '$re': $(grep -i '^subject' "$mail")"
done
ok "raise mail: $(grep -i '^subject:' "$mail")"

# 2. clear: the alarm clears, the fault report tells the story.
sleep_until_ms=$((t_fault + 3000))   # a fault of a known length, >= 3 s
wait_until 10 "3 s of fault" eval '(( $(now_ms) >= sleep_until_ms ))'
t_clear=$(now_ms)
lab clear wan0 >/dev/null
wait_until $((hdmax / 1000 + 15)) "failback to wan0" active_is wan0
wait_until 15 "tgAlarmCleared trap about wan0" eval '(( $(ntraps $oid_cleared) >= 1 ))'
wait_until 15 "clear mail about wan0" eval '(( $(nmails) >= 2 ))'
wait_until 5 "no active alarm on wan0" eval \
  'mgmt show.alarms | jq -e "[.result.alarms[]? | tostring | select(test(\"wan0\"))] | length == 0" >/dev/null'
fault_s=$(((t_clear - t_fault) / 1000))
rep=$(mgmt show.fault-report)
if jq -e '.ok == false and .error.code == "not_available"' <<<"$rep" >/dev/null; then
  skip_case "fault report" "tg-controld: $(jq -r .error.message <<<"$rep")"
else
  wait_until 10 "a fault report" eval 'mgmt show.fault-report | jq -e ".ok and (.result | tostring | test(\"wan0\"))" >/dev/null'
  rep=$(mgmt show.fault-report)
  # Duration from the fault to traffic back on wan0 (clear + hold-down), in
  # whichever unit the report uses; calls affected as counted by the switch.
  jq -e --argjson lo "$fault_s" --argjson n "$ncalls" '
    [.. | objects | select(has("calls_affected"))][0] as $r
    | ($r.duration_s // (($r.duration_ms // 0) / 1000)) as $d
    | $r.calls_affected == $n and $d >= $lo and $d <= $lo + 20' <<<"$rep" >/dev/null ||
    fail "fault report (fault ~$fault_s s + hold-down, $ncalls calls): $(jq -c .result <<<"$rep")"
  ok "fault report: $(jq -c '[.. | objects | select(has("calls_affected"))][0]' <<<"$rep")"
fi

# 3. receivers down during a second fault: queued, delivered once each.
for p in $(receiver_pids); do kill "$p"; done
wait_until 10 "receivers down" eval '[ -z "$(receiver_pids)" ]'
r0=$(ntraps $oid_raised) c0=$(ntraps $oid_cleared) m0=$(nmails)
lab fault wan0 blackhole >/dev/null
wait_until 5 "second blackhole: switch to wan1" active_is wan1
wait_until 15 "second alarm active" eval \
  'mgmt show.alarms | jq -e "[.result.alarms[]? | tostring | select(test(\"wan0\"))] | length >= 1" >/dev/null'
lab clear wan0 >/dev/null
wait_until $((hdmax / 1000 + 15)) "failback to wan0" active_is wan0
ap_receivers
receivers_up
wait_until 60 "queued raise + clear traps delivered" eval '(( $(ntraps $oid_raised) > r0 && $(ntraps $oid_cleared) > c0 ))'
wait_until 60 "queued raise + clear mails delivered" eval '(( $(nmails) >= m0 + 2 ))'
# None twice: give the retry loop time to misbehave, then count.
t=$(now_ms); wait_until 10 "" eval '(( $(now_ms) >= t + 3000 ))'
(($(ntraps $oid_raised) == r0 + 1 && $(ntraps $oid_cleared) == c0 + 1)) ||
  fail "after the outage: $(($(ntraps $oid_raised) - r0)) raise and $(($(ntraps $oid_cleared) - c0)) clear traps (1 each expected)"
(($(nmails) == m0 + 2)) || fail "after the outage: $(($(nmails) - m0)) mails about wan0 (2 expected)"
ids=$({ traps $oid_raised; traps $oid_cleared; } | grep -oE -- "$(vb 13)[^0-9]*[0-9]+" | grep -oE '[0-9]+$' | sort | uniq -d)
[ -z "$ids" ] || fail "notice ids received twice: $ids"
ok "receivers down: raise and clear delivered once each after they came back"

lab clear wan0 >/dev/null
calls_end 60
check_calls $ncalls 500
log "far-end longest RTP gap per call (ms): $(far_gaps)"
e2e_done
