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
console_expect tech "Password:" 30 "no password prompt" >/dev/null
console_expect "$tech_pw" "TrunkGuard console" 60 "tech did not get tg-cli" >/dev/null
ok "tech logged in, shell tg-cli"
console_expect "show version" "Software: +TrunkGuard" 60 "show version: no answer from tg-controld"
ok "show version"
console_expect "show uplinks" "Carrier B" 60 "show uplinks: no uplinks listed"
ok "show uplinks"
console configure
console "set box.location somewhere"
console_expect commit "(read-only|not allowed|denied|operator)" 30 \
  "tech (read-only) was not refused a configuration change"
ok "tech refused a configuration change (operator role)"
console end
console_expect quit "login: *$" 30 "no login prompt after quit" >/dev/null

# root: no password login.
console_expect root "Password:" 30 "no password prompt for root" >/dev/null
console_expect anything "Login incorrect" 30 "root login not refused" >/dev/null
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
