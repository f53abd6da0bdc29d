#!/usr/bin/env bash
# timeout: 120
# Alarm notifications reach a real snmptrapd on loopback with the
# TRUNKGUARD-MIB varbinds: SNMPv2c trap, SNMPv3 authPriv trap (and a v3 trap
# with a wrong key is refused), and SNMPv3 authPriv informs that are queued
# on disk while the receiver is down, survive a tg-notify restart and are
# delivered once each when it returns.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
need_bin tg-notify
need_cmd snmptrapd
notify=$bin/tg-notify

temp_dir tmp tgal-snmp
fail_details() { echo "--- snmptrapd log"; cat "$tmp/trapd.log" 2>/dev/null; }

port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
engine=0x80007ea904c0000201   # our engine id for v3 traps (the receiver knows the user under it)

cat >"$tmp/trapd.conf" <<EOF
disableAuthorization yes
createUser -e $engine tguser SHA-256 authpass-tg-123 AES privpass-tg-456
createUser tguser SHA-256 authpass-tg-123 AES privpass-tg-456
EOF
trapd_pid=
start_trapd() {
  SNMP_PERSISTENT_DIR=$tmp/trapd-state snmptrapd -f -C -c "$tmp/trapd.conf" -Lf "$tmp/trapd.log" \
    -On -M /dev/null -m '' -F 'TRAP %P\n%V\n%v\n' "udp:127.0.0.1:$port" &
  trapd_pid=$!
  cleanup_pid "$trapd_pid"
  local deadline=$((SECONDS + 10))
  until grep -q 'NET-SNMP version' "$tmp/trapd.log" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "snmptrapd did not start"
    sleep 0.05
  done
}
stop_trapd() { kill "$trapd_pid"; wait "$trapd_pid" 2>/dev/null || true; }

# count of received notifications whose text contains $1
received() { grep -c -F "32473.1.1.1.9.0 = STRING: \"$1" "$tmp/trapd.log" 2>/dev/null || true; }
wait_received() {  # MARKER COUNT SECONDS
  local deadline=$((SECONDS + $3))
  while (($(received "$1") < $2)); do
    ((SECONDS < deadline)) || fail "notification '$1' not received $2 time(s) in $3 s"
    sleep 0.05
  done
}
# The record (TRAP header + varbinds) that carries marker $1.
record() { awk -v m="$1" '/^TRAP /{if (index(r, m)) print r; r=""} {r = r $0 "\n"} END{if (index(r, m)) print r}' "$tmp/trapd.log"; }
expect() {  # RECORD-MARKER FIXED-STRING
  record "$1" | grep -q -F -- "$2" || { record "$1"; fail "notification '$1' lacks: $2"; }
}

common="[box]
name = gw-lab
[notify]
backoff_initial_ms = 200
backoff_max_ms = 800
[alarm.syslog]
enabled = false"
cat >"$tmp/v2c.conf" <<EOF
$common
[alarm.snmp]
enabled = true
version = v2c
community = noc-public
targets = 127.0.0.1:$port
EOF
cat >"$tmp/v3.conf" <<EOF
$common
[alarm.snmp]
enabled = true
version = v3
user = tguser
security_level = authPriv
auth_protocol = SHA-256
auth_key = authpass-tg-123
priv_protocol = AES
priv_key = privpass-tg-456
engine_id = $engine
targets = 127.0.0.1:$port
EOF

start_trapd

# --- SNMPv2c trap
id=$("$notify" -c "$tmp/v2c.conf" --queue "$tmp/q-v2c.db" raise --type uplink_blackhole --object wan0 \
  --label "Carrier A" --detail "no RTP on 12 calls for 180 ms" \
  --action "traffic switched to wan1 (Carrier B) in 212 ms" --calls 12)
"$notify" -c "$tmp/v2c.conf" --queue "$tmp/q-v2c.db" drain --until-empty --timeout 20 || fail "v2c drain"
m="wan0 (Carrier A) silent blackhole: no RTP on 12 calls for 180 ms; traffic switched to wan1 (Carrier B) in 212 ms; 12 calls affected"
wait_received "$m" 1 10
expect "$m" "TRAP TRAP2, SNMP v2c, community noc-public"
expect "$m" ".1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.4.1.32473.1.0.1"   # tgAlarmRaised
expect "$m" ".1.3.6.1.4.1.32473.1.1.1.1.0 = Gauge32: $id"                # tgAlarmId
expect "$m" ".1.3.6.1.4.1.32473.1.1.1.2.0 = INTEGER: 3"                  # severity critical
expect "$m" ".1.3.6.1.4.1.32473.1.1.1.3.0 = INTEGER: 2"                  # communicationsAlarm
expect "$m" ".1.3.6.1.4.1.32473.1.1.1.4.0 = INTEGER: 17"                 # receiveFailure
expect "$m" ".1.3.6.1.4.1.32473.1.1.1.5.0 = STRING: \"silent blackhole\""
expect "$m" ".1.3.6.1.4.1.32473.1.1.1.6.0 = INTEGER: 1"                  # uplink
expect "$m" ".1.3.6.1.4.1.32473.1.1.1.7.0 = STRING: \"wan0\""
expect "$m" ".1.3.6.1.4.1.32473.1.1.1.8.0 = STRING: \"Carrier A\""
expect "$m" ".1.3.6.1.4.1.32473.1.1.1.10.0 = Gauge32: 12"
expect "$m" ".1.3.6.1.4.1.32473.1.1.1.11.0 = Hex-STRING: "               # DateAndTime
expect "$m" ".1.3.6.1.4.1.32473.1.1.1.12.0 = STRING: \"uplink_blackhole\""
expect "$m" ".1.3.6.1.4.1.32473.1.1.1.13.0 = Gauge32: "
echo "ok: v2c trap with all TRUNKGUARD-MIB varbinds"

