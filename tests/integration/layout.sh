#!/usr/bin/env bash
# timeout: 60
# The floor plan is true: every #include "..." of the tree follows the
# dependency rule (tests/integration/lib/layout.py, root README.md), and the
# two processes link only what the rule allows:
#   - tg-controld loads no DPDK library and holds no fast-path code;
#   - tg-dataplane loads no Boost library and holds no control-daemon code.
# The check proves it can fail: in a copy of the tree, a planted wrong-way
# include (fast path -> control daemon, vocabulary -> inspection core, a
# driver -> the fast path) must each be reported with its FILE:LINE.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-build}
[[ $build = /* ]] || build=$top/$build
tmp=$(mktemp -d /tmp/tg-layout.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }
check=$top/tests/integration/lib/layout.py

# 1. The tree as it is.
python3 "$check" "$top" >"$tmp/tree.out" || fail "wrong-way includes in the tree:
$(cat "$tmp/tree.out")"
n=$(cd "$top" && git ls-files -co --exclude-standard '*.cpp' '*.hpp' | xargs grep -h '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' | wc -l)
((n > 500)) || fail "only $n includes found: is this the tree?"
ok "$n includes follow the dependency rule"

# 2. The check fails on a wrong-way include, and says where and why.
mkdir -p "$tmp/copy"
(cd "$top" && git ls-files -co --exclude-standard -z '*.cpp' '*.hpp' '*.h' | xargs -0 cp --parents -t "$tmp/copy")
python3 "$check" "$tmp/copy" >/dev/null || fail "the copy of the tree does not pass before planting"
plant() {  # FILE INCLUDE WANT: the include on a new last line must be reported as WANT
  local file=$1 include=$2 want=$3 line
  cp "$tmp/copy/$file" "$tmp/saved"
  echo "#include \"$include\"" >>"$tmp/copy/$file"
  line=$(wc -l <"$tmp/copy/$file")
  if python3 "$check" "$tmp/copy" >"$tmp/planted.out"; then
    fail "$file including $include passed the check"
  fi
  grep -qxF "$file:$line: $want" "$tmp/planted.out" ||
    fail "$file including $include: want '$file:$line: $want', got: $(cat "$tmp/planted.out")"
  [ "$(wc -l <"$tmp/planted.out")" -eq 1 ] || fail "more than the planted include reported: $(cat "$tmp/planted.out")"
  cp "$tmp/saved" "$tmp/copy/$file"
  ok "planted: $(cat "$tmp/planted.out")"
}
plant dataplane/fastpath/trunks.cpp control/config/ini.hpp \
  "fast path includes control/config/ini.hpp (control): parts of one layer never include each other"
plant control/daemon/kernel_sync.hpp dataplane/fastpath/forwarder.hpp \
  "control includes dataplane/fastpath/forwarder.hpp (fast path): parts of one layer never include each other"
plant common/net.hpp dataplane/core/packet.hpp \
  "common includes dataplane/core/packet.hpp (dataplane/core): a lower layer never includes a higher one"
plant drivers/capture/packet_source.hpp dataplane/core/packet.hpp \
  "drivers includes dataplane/core/packet.hpp (dataplane/core): parts of one layer never include each other"
plant board/board.hpp dataplane/fastpath/forwarder.hpp \
  "board includes dataplane/fastpath/forwarder.hpp (fast path): a lower layer never includes a higher one"
plant dataplane/api/messages.hpp control/daemon/controller.hpp \
  "dataplane/api includes control/daemon/controller.hpp (control): a lower layer never includes a higher one"
plant control/alarmsvc/alarm_service.hpp control/daemon/controller.hpp \
  "control includes control/daemon/controller.hpp (control): only control/daemon includes control/daemon (it wires the other folders)"
plant tools/cli/render.cpp tests/unit/dataplane/fastpath/frames.hpp \
  "tools includes tests/unit/dataplane/fastpath/frames.hpp (tests): only tests include tests/"
python3 "$check" "$tmp/copy" >/dev/null || fail "the copy does not pass again after the plants were removed"

# 3. What the binaries load and hold.
controld=$build/bin/tg-controld dataplane=$build/bin/tg-dataplane
[ -x "$controld" ] && [ -x "$dataplane" ] || fail "build tg-controld and tg-dataplane first ($build/bin)"
ldd "$controld" >"$tmp/controld.ldd"
ldd "$dataplane" >"$tmp/dataplane.ldd"
grep -q librte "$tmp/dataplane.ldd" || fail "tg-dataplane loads no librte: is ldd telling the truth? $(cat "$tmp/dataplane.ldd")"
n=$(grep -c librte "$tmp/controld.ldd" || true)
[ "$n" -eq 0 ] || fail "tg-controld loads $n DPDK libraries: $(grep librte "$tmp/controld.ldd" | head -3)"
grep -q libboost "$tmp/controld.ldd" || fail "tg-controld loads no Boost: is ldd telling the truth?"
n=$(grep -c libboost "$tmp/dataplane.ldd" || true)
[ "$n" -eq 0 ] || fail "tg-dataplane loads Boost: $(grep libboost "$tmp/dataplane.ldd")"
ok "ldd: tg-controld loads no librte, tg-dataplane no libboost"
# Static libraries leave no trace in ldd: their code does, by namespace.
nm -C "$controld" >"$tmp/controld.nm"
nm -C "$dataplane" >"$tmp/dataplane.nm"
grep -q ' tg::config::' "$tmp/controld.nm" || fail "no tg::config symbols in tg-controld: is nm telling the truth?"
n=$(grep -cE ' tg::(fastpath|failover)::' "$tmp/controld.nm" || true)
[ "$n" -eq 0 ] || fail "tg-controld holds $n fast-path symbols: $(grep -m3 -E ' tg::(fastpath|failover)::' "$tmp/controld.nm")"
grep -q ' tg::fastpath::' "$tmp/dataplane.nm" || fail "no tg::fastpath symbols in tg-dataplane: is nm telling the truth?"
n=$(grep -cE ' tg::(config|controld)::' "$tmp/dataplane.nm" || true)
[ "$n" -eq 0 ] || fail "tg-dataplane holds $n control-daemon symbols (tgconfig?): $(grep -m3 -E ' tg::(config|controld)::' "$tmp/dataplane.nm")"
ok "nm: no fast-path code in tg-controld, no control-daemon code in tg-dataplane"
