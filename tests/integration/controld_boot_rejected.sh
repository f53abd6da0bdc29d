#!/usr/bin/env bash
# timeout: 60
# A configuration file rejected at boot does not leave the box without
# alarms and probing: tg-controld starts on the last good committed
# configuration and raises config_rejected with FILE:LINE — and a secret on
# the broken line (`auth_key S3cret…` without '=') appears in no error, log
# line or alarm. A fixed file + SIGHUP clears the alarm. No network: a unix
# socket in a temp directory.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
need_cmd jq
need_bin tg-controld
controld=$bin/tg-controld
call=$top/tests/integration/lib/mgmt_call.py
temp_dir tmp tgcd-bootrej
chmod 755 "$tmp"
pid=
fail_details() { echo "--- tg-controld log"; tail -n 30 "$tmp/daemon.log" 2>/dev/null || true; }
q() { "$call" "$tmp/mgmt.sock" "$@"; }
start_daemon() {
  "$controld" --config "$conf" --log stderr --shm-prefix "/tgbr$$" >>"$tmp/daemon.log" 2>&1 &
  pid=$!
  cleanup_pid "$pid"
  wait_until 10 test -S "$tmp/mgmt.sock" || fail "no management socket"
}
stop_daemon() {
  kill "$pid"
  wait "$pid" || fail "tg-controld exited with $?"
  pid=
}

conf=$tmp/trunkguard.conf
sed -e "s#^mgmt_socket = .*#mgmt_socket = $tmp/mgmt.sock#" \
    -e "s#^pidfile = .*#pidfile = $tmp/tg-controld.pid#" \
    -e "s#^state_dir = .*#state_dir = $tmp/state#" \
    -e "s#^admin_group = .*#admin_group = tg-no-such-group#" \
    "$top/board/virtual/trunkguard.conf" >"$conf"

# 1. A good start and a commit from the console: the last good configuration.
start_daemon
r=$(q '{"v":1,"cmd":"config.set","args":{"section":"thresholds","key":"rtt_ms","value":"80"}}' \
      '{"v":1,"cmd":"config.commit","args":{"comment":"rtt 80"}}' | tail -n 1)
jq -e '.ok' <<<"$r" >/dev/null || fail "commit: $r"
good=$(cat "$conf")
stop_daemon
ok "committed rtt_ms = 80"

# 2. The file broken by hand: a line with a secret and no '=', a bad value.
secret=S3cretPassphrase42
sed -i -e "/^\[alarm.snmp\]/a auth_key $secret" -e 's/^miss_count = [0-9]*$/miss_count = lots/' "$conf"
line=$(grep -n "^auth_key $secret" "$conf" | cut -d: -f1)
"$controld" --config "$conf" --check >/dev/null 2>&1 && fail "the broken file passes --check"

start_daemon
kill -0 "$pid" || fail "tg-controld did not keep running"
ok "tg-controld runs with a rejected file"
r=$(q '{"v":1,"cmd":"show.config","args":{"which":"running"}}')
[ "$(jq -r '.result.text' <<<"$r")" = "$good" ] || fail "not running the last good configuration: $r"
ok "running the last committed configuration (rtt_ms = 80)"
r=$(q '{"v":1,"cmd":"show.trunks"}')
jq -e '.result.trunks | map(.name) | index("carrierA") != null' <<<"$r" >/dev/null || fail "no trunk probed: $r"
ok "its trunks are probed"
alarms=$(q '{"v":1,"cmd":"show.alarms"}')
jq -e --arg at "$conf:$line:" '.result | map(select(.type == "config_rejected" and (.text | contains($at)))) | length == 1' \
  <<<"$alarms" >/dev/null || fail "no config_rejected alarm naming $conf:$line: $alarms"
ok "config_rejected raised, naming $conf:$line"
jq -e '.result | map(select(.type == "config_rejected" and (.text | contains("last good configuration")))) | length == 1' \
  <<<"$alarms" >/dev/null || fail "the alarm does not say what runs: $alarms"
hist=$(q '{"v":1,"cmd":"show.alarms","args":{"history":true}}')
printf '%s\n' "$alarms" >"$tmp/alarms.json"
printf '%s\n' "$hist" >"$tmp/history.json"
for where in "$tmp/daemon.log" "$tmp/alarms.json" "$tmp/history.json"; do
  [ -s "$where" ] || fail "$where is empty"
  if grep -q "$secret" "$where"; then fail "the secret appears in $where: $(grep "$secret" "$where" | head -n 1)"; fi
done
ok "the secret appears in no log line, alarm or alarm history"

# 3. The file fixed + SIGHUP: applied, the alarm clears.
printf '%s\n' "$good" >"$conf"
kill -HUP "$pid"
cleared() {
  q '{"v":1,"cmd":"show.alarms"}' | jq -e '.result | map(select(.type == "config_rejected")) | length == 0' >/dev/null
}
wait_until 10 cleared || fail "config_rejected still active after a good file + SIGHUP"
ok "a fixed file + SIGHUP clears config_rejected"
stop_daemon
echo "PASS"