# the clear of that alarm: tgAlarmCleared, severity cleared(1)
"$notify" -c "$tmp/v2c.conf" --queue "$tmp/q-v2c.db" clear --type uplink_blackhole --object wan0 \
  --label "Carrier A" --alarm-id "$id" --reason "RTP flowing again" >/dev/null
"$notify" -c "$tmp/v2c.conf" --queue "$tmp/q-v2c.db" drain --until-empty --timeout 20 || fail "v2c clear drain"
c="wan0 (Carrier A) silent blackhole cleared after"
wait_received "$c" 1 10
expect "$c" "OID: .1.3.6.1.4.1.32473.1.0.2"
expect "$c" ".1.3.6.1.4.1.32473.1.1.1.1.0 = Gauge32: $id"
expect "$c" ".1.3.6.1.4.1.32473.1.1.1.2.0 = INTEGER: 1"
expect "$c" ": RTP flowing again\""
echo "ok: v2c clear"

# --- SNMPv3 authPriv trap
"$notify" -c "$tmp/v3.conf" --queue "$tmp/q-v3.db" raise --type trunk_down --object carrierA \
  --label "Carrier A SBC" --detail "3 OPTIONS to 198.51.100.10 unanswered" >/dev/null
"$notify" -c "$tmp/v3.conf" --queue "$tmp/q-v3.db" drain --until-empty --timeout 20 || fail "v3 drain"
m3="carrierA (Carrier A SBC) SIP trunk unreachable: 3 OPTIONS to 198.51.100.10 unanswered"
wait_received "$m3" 1 10
expect "$m3" "TRAP TRAP2, SNMP v3, user tguser"
expect "$m3" ".1.3.6.1.4.1.32473.1.1.1.4.0 = INTEGER: 14"                # unavailable
expect "$m3" ".1.3.6.1.4.1.32473.1.1.1.6.0 = INTEGER: 2"                 # trunk
echo "ok: v3 authPriv trap"

# a wrong authentication key must not get through
"$notify" -c "$tmp/v3.conf" --set alarm.snmp.auth_key=not-the-key-0 --queue "$tmp/q-bad.db" raise \
  --type trunk_down --object carrierX --detail "sent with a wrong key" >/dev/null
"$notify" -c "$tmp/v3.conf" --set alarm.snmp.auth_key=not-the-key-0 --queue "$tmp/q-bad.db" drain --until-empty --timeout 20
deadline=$((SECONDS + 10))
until grep -q 'Authentication failed for tguser' "$tmp/trapd.log"; do
  ((SECONDS < deadline)) || fail "snmptrapd never saw the wrong-key trap"
  sleep 0.05
done
(($(received "carrierX") == 0)) || fail "a trap with a wrong key was accepted"
echo "ok: v3 trap with a wrong key refused"

# --- SNMPv3 informs while the receiver is down, across a tg-notify restart
inform=(-c "$tmp/v3.conf" --queue "$tmp/q-inform.db" --set alarm.snmp.notification=inform
  --set alarm.snmp.inform_timeout_ms=300 --set alarm.snmp.inform_retries=0)
stop_trapd
"$notify" "${inform[@]}" drain 2>"$tmp/drain1.log" &
drain_pid=$!
cleanup_pid "$drain_pid"
for i in 1 2 3; do
  "$notify" "${inform[@]}" raise --type uplink_link_down --object "wan$i" --detail "carrier lost, inform $i" >/dev/null
done
deadline=$((SECONDS + 20))
until "$notify" "${inform[@]}" status --json | grep -q '"max_attempts":[2-9]'; do
  ((SECONDS < deadline)) || { cat "$tmp/drain1.log"; fail "informs were not retried while the receiver was down"; }
  sleep 0.1
done
kill "$drain_pid"
wait "$drain_pid" || true
status=$("$notify" "${inform[@]}" status --json)
echo "queued on disk while down: $status"
grep -q '"pending":3' <<<"$status" || fail "expected 3 informs pending on disk: $status"
grep -q 'not acknowledged\|Timeout\|timeout' <<<"$status" || fail "no delivery error recorded: $status"

start_trapd
"$notify" "${inform[@]}" drain --until-empty --timeout 30 2>"$tmp/drain2.log" || {
  cat "$tmp/drain2.log"
  fail "informs not delivered after the receiver came back"
}
for i in 1 2 3; do
  wait_received "wan$i link down: carrier lost, inform $i" 1 10
done
# a late duplicate would arrive within the retry timeout: look once more after it
sleep 0.5
for i in 1 2 3; do
  n=$(received "wan$i link down: carrier lost, inform $i")
  [ "$n" -eq 1 ] || fail "inform $i received $n times"
done
expect "wan1 link down: carrier lost, inform 1" "TRAP INFORM, SNMP v3, user tguser"
"$notify" "${inform[@]}" status --json | grep -q '"pending":0' || fail "queue not empty after delivery"
echo "ok: 3 v3 informs queued while the receiver was down, delivered once each after a restart"
