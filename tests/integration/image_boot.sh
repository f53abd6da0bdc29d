#!/usr/bin/env bash
# timeout: 900
# The qemu board's image boots by UEFI in qemu TCG (q35, OVMF, virtio disk):
# the console shows the banner (version, slot, board, last reset) and a
# login; `tech` logs in straight into tg-cli, runs `show version` and
# `show uplinks`, is refused a configuration change (read-only role) and
# leaves; root has no password login. Both services become active
# (Type=notify: ready), the root is a read-only squashfs and /data is
# mounted. Prints boot-to-login and boot-to-services-ready seconds.
set -euo pipefail
. "$(dirname "$0")/lib/qemu_image.sh"
tech_pw=$(tr ' ' '\n' <<<"$LAB_PASSWORDS" | sed -n 's/^tech://p')

img_prepare
qemu_boot
wait_log "$w/console.log" "TrunkGuard [^ ]+ slot A board qemu" 400 || fail "no banner on the console"
wait_log "$w/console.log" "login: *$" 60 || fail "no login prompt"
login_s=$((SECONDS - boot_t0))
ok "banner and login prompt after ${login_s}s (boot-to-login, TCG)"
clean <"$w/console.log" | grep -a "Last reset:" | tail -n 1

wait_log "$w/debug.log" "#" 30 || fail "no debug shell on ttyS1"
wait_active 300 || fail "services not both active within 300s of the login prompt: $(shell 'systemctl is-active trunkguard-dataplane trunkguard-controld' | tr '\n' ' ')"
ready_s=$((SECONDS - boot_t0))
ok "trunkguard-dataplane and trunkguard-controld active (Type=notify: ready) after ${ready_s}s"

# tech: read-only console.
from=$(lines "$w/console.log")
console tech
wait_log "$w/console.log" "Password:" 30 "$from" || fail "no password prompt"
console "$tech_pw"
wait_log "$w/console.log" "TrunkGuard console" 60 "$from" || fail "tech did not get tg-cli"
ok "tech logged in, shell tg-cli"
from=$(lines "$w/console.log")
console "show version"
wait_log "$w/console.log" "tg-qemu" 60 "$from" || fail "show version: no answer from tg-controld"
tail -n +"$((from + 1))" "$w/console.log" | clean | head -n 12
ok "show version"
from=$(lines "$w/console.log")
console "show uplinks"
wait_log "$w/console.log" "Carrier B" 60 "$from" || fail "show uplinks: no uplinks listed"
sleep 1
tail -n +"$((from + 1))" "$w/console.log" | clean | head -n 12
ok "show uplinks"
from=$(lines "$w/console.log")
console "configure"
console "set box.location somewhere"
console "commit"
wait_log "$w/console.log" "(read-only|not allowed|denied|operator)" 30 "$from" ||
  fail "tech (read-only) was not refused a configuration change"
ok "tech refused a configuration change (operator role)"
console "end"
console "quit"
wait_log "$w/console.log" "login: *$" 30 "$from" || fail "no login prompt after quit"

# root: no password login.
from=$(lines "$w/console.log")
console root
wait_log "$w/console.log" "Password:" 30 "$from" || fail "no password prompt for root"
console "anything"
wait_log "$w/console.log" "Login incorrect" 30 "$from" || fail "root login not refused"
ok "root has no password login"

# Services and storage, from the lab's debug shell.
shell "systemctl show -p Type -p WatchdogUSec trunkguard-dataplane trunkguard-controld" | tr '\n' ' '; echo
rootfs=$(shell "findmnt -n -o FSTYPE,OPTIONS /")
[[ $rootfs == squashfs\ ro* ]] || fail "root is not a read-only squashfs: $rootfs"
datafs=$(shell "findmnt -n -o FSTYPE /data")
[ "$datafs" = ext4 ] || fail "/data not mounted: $datafs"
ok "root read-only squashfs, /data ext4"
shell "grep -E '^(TrunkGuard|board|commit|kernel)' /usr/share/trunkguard/MANIFEST"
shell "grep -c . /usr/share/trunkguard/MANIFEST" >/dev/null || fail "no MANIFEST"
shell "cat /proc/sys/kernel/random/boot_id; systemctl is-active systemd-timesyncd; cat /sys/class/watchdog/watchdog0/identity" || true
ok "boot-to-login ${login_s}s, boot-to-services-ready ${ready_s}s (qemu TCG, 2 vCPUs on a loaded host)"
echo "boot-to-login ${login_s}s"
