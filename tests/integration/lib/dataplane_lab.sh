# Preamble of the tests that run tg-dataplane by itself in the virtual lab
# (no tg-controld, no e2e.sh helpers), on top of lib/common.sh: the root
# check, a run directory, the lab under the caller's prefix, torn down at
# exit even on failure.
#
#   P=tgfp$$                                   # namespace prefix, with the PID
#   . "$(dirname "$0")/lib/dataplane_lab.sh" tgfp-fwd   # run=/tmp/tgfp-fwd.XXXXXX
#   fail_details() { tail -n 20 "$run/dp.log"; }   # optional, printed by fail
#
# Processes started in the background: cleanup_pid PID (stopped at exit).
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
need_root
need_bin tg-dataplane
temp_dir run "${1:?run directory name}"
lab() { "$top/tools/lab/lab" --prefix "$P" "$@"; }
on_exit 'lab down >/dev/null 2>&1'
. "$top/tools/lab/lab.env"
