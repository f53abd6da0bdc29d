#!/usr/bin/env bash
# timeout: 120
# Firmware images and A/B update in a scratch root: install, update, confirm,
# rollback, automatic rollback of an unconfirmed update, and bad images
# (corrupted file, unlisted file, wrong board, not a tar) rejected whole with
# nothing changed.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
build=$TG_BUILD
temp_dir work tgfw
upd() { "$top/firmware/tg-update" --root "$work/root" "$@"; }
field() { upd status --json | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# A small fake build tree keeps images quick; the real one works the same.
mkdir -p "$work/build/bin"
for b in tg-dataplane tg-controld tg-cli tg-analyze; do
  printf '#!/bin/sh\necho %s\n' "$b" >"$work/build/bin/$b"; chmod +x "$work/build/bin/$b"
done
v1=$("$top/firmware/mkupdate-tar" --build "$work/build" --version 1.0.0 -o "$work/img")
v2=$("$top/firmware/mkupdate-tar" --build "$work/build" --version 1.1.0 -o "$work/img")
listing=$(tar -tf "$v1")   # whole listing first: grep -q on a pipe would SIGPIPE tar
grep -qx './MANIFEST' <<<"$listing" || fail "no MANIFEST in image"
grep -q 'usr/bin/tg-dataplane' <<<"$listing" || fail "binaries missing from image"
grep -q 'lib/systemd/system/trunkguard-dataplane.service' <<<"$listing" || fail "services missing"

upd install "$v1"
[ "$(field version)" = 1.0.0 ] || fail "v1 not active"
[ "$(field pending_confirm)" = False ] || fail "first install should need no confirmation"
[ -x "$work/root/opt/trunkguard/current/usr/bin/tg-dataplane" ] || fail "current does not hold the image"

upd install "$v2" --confirm-within 300
[ "$(field version)" = 1.1.0 ] || fail "v2 not active"
[ "$(field previous_version)" = 1.0.0 ] || fail "v1 not kept as previous"
[ "$(field pending_confirm)" = True ] || fail "update not pending confirmation"
upd check-confirm
[ "$(field version)" = 1.1.0 ] || fail "rolled back before the deadline"
upd confirm
[ "$(field pending_confirm)" = False ] || fail "confirm did not stick"
upd check-confirm --boot
[ "$(field version)" = 1.1.0 ] || fail "a confirmed image was rolled back at boot"

upd rollback
[ "$(field version)" = 1.0.0 ] || fail "rollback did not return to v1"
upd rollback
[ "$(field version)" = 1.1.0 ] || fail "rollback of the rollback did not return to v2"

# Unconfirmed past its deadline -> check-confirm rolls back; at boot too.
upd install "$v1" --confirm-within 0
[ "$(field version)" = 1.0.0 ] || fail "reinstall of v1"
upd check-confirm
[ "$(field version)" = 1.1.0 ] || fail "unconfirmed update not rolled back after its deadline"
upd install "$v1" --confirm-within 300
upd check-confirm --boot
[ "$(field version)" = 1.1.0 ] || fail "unconfirmed update not rolled back at boot"

# Bad images: rejected, nothing changes.
before=$(upd status --json)
bad() {  # name image expected-message
  local out
  if out=$(upd install "$2" 2>&1); then fail "$1 image accepted"; fi
  grep -q "$3" <<<"$out" || fail "$1 image: unclear error: $out"
  [ "$(upd status --json)" = "$before" ] || fail "$1 image changed the state"
  echo "rejected $1: $out"
}
mkdir -p "$work/x" && tar -C "$work/x" -xf "$v2"
echo tampered >>"$work/x/usr/bin/tg-cli"
tar -C "$work/x" -cf "$work/corrupt.tar" .
bad corrupted "$work/corrupt.tar" "checksum mismatch: usr/bin/tg-cli"
rm -rf "$work/x" && mkdir -p "$work/x" && tar -C "$work/x" -xf "$v2"
echo extra >"$work/x/usr/bin/tg-extra"
tar -C "$work/x" -cf "$work/extra.tar" .
bad unlisted "$work/extra.tar" "file not in manifest: usr/bin/tg-extra"
rm -rf "$work/x" && mkdir -p "$work/x" && tar -C "$work/x" -xf "$v2"
sed -i 's/^board virtual$/board otherbox/' "$work/x/MANIFEST"
tar -C "$work/x" -cf "$work/board.tar" .
bad wrong-board "$work/board.tar" "built for board 'otherbox'"
head -c 4096 /dev/urandom >"$work/garbage.tar"
bad garbage "$work/garbage.tar" "not a readable image"
bad missing "$work/nope.tar" "no such file"
echo "firmware update: all good"
