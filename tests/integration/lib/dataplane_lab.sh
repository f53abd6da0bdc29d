# Preamble of the tests that run tg-dataplane by itself in the virtual lab
# (no tg-controld, no e2e.sh helpers): the build directory, the root check,
# a run directory, the lab under the caller's prefix, the processes to stop
# and everything torn down on exit, even on failure.
#
#   top=$(cd "$(dirname "$0")/../.." && pwd)
#   P=tgfp$$                                   # namespace prefix, with the PID
#   . "$top/tests/integration/lib/dataplane_lab.sh" tgfp-fwd   # run=/tmp/tgfp-fwd.XXXXXX
#   fail_details() { tail -n 20 "$run/dp.log"; }   # optional, printed by fail
#
# Processes started in the background go into pids (stopped by PID).
export TG_BUILD=${BUILD:-build}
[[ $TG_BUILD = /* ]] || TG_BUILD=$top/$TG_BUILD
[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces)"; exit 77; }
run=$(mktemp -d "/tmp/${1:?run directory name}.XXXXXX")
pids=()
lab() { "$top/tools/lab/lab" --prefix "$P" "$@"; }
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  lab down >/dev/null 2>&1 || true
  rm -rf "$run"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  if declare -F fail_details >/dev/null; then fail_details || true; fi
  exit 1
}
. "$top/tools/lab/lab.env"
