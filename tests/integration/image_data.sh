#!/usr/bin/env bash
# timeout: 900
# A damaged data partition (its ext4 superblock zeroed) does not stop the
# box: it boots, re-creates /data from the factory defaults (the factory
# configuration back in /data/config), both services run, and the console
# banner, the journal (critical) and the boot history say what happened.
set -euo pipefail
. "$(dirname "$0")/lib/qemu_image.sh"

img_prepare
data=$(part_offset 4)
dd if=/dev/zero of="$w/disk.img" bs=1024 seek=$((data / 1024 + 1)) count=1 conv=notrunc status=none
blkid -p -O "$data" "$w/disk.img" >/dev/null 2>&1 && fail "superblock still readable after zeroing"
ok "data partition's superblock zeroed"
qemu_boot
wait_log "$w/console.log" "TrunkGuard [^ ]+ slot A board qemu" 400 || fail "no banner on the console"
wait_log "$w/console.log" "ALARM: /data re-created from factory defaults" 30 || fail "banner shows no /data alarm"
wait_log "$w/console.log" "login: *$" 60 || fail "no login prompt"
clean <"$w/console.log" | grep -a -E "^(TrunkGuard .* slot|Last reset|ALARM)" | head -n 3
ok "booted with a damaged /data in $((SECONDS - boot_t0))s"
wait_log "$w/debug.log" "#" 30 || fail "no debug shell on ttyS1"
[ "$(shell 'findmnt -n -o FSTYPE /data')" = ext4 ] || fail "/data not mounted"
shell "cmp /data/config/trunkguard.conf /usr/share/trunkguard/factory/config/trunkguard.conf" >/dev/null ||
  fail "/data/config/trunkguard.conf is not the factory configuration"
ok "/data re-created with the factory configuration"
wait_active 300 || fail "services not both active within 300s: $(shell 'systemctl is-active trunkguard-dataplane trunkguard-controld' | tr '\n' ' ')"
ok "both services active"
shell "journalctl -b -p crit -o cat | grep -q 're-created from factory defaults'" >/dev/null ||
  fail "no critical log entry for the re-created /data"
shell "grep -q 'data_recreated=' /data/log/trunkguard/boot-history" >/dev/null ||
  fail "boot history does not record the re-created /data"
shell "tail -n 1 /data/log/trunkguard/boot-history"
ok "re-created /data logged (critical) and recorded in the boot history"
