# The one helper file every integration script sources first:
#
#   set -euo pipefail
#   . "$(dirname "$0")/lib/common.sh"
#
# Gives: top (the checkout), TG_BUILD and bin (built programs), PY (Debian's
# python3), t_name (the script's name), t_rc (the exit status, for EXIT
# hooks), and
#   need_root            exit 77 (skip) when not root: the one allowed skip
#   need_cmd CMD...      a tool `make deps` installs is missing: fail
#   need_py MODULE...    a python3 module `make deps` installs is missing: fail
#   need_bin PROG...     a program of this build is missing from $bin: fail
#   fail MSG             "FAIL: MSG", then the test's details (the function
#                        fail_details, if the script defines one), exit 1
#   log MSG / ok MSG     progress lines with the seconds since the start
#   wait_until S CMD...  run CMD every 50 ms until it succeeds (status 0) or
#                        S seconds have passed (status 1)
#   wait_for S WHAT CMD... the same; past the deadline: fail "WHAT (not within S s)"
#   stop_pid PID         TERM, KILL after 5 s, reaped
#   cleanup_pid PID...   stop PID at exit (pass, fail, timeout or Ctrl-C)
#   on_exit CMD...       run CMD at exit (last registered first), after the PIDs
#   temp_dir VAR NAME    VAR= a new directory /tmp/NAME.XXXXXX, removed at exit
#                        (kept when KEEP_RUN is set)
#   netns_add NAME...    a network namespace with lo up, deleted at exit
#   in_ns NAME CMD...    run CMD in namespace NAME
# Namespace names carry the test's PID (e.g. tgfoo$$) so parallel runs of
# helpers and people do not collide.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
export TG_BUILD=${BUILD:-build}
[[ $TG_BUILD = /* ]] || TG_BUILD=$top/$TG_BUILD
bin=$TG_BUILD/bin
# System tools first: a pyenv shim earlier in PATH lacks Debian's modules
# (aiosmtpd) and costs seconds per call.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
PY=/usr/bin/python3
[ -x $PY ] || PY=$(command -v python3 || echo python3)
t_name=$(basename "$0" .sh)
t_t0=$SECONDS
t_rc=0
t_pids=() t_exit_cmds=() t_netns=() t_dirs=()

need_root() {
  [ "$(id -u)" -eq 0 ] || { echo "SKIP: $t_name needs root (network namespaces)"; exit 77; }
}
need_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || fail "$c not installed (make deps installs it)"
  done
}
need_py() {
  local m
  for m in "$@"; do
    "$PY" -c "import $m" 2>/dev/null || fail "python3 module $m not installed (make deps installs it)"
  done
}
need_bin() {
  local b
  for b in "$@"; do
    [ -x "$bin/$b" ] || fail "$bin/$b not built (make all)"
  done
}

log() { echo "[$t_name +$((SECONDS - t_t0))s] $*"; }
ok() { log "ok: $*"; }
fail() {
  echo "FAIL: $*"
  if declare -F fail_details >/dev/null; then fail_details || true; fi
  exit 1
}

wait_until() {
  local end=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < end)) || return 1
    sleep 0.05
  done
}
wait_for() {
  local secs=$1 what=$2
  shift 2
  wait_until "$secs" "$@" || fail "$what (not within $secs s)"
}

stop_pid() {
  local pid=$1 deadline=$((SECONDS + 5))
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS < deadline)) || { kill -KILL "$pid" 2>/dev/null || true; break; }
    sleep 0.05
  done
  wait "$pid" 2>/dev/null || true
}
cleanup_pid() { t_pids+=("$@"); }
on_exit() { t_exit_cmds+=("$*"); }
temp_dir() {  # VAR NAME (a variable, not output: $(...) would register it in a subshell)
  local t_new_dir
  t_new_dir=$(mktemp -d "/tmp/$2.XXXXXX")
  t_dirs+=("$t_new_dir")
  printf -v "$1" %s "$t_new_dir"
}
netns_add() {
  local n
  for n in "$@"; do
    ip netns add "$n"
    t_netns+=("$n")
    ip -n "$n" link set lo up
  done
}
in_ns() { local n=$1; shift; ip netns exec "$n" "$@"; }

t_cleanup() {
  t_rc=$?
  trap - EXIT
  set +e
  local i p
  for p in "${t_pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${t_pids[@]}"; do stop_pid "$p"; done
  for ((i = ${#t_exit_cmds[@]} - 1; i >= 0; i--)); do eval "${t_exit_cmds[i]}"; done
  for p in "${t_netns[@]}"; do ip netns del "$p" 2>/dev/null; done
  for p in "${t_dirs[@]}"; do
    if [ -n "${KEEP_RUN:-}" ]; then echo "kept $p"; else rm -rf "$p"; fi
  done
  exit "$t_rc"
}
trap t_cleanup EXIT
trap 'exit 143' TERM INT   # a run-tests timeout or Ctrl-C still cleans up
