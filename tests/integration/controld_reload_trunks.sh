#!/usr/bin/env bash
# timeout: 90
# tg-controld's SIP OPTIONS probers follow a configuration reload (SIGHUP),
# against real kamailio SBCs and a real snmptrapd, without the fast path:
# tg-controld in an uplink namespace (its wan0 address on a veth), two
# kamailio (carrierA on 203.0.113.10, carrierB on 203.0.113.11) behind it.
#   1. carrierA up; carrierB added to the file + SIGHUP: carrierB comes up,
#      carrierA keeps its state and probe counters;
#   2. carrierA's kamailio stopped: trunk_down alarm (and its trap);
#   3. a broken file (carrierA removed, a bad value) + SIGHUP: rejected,
#      both trunks and the alarm as before;
#   4. carrierA removed + SIGHUP while down: gone from `show trunks`, its
#      alarm cleared (active list, history, tgAlarmCleared trap) with a text
#      saying it was removed from the configuration; carrierB still up;
#   5. wan0's address changed + SIGHUP: its agent re-bound to the new address,
#      carrierB probed afresh from there and up.
# Asserts on `tg-cli --json` and the management socket's JSON.
set -euo pipefail
P=tgcd$$
NC=${P}c            # uplink side: tg-controld, snmptrapd on its loopback
NS=${P}s            # carrier side: the SBCs
UPLINK=198.51.100.2 PEER=198.51.100.1 SBC_A=203.0.113.10 SBC_B=203.0.113.11
. "$(dirname "$0")/lib/sbc_pair.sh"
need_cmd snmptrapd jq
need_bin tg-controld tg-cli
cli=$bin/tg-cli controld=$bin/tg-controld
temp_dir run tgcd-reload
chmod 755 "$run"
kam_a= kam_b= trapd_pid= daemon_pid=
fail_details() {
  echo "--- tg-controld log"; tail -n 40 "$run/daemon.log" 2>/dev/null
  echo "--- traps"; tail -n 10 "$run/traps.log" 2>/dev/null
  return 0
}
# wait_ok SECONDS WHAT COMMAND...: wait_for, failing early if tg-controld
# exits; an ok line when it holds.
daemon_and() { kill -0 "$daemon_pid" 2>/dev/null || fail "tg-controld exited"; "$@"; }
wait_ok() {
  local secs=$1 what=$2
  shift 2
  wait_until "$secs" daemon_and "$@" || fail "timed out after ${secs} s waiting for: $what"
  ok "$what"
}

sbc_pair_up "$SBC_A" "$SBC_B"

start_kamailio "$SBC_A" "$run/kam-a"
kam_a=$kam_started
start_kamailio "$SBC_B" "$run/kam-b"
kam_b=$kam_started

echo "disableAuthorization yes" >"$run/snmptrapd.conf"
ip netns exec "$NC" env MIBS= snmptrapd -f -Lf "$run/traps.log" -C -c "$run/snmptrapd.conf" -n -On \
  -F "TRAP %B %V%v\n" "udp:127.0.0.1:10162" >/dev/null 2>&1 &
trapd_pid=$!
cleanup_pid "$trapd_pid"

trunk() {  # NAME SBC
  printf '[trunk.%s]\ndescription = %s lab trunk\nsbc_address = %s\nsbc_port = 5060\n' "$1" "$1" "$2"
  printf 'options_interval_ms = 500\noptions_timeout_ms = 300\ndown_after = 2\nup_after = 1\nuplinks = wan0\n\n'
}
uplink_address=$UPLINK
conf() {  # TRUNK...: the whole file, with these trunks
  sbc_pair_conf_head tg-reload-test "$uplink_address" "$SBC_A"
  cat <<EOF
[alarm.snmp]
enabled = true
version = v2c
community = public
targets = 127.0.0.1:10162
notification = trap

[alarm.email]
enabled = false

EOF
  local t
  for t in "$@"; do
    case $t in carrierA) trunk carrierA "$SBC_A" ;; carrierB) trunk carrierB "$SBC_B" ;; esac
  done
}
cfg=$run/tg.conf
conf carrierA >"$cfg"
"$controld" --config "$cfg" --check >/dev/null || fail "the test's config does not pass --check"

# No board file: the kernel side (links, routes) is not this test's.
ip netns exec "$NC" "$controld" --config "$cfg" --log stderr --shm-prefix "/tgcd$$" --board "$run/no-board" \
  >"$run/daemon.log" 2>&1 &
daemon_pid=$!
cleanup_pid "$daemon_pid"
wait_ok 10 "management socket" test -S "$run/mgmt.sock"

# tg-cli --json prints the daemon's result (an object or an array).
cli() { "$cli" --socket "$run/mgmt.sock" --json -c "$1" | jq -c 'if type == "object" and has("result") then .result else . end'; }
trunks() { cli "show trunks"; }
# The trunk's OPTIONS state per `show trunks`, "absent" if it is not listed.
state_of() {
  trunks | jq -r --arg t "$1" '.trunks | map(select(.name == $t)) | if length == 0 then "absent" else .[0].options.state end'
}
is_state() { [ "$(state_of "$1")" = "$2" ]; }
probes_of() {  # total OPTIONS sent to the trunk (its pairs' counters)
  trunks | jq -r --arg t "$1" '.trunks[] | select(.name == $t) | [.options.uplinks[].probes] | add'
}
alarms() { cli "show alarms"; }
alarm_on() {  # TYPE OBJECT: an active alarm of that type on that object
  alarms | jq -e --arg ty "$1" --arg o "$2" 'map(select(.type == $ty and .object == $o)) | length == 1' >/dev/null
}
no_alarm_on() { alarms | jq -e --arg o "$1" 'map(select(.object == $o)) | length == 0' >/dev/null; }
reload() {
  cp "$1" "$cfg"
  kill -HUP "$daemon_pid"
}
mib=.1.3.6.1.4.1.32473.1
traps_about() {  # NOTIFICATION-OID TEXT: trap lines of that notification naming TEXT
  grep -F -- "OID: $1"$'\t' "$run/traps.log" 2>/dev/null | grep -F -- "$2" || true
}

