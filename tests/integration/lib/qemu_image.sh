# Shared part of the image tests (tests/integration/image_*.sh), sourced after
# `set -euo pipefail` in place of lib/common.sh (it sources that): the qemu
# board's image (built by `make image` when it is missing or older than the
# build), booted in TCG by board/qemu/qemu from
# a scratch copy, its serial ports on FIFOs (ttyS0: the console, logged to
# $w/console.log; ttyS1: the lab's root debug shell, $w/debug.log). Every
# wait is bounded; qemu (and an image build) is stopped by its PID at exit,
# also when a run-tests timeout ends the test.
#
# Provides: img_prepare, part_offset, qemu_boot, qemu_stop, wait_log,
# wait_active, console, console_expect, shell (run a command in the guest's
# debug shell, print its output), and common.sh's log/ok/fail.

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
need_root
need_cmd qemu-system-x86_64 sgdisk mcopy grub-editenv mksquashfs mmdebstrap
build=$TG_BUILD
temp_dir w "$t_name"
qemu_pid="" make_pid=""
. "$top/board/qemu/image.env"

fail_details() {
  echo "--- console (last 40 lines) ---"; tail -n 40 "$w/console.log" 2>/dev/null | clean
  echo "--- debug shell (last 15 lines) ---"; tail -n 15 "$w/debug.log" 2>/dev/null | clean
}
qemu_stop() {
  stop_pid "$qemu_pid"
  qemu_pid=""
}
# A failed run keeps its serial logs.
keep_logs() {
  [ "$t_rc" -ne 0 ] || return 0
  mkdir -p "/tmp/$t_name.logs" && cp "$w"/*.log "/tmp/$t_name.logs/" 2>/dev/null &&
    echo "logs kept in /tmp/$t_name.logs"
}
on_exit keep_logs
on_exit '[ -z "$make_pid" ] || kill -- "-$make_pid" 2>/dev/null'
on_exit qemu_stop

# The shared image, built once per run: again only when binaries or image
# sources are newer than it. TG_IMAGE=FILE tests that image as it is.
img_ensure() {
  local img=$build/image/trunkguard-qemu.img newer
  [ -n "${TG_IMAGE:-}" ] && { readlink -f "$TG_IMAGE"; return; }
  if [ -e "$img" ]; then
    newer=$(find "$build/bin" "$top/firmware" "$top/board/qemu" -newer "$img" -type f -print -quit 2>/dev/null)
    [ -z "$newer" ] && { readlink -f "$img"; return; }
    log "image older than $newer: rebuilding" >&2
  fi
  local s=$SECONDS
  # Its own process group, so the EXIT trap can stop the whole build.
  setsid make -C "$top" --no-print-directory image BOARD=qemu BUILD="$build" >"$w/mkimage.log" 2>&1 &
  make_pid=$!
  wait "$make_pid" || { tail -n 30 "$w/mkimage.log" >&2; make_pid=""; fail "make image BOARD=qemu failed" >&2; }
  make_pid=""
  log "image built in $((SECONDS - s))s" >&2
  readlink -f "$img"
}

# Scratch copy $w/disk.img of the image with the lab debug shell enabled in
# GRUB's environment block (tg_debug_shell=1).
img_prepare() {
  local img
  img=$(img_ensure)
  cp --sparse=always "$img" "$w/disk.img"
  local start
  start=$(sgdisk -i 1 "$w/disk.img" | sed -nE 's/^First sector: ([0-9]+).*/\1/p')
  export MTOOLS_SKIP_CHECK=1
  mcopy -n -i "$w/disk.img@@$((start * 512))" ::/EFI/trunkguard/grubenv "$w/grubenv"
  grub-editenv "$w/grubenv" set tg_debug_shell=1
  mcopy -o -i "$w/disk.img@@$((start * 512))" "$w/grubenv" ::/EFI/trunkguard/grubenv
  log "image $(basename "$img"), $(du -m "$img" | cut -f1) MiB allocated of $(($(stat -c %s "$img") / 1048576)) MiB"
}

# Byte offset of a partition of the scratch disk.
part_offset() {
  echo $(($(sgdisk -i "$1" "$w/disk.img" | sed -nE 's/^First sector: ([0-9]+).*/\1/p') * 512))
}

qemu_boot() {
  local p
  for p in console debug; do
    rm -f "$w/$p.in" "$w/$p.out"
    mkfifo "$w/$p.in" "$w/$p.out"
  done
  : >"$w/console.log"
  : >"$w/debug.log"
  cat "$w/console.out" >>"$w/console.log" &
  cleanup_pid $!
  cat "$w/debug.out" >>"$w/debug.log" &
  cleanup_pid $!
  "$top/board/qemu/qemu" --serial "pipe:$w/console" --debug-serial "pipe:$w/debug" \
    --pidfile "$w/qemu.pid" "$w/disk.img" >"$w/qemu.log" 2>&1 &
  qemu_pid=$!
  exec 7>"$w/console.in" 8>"$w/debug.in"
  boot_t0=$SECONDS
}

# wait_active SECONDS: both services active (polled in the debug shell).
wait_active() {
  local deadline=$((SECONDS + $1))
  while ((SECONDS < deadline)); do
    [ "$(shell "systemctl is-active trunkguard-dataplane trunkguard-controld" | tr '\n' ' ')" = "active active " ] &&
      return 0
    sleep 2
  done
  return 1
}

# wait_log FILE REGEX SECONDS [FROM_LINE]: true once REGEX shows up in FILE
# (after line FROM_LINE), false after SECONDS or if qemu is gone.
wait_log() {
  local file=$1 re=$2 deadline=$((SECONDS + $3)) from=${4:-0}
  while ((SECONDS < deadline)); do
    tail -n +"$((from + 1))" "$file" | clean | grep -aqE -- "$re" && return 0
    [ -n "$qemu_pid" ] && ! kill -0 "$qemu_pid" 2>/dev/null && { echo "qemu exited: $(cat "$w/qemu.log")"; return 1; }
    sleep 0.5
  done
  return 1
}
lines() { wc -l <"$1"; }
# Serial text without carriage returns and terminal escapes (bash's
# bracketed-paste mode, cursor moves).
clean() { tr -d '\r' | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g'; }

console() { printf '%s\r' "$1" >&7; }
# console_expect TEXT REGEX SECONDS WHY: types TEXT on the console and fails
# with WHY unless REGEX follows within SECONDS; prints the lines that came.
console_expect() {
  local from
  from=$(lines "$w/console.log")
  console "$1"
  wait_log "$w/console.log" "$2" "$3" "$from" || fail "$4"
  tail -n +"$((from + 1))" "$w/console.log" | clean | head -n 14
}

# shell CMD [SECONDS]: runs CMD in the guest's root debug shell (ttyS1),
# prints its output, returns its exit status.
shell() {
  local tag=tg$RANDOM$RANDOM from
  from=$(lines "$w/debug.log")
  printf 'echo B-%s; %s; echo E-%s rc=$?\r' "$tag" "$1" "$tag" >&8
  wait_log "$w/debug.log" "^E-$tag rc=[0-9]+" "${2:-60}" "$from" || fail "debug shell: no answer to: $1"
  tail -n +"$((from + 1))" "$w/debug.log" | clean |
    sed -n "/^B-$tag\$/,/^E-$tag rc=/p" | sed '1d;$d'
  local rc
  rc=$(tail -n +"$((from + 1))" "$w/debug.log" | clean | sed -nE "s/^E-$tag rc=([0-9]+).*/\1/p" | tail -n 1)
  return "$rc"
}
