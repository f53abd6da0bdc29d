#!/usr/bin/env bash
# timeout: 240
# `make run` shows the NOC receiving the alarms (issue 20): tools/lab/run
# under its own prefix (not a person's tglab) with ONCE, then `wan0 down`;
# within 10 s the lab's receivers hold
#   - a trap decoded with mibs/TRUNKGUARD-MIB naming wan0: an SNMPv3
#     authPriv inform from tg-controld, accepted by snmptrapd for the user
#     it was provisioned with (createUser in its config file),
#   - a mail naming wan0 in the SMTP sink's Maildir,
# and the status screen shows a line for each (the screen is printed here).
# Also: the repository's example config keeps both receivers disabled, and
# no lab process has an SNMPv3 key on its command line.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
need_root
need_bin tg-dataplane tg-controld tg-callgen tg-impair tg-cli
need_cmd snmptrapd kamailio kamcmd jq
need_py aiosmtpd

prefix=tgnoc$$
run=/run/$prefix
lab() { "$top/tools/lab/lab" --prefix "$prefix" "$@"; }
temp_dir work "$prefix"
screen=$work/screen.txt
fail_details() {
  echo "--- status screen (last 30 lines)"; tail -n 30 "$screen"
  echo "--- snmptrapd log"; tail -n 5 "$run/snmptrapd.log" 2>/dev/null
  echo "--- tg-controld log"; tail -n 10 "$run/controld.log" 2>/dev/null
  return 0
}
on_exit 'lab down >/dev/null 2>&1'   # should run itself die without its teardown

# The template: receivers off.
for s in alarm.snmp alarm.email; do
  v=$(awk -v s="[$s]" '$0 == s {in_s = 1; next} /^\[/ {in_s = 0} in_s && $1 == "enabled" {print $3}' \
    "$top/board/virtual/trunkguard.conf")
  [ "$v" = false ] || fail "board/virtual/trunkguard.conf: [$s] enabled = '$v' (the template keeps receivers off)"
done

TG_LAB_PREFIX=$prefix ONCE=120 CALLS=2 BUILD=$TG_BUILD "$top/tools/lab/run" >"$screen" 2>&1 &
run_pid=$!
cleanup_pid "$run_pid"
# Running, not a zombie waiting to be reaped (kill -0 succeeds on those).
running() { [ -e "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
run_alive() { running "$run_pid" || fail "tools/lab/run exited early"; }
# ip netns exec, not `lab exec`: the lab script takes --json as its own option.
cli() { ip netns exec "$prefix-gw" "$bin/tg-cli" --socket "$run/mgmt.sock" "$@"; }
box_up() {
  run_alive
  [ -S "$run/mgmt.sock" ] && cli -c "show uplinks" --json 2>/dev/null |
    jq -e '[.uplinks[]? // .result.uplinks[]? | select(.active)] | .[0].name == "wan0"' >/dev/null 2>&1
}
wait_for 90 "make run: tg-controld answers, wan0 active" box_up
receivers_up() {
  lab exec gw ss -Hlun | grep -q 127.0.0.1:10162 && lab exec gw ss -Hltn | grep -q 127.0.0.1:10025
}
wait_for 10 "snmptrapd and the SMTP sink listen" receivers_up
ok "make run up under prefix $prefix"

# The box's copy sends SNMPv3 authPriv informs; the receiver knows the user.
conf=$run/trunkguard.conf
grep -qx 'version = v3' "$conf" && grep -qx 'security_level = authPriv' "$conf" &&
  grep -qx 'notification = inform' "$conf" || fail "$conf does not send SNMPv3 authPriv informs"
grep -q '^createUser noc SHA-256 ' "$run/snmptrapd.conf" || fail "snmptrapd has no createUser for noc"
[ "$(stat -c %a "$conf")" = 600 ] || fail "$conf holds keys but is mode $(stat -c %a "$conf")"
auth_key=$(cat "$run/noc/snmp-auth.key") priv_key=$(cat "$run/noc/snmp-priv.key")
for ns in gw lan far; do
  for p in $(ip netns pids "$prefix-$ns"); do
    if grep -qaF -e "$auth_key" -e "$priv_key" "/proc/$p/cmdline" 2>/dev/null; then
      fail "an SNMPv3 key on the command line of $(tr '\0' ' ' <"/proc/$p/cmdline")"
    fi
  done
done
if grep -qF -e "$auth_key" -e "$priv_key" "$run/controld.log"; then fail "an SNMPv3 key in tg-controld's log"; fi

# The fault.
t0=$SECONDS
lab fault wan0 down >/dev/null
decoded_trap() {
  grep -F 'OID: TRUNKGUARD-MIB::tgAlarmRaised' "$run/snmptrapd.log" 2>/dev/null |
    grep -F 'TRUNKGUARD-MIB::tgAlarmObjectName.0 = STRING: wan0' | head -n 1
}
mail_about_wan0() { grep -l 'wan0' "$run"/mail/new/* 2>/dev/null | head -n 1; }
wait_for 10 "a decoded tgAlarmRaised trap naming wan0" eval '[ -n "$(decoded_trap)" ]'
ok "trap after $((SECONDS - t0)) s: $(decoded_trap | tr '\t' '\n' | grep -E 'tgAlarm(Type|Severity|Text)' | tr '\n' ' ')"
if ! wait_until $((10 - (SECONDS - t0))) eval '[ -n "$(mail_about_wan0)" ]'; then
  fail "no mail naming wan0 within 10 s of the fault"
fi
ok "mail after $((SECONDS - t0)) s: $(grep -m1 -i '^subject:' "$(mail_about_wan0)")"

# The status screen's lines for both (it refreshes every 2 s).
screen_has() { tail -n 40 "$screen" | grep -qE "$1"; }
wait_for 15 "the status screen shows the trap about wan0" screen_has '^  trap .* Raised +[a-z_]+ wan0 '
wait_for 15 "the status screen shows the mail about wan0" screen_has '^  mail .*wan0'
ok "status screen after the fault:"
awk '/^TrunkGuard on the virtual board/ {block = ""} {block = block $0 "\n"} END {printf "%s", block}' "$screen"

# Stopped (TERM; Ctrl-C takes the same path), run tears the lab down itself.
kill -TERM "$run_pid"
wait_until 30 eval '! running "$run_pid"' || fail "tools/lab/run did not stop on SIGTERM"
wait_for 10 "run removed its namespaces" eval '! ip netns list | grep -q "^$prefix-"'
echo "PASS ($((SECONDS - t_t0)) s)"
