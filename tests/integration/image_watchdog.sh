#!/usr/bin/env bash
# timeout: 1500
# Watchdogs on the qemu board, in qemu TCG:
# 1. the fast path stopped (SIGSTOP): its service watchdog (WatchdogSec)
#    kills it and systemd starts a new one, which gets ready again;
# 2. the hardware watchdog's feeder stopped (PID 1 frozen by SIGABRT: its
#    crash handler freezes and no longer pings /dev/watchdog0): the i6300esb
#    resets the VM, and the next boot shows and records the watchdog reset.
set -euo pipefail
. "$(dirname "$0")/lib/qemu_image.sh"

img_prepare
qemu_boot
wait_log "$w/console.log" "TrunkGuard [^ ]+ slot A board qemu" 400 || fail "no banner on the console"
wait_log "$w/console.log" "login: *$" 60 || fail "no login prompt"
ok "booted in $((SECONDS - boot_t0))s"
wait_log "$w/debug.log" "#" 30 || fail "no debug shell on ttyS1"
wait_active 300 || fail "services not both active within 300s of the login prompt"
state=$(shell "cat /sys/class/watchdog/watchdog0/state /sys/class/watchdog/watchdog0/timeout" | tr '\n' ' ')
[[ $state == active* ]] || fail "hardware watchdog not armed: $state"
ok "hardware watchdog armed: $state"

# 1. Fast path stopped.
pid=$(shell "systemctl show -p MainPID --value trunkguard-dataplane")
shell "kill -STOP $pid" >/dev/null
stopped_at=$SECONDS
new=$pid
while ((SECONDS - stopped_at < 90)); do
  new=$(shell "systemctl show -p MainPID --value trunkguard-dataplane")
  [ "$new" != "$pid" ] && [ "$new" != 0 ] && [ "$(shell 'systemctl is-active trunkguard-dataplane')" = active ] && break
  sleep 2
done
[ "$new" != "$pid" ] && [ "$new" != 0 ] || fail "stopped fast path (pid $pid) not restarted within 90s"
shell "journalctl -b -u trunkguard-dataplane -o cat | grep -i watchdog" | head -n 3
shell "journalctl -b -u trunkguard-dataplane -o cat | grep -qi 'watchdog timeout'" >/dev/null ||
  fail "restart not caused by the service watchdog"
ok "fast path stopped: service watchdog restarted it in $((SECONDS - stopped_at))s (pid $pid -> $new)"

# 2. The hardware watchdog's feeder (PID 1) frozen.
from=$(lines "$w/console.log")
shell "kill -ABRT 1; echo sent" 20 >/dev/null || true
frozen_at=$SECONDS
wait_log "$w/console.log" "TrunkGuard: booting slot" 400 "$from" || fail "no reset within 400s of the feeder stopping"
ok "VM reset $((SECONDS - frozen_at))s after the feeder stopped"
wait_log "$w/console.log" "Last reset: watchdog" 400 "$from" || fail "next boot does not show the watchdog reset"
clean <"$w/console.log" | tail -n +"$((from + 1))" | grep -a -E "^(TrunkGuard .* slot|Last reset)" | head -n 2
wait_log "$w/debug.log" "#" 60 "$(lines "$w/debug.log")" || true
history=$(shell "tail -n 2 /data/log/trunkguard/boot-history")
echo "$history"
grep -q 'reset="watchdog' <<<"$(tail -n 1 <<<"$history")" || fail "boot history does not record the watchdog reset"
ok "watchdog reset shown on the console and recorded in the boot history"