# The console's JSON says what it is before anything else relies on it.
trunks | jq -e '.trunks | length == 1' >/dev/null || fail "show trunks --json: $(trunks)"

# 1. carrierA up; carrierB added on SIGHUP comes up; carrierA not re-created.
wait_ok 10 "carrierA up" is_state carrierA up
before=$(probes_of carrierA)
conf carrierA carrierB >"$run/ab.conf"
reload "$run/ab.conf"
wait_ok 10 "carrierB added by SIGHUP, probed and up" is_state carrierB up
after=$(probes_of carrierA)
((after >= before)) || fail "carrierA's probe counter went from $before to $after: re-created by the reload"
is_state carrierA up || fail "carrierA not up after the reload: $(state_of carrierA)"
grep -q "OPTIONS probing follows the configuration: trunks +carrierB; pairs +1 -0 ~0 =1" "$run/daemon.log" ||
  fail "no reload summary in the log"
ok "carrierA kept its state and counters ($before -> $after probes)"

# 2. carrierA's SBC stopped: down, trunk_down raised (trap too).
stop_pid "$kam_a"
kam_a=
wait_ok 10 "carrierA down with its SBC stopped" is_state carrierA down
wait_ok 10 "trunk_down alarm on carrierA" alarm_on trunk_down carrierA
wait_ok 10 "tgAlarmRaised trap about carrierA" eval '[ -n "$(traps_about $mib.0.1 carrierA)" ]'

# 3. a broken file: rejected whole, nothing changes.
{ conf carrierB; echo "sbc_port = 70000"; } >"$run/bad.conf"
"$controld" --config "$run/bad.conf" --check >/dev/null 2>&1 && fail "the broken config passes --check"
alarm_id=$(alarms | jq -r 'map(select(.object == "carrierA"))[0].id')
reload "$run/bad.conf"
wait_ok 10 "broken config rejected" grep -q "reload rejected" "$run/daemon.log"
trunks | jq -e '[.trunks[].name] == ["carrierA", "carrierB"]' >/dev/null ||
  fail "trunks changed by a rejected config: $(trunks)"
is_state carrierA down || fail "carrierA: $(state_of carrierA) after a rejected reload"
is_state carrierB up || fail "carrierB: $(state_of carrierB) after a rejected reload"
alarms | jq -e --argjson id "$alarm_id" 'map(select(.object == "carrierA" and .id == $id)) | length == 1' >/dev/null ||
  fail "carrierA's alarm changed by a rejected config: $(alarms)"
ok "rejected config: both trunks and the alarm as before"

# 4. carrierA removed while down: gone, alarm cleared saying why.
conf carrierB >"$run/b.conf"
reload "$run/b.conf"
wait_ok 10 "carrierA gone from show trunks" is_state carrierA absent
wait_ok 5 "carrierA's alarm cleared" no_alarm_on carrierA
hist=$("$top/tests/integration/lib/mgmt_call.py" "$run/mgmt.sock" '{"v":1,"cmd":"show.alarms","args":{"history":true}}')
jq -e '.result | map(select(.object == "carrierA" and .transition == "cleared")) | length >= 1' <<<"$hist" >/dev/null ||
  fail "no cleared entry for carrierA in the alarm history: $hist"
jq -r '.result | map(select(.object == "carrierA" and .transition == "cleared"))[0] | tostring' <<<"$hist" |
  grep -q "removed from the configuration" || fail "the clear does not say carrierA was removed: $hist"
wait_ok 10 "tgAlarmCleared trap about carrierA, saying it was removed" \
  eval '[ -n "$(traps_about $mib.0.2 carrierA | grep -F "removed from the configuration")" ]'
is_state carrierB up || fail "carrierB: $(state_of carrierB) after carrierA's removal"

# 5. wan0 moves to another address: a new agent there, carrierB afresh.
# (promote_secondaries: deleting the old, primary address keeps the new
# one and the route through the peer.)
ip netns exec "$NC" sysctl -qw "net.ipv4.conf.${P}a.promote_secondaries=1"
ip -n "$NC" addr add 198.51.100.3/28 dev "${P}a"
uplink_address=198.51.100.3
conf carrierB >"$run/moved.conf"
reload "$run/moved.conf"
wait_ok 10 "wan0's agent re-bound to 198.51.100.3" grep -q "OPTIONS probing over wan0 from 198.51.100.3" "$run/daemon.log"
ip -n "$NC" addr del "$UPLINK/28" dev "${P}a"   # only the new address can work now
n=$(probes_of carrierB)
wait_ok 10 "carrierB answered twice more, from the new address only" eval '(($(probes_of carrierB) >= n + 2))'
is_state carrierB up || fail "carrierB $(state_of carrierB) over the re-bound agent: $(trunks)"
grep -q "pairs +0 -0 ~1 =0; agents rebound wan0" "$run/daemon.log" || fail "no rebind in the reload summary"

# tg-controld stops cleanly.
kill "$daemon_pid"
wait "$daemon_pid" || fail "tg-controld exited with $?"
daemon_pid=
echo "PASS"
