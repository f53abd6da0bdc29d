# Shared part of the end-to-end tests (tests/integration/e2e_*.sh), sourced
# after `set -euo pipefail`; builds on lib/common.sh (fail, wait_for,
# need_*, cleanup at exit). The whole virtual board with the test's own
# prefix: tools/lab/lab (namespaces, carriers, kamailio as the SBC) and
# tools/lab/appliance.sh (tg-dataplane, tg-controld, NOC receivers,
# calls). `lab down` at exit stops every process in the namespaces.
#
# Provides: e2e_lab_up, e2e_dataplane, e2e_controld, calls, stats helpers
# (fast path JSON), mgmt (the control daemon's socket), gap checks on the
# far phones' summary, and fail_details (the fast path's and the daemon's
# last words, printed by fail).

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
need_root
need_cmd jq

prefix=${E2E_PREFIX:-tge2}$$   # a test may pick its own (netns names)
run=/run/$prefix
lab() { "$top/tools/lab/lab" --prefix "$prefix" "$@"; }
. "$top/tools/lab/lab.env"
. "$top/tools/lab/appliance.sh"

# At exit (common.sh runs these last registered first): keep the logs of a
# failed run, then take the lab down.
e2e_keep_logs() {
  if [ "$t_rc" -ne 0 ] && [ -d "$run" ]; then
    local keep=/tmp/$t_name.$prefix.logs
    cp -r "$run" "$keep" 2>/dev/null && echo "logs kept in $keep"
  fi
  return 0
}
on_exit 'lab down >/dev/null 2>&1'
on_exit e2e_keep_logs

fail_details() {
  [ -f "$run/dataplane.json" ] && jq -c '{active_uplink,switches,loop,uplinks,recent_switches}' "$run/dataplane.json" 2>/dev/null
  [ -f "$run/dataplane.log" ] && tail -n 5 "$run/dataplane.log"
  [ -f "$run/controld.log" ] && tail -n 10 "$run/controld.log"
  return 0
}
e2e_done() {
  # Loop stalls the fast path rode out (descheduled; decisions held back).
  [ -f "$run/dataplane.json" ] && echo "tg-dataplane loop: $(jq -c .loop "$run/dataplane.json" 2>/dev/null)"
  echo "PASS ($((SECONDS - t_t0)) s)"
}

e2e_lab_up() {
  log "lab up ($prefix)"
  lab up >/dev/null
  mkdir -p "$run"
  lab sbc start >/dev/null
  e2e_boost cara carb lter
}

# The lab's light, latency-bound processes (call generators, the carriers'
# NFQUEUE impairers) get a higher CPU weight: on this shared 2-core machine
# a far-phones process starved for 250 ms silences every stream at once,
# which is a true media blackout to the fast path. They sleep most of the
# time, so this costs others nothing. The busy-polling fast path runs on a
# dedicated core in production; here it gets the same weight (as in
# tests/bench/dataplane_failover.bench): at nice 0 it was descheduled for up
# to 0.63 s, and a link-down during that was seen (and switched, 0 ms after)
# only then, a far-end gap of 631 ms (see recent_switches[].loop_gap_us).
e2e_boost() {  # node...
  local n p
  for n in "$@"; do
    for p in $(ip netns pids "$prefix-$n" 2>/dev/null); do
      case $(cat "/proc/$p/comm" 2>/dev/null) in
        tg-callgen | tg-impair | tg-dataplane) renice -n -10 -p "$p" >/dev/null 2>&1 || true ;;
      esac
    done
  done
}

# Failover timers: tg-dataplane --config (keys of
# dataplane/fastpath/failover_file.hpp), and the same values for tg-controld,
# which pushes its timers to the fast path when it attaches (e2e_controld
# checks the fast path applied them). Probes as the fast path's defaults and
# the board's example config: 10 ms rounds, 100 ms timeout, 8 misses; LTE
# 100/500 ms.
# The media-blackout rule is on with its normal values (2 streams, 100 %):
# on this shared 2-core machine tg-dataplane is at times descheduled for
# 0.3-0.7 s, and its loop-stall guard (dataplane/failover/README.md) keeps
# the piled-up rx from looking like silence. Hold-downs short so tests end.
e2e_timers() {  # holddown_initial_ms holddown_max_ms [holddown_decay_ms]
  holddown_initial_ms=$1 holddown_max_ms=$2
  local decay=${3:-60000} blackout=250 min_streams=2
  cat >"$run/failover.conf" <<EOF
probe_interval_ms = 10
probe_timeout_ms = 100
miss_threshold = 8
lte.probe_interval_ms = 100
lte.probe_timeout_ms = 500
holddown_initial_ms = $1
holddown_max_ms = $2
holddown_decay_ms = $decay
blackout_ms = $blackout
flow_min_packets = 10
blackout_min_streams = $min_streams
blackout_quorum_pct = 100
EOF
  controld_timers=(--set timers.miss_count=8 --set "timers.holddown_base_ms=$1" --set "timers.holddown_max_ms=$2"
    --set "timers.holddown_decay_ms=$decay" --set "timers.blackout_ms=$blackout"
    --set timers.flow_min_packets=10 --set timers.blackout_min_streams=$min_streams --set timers.quorum_percent=100)
}

# tg-dataplane in the gateway namespace with its own shared-memory names.
e2e_dataplane() {
  [ -f "$run/failover.conf" ] || e2e_timers 10000 300000
  log "starting tg-dataplane"
  ap_dataplane --config "$run/failover.conf" --shm-prefix "/$prefix" "$@" || fail "tg-dataplane does not forward"
  e2e_boost gw
  wait_for 20 "tg-dataplane active uplink is wan0" active_is wan0
}

# tg-controld with the virtual board's example config; only what a test
# must own is overridden: its files, the shm names and the hold-down timers.
e2e_controld() {
  mkdir -p "$run/state"
  log "starting tg-controld"
  ap_controld --log stderr --shm-prefix "/$prefix" --set "store.path=$run/state/store.db" \
    "${controld_timers[@]}" "$@" || fail "tg-controld did not start"
  wait_for 15 "tg-controld answers on $run/mgmt.sock" controld_answers
  wait_for 15 "tg-controld attached to the fast path" controld_attached
  # Its timers reached the fast path, which applied them (command_result ok
  # for every configured uplink; a refusal is a failure: one rule for both).
  local n
  n=$(grep -c '^\[uplink\.' "$top/board/virtual/trunkguard.conf")
  wait_for 5 "the fast path applied tg-controld's timers for $n uplinks" controld_timers_applied "$n"
}
controld_timers_applied() {
  local c
  c=$(mgmt show.counters | jq -c '.result.daemon | {timers_applied, commands_rejected}') || return 1
  jq -e '.commands_rejected == 0' <<<"$c" >/dev/null || fail "the fast path refused tg-controld's commands: $c, $(grep -m1 'rejected command' "$run/controld.log")"
  jq -e --argjson n "$1" '.timers_applied >= $n' <<<"$c" >/dev/null
}

# ---------------------------------------------------------------- fast path

# The fast path's JSON stats (written every 100 ms, atomically).
dp() { jq -r "$@" "$run/dataplane.json" 2>/dev/null; }
active_is() { [ "$(dp .active_uplink)" = "$1" ]; }
switches() { dp '.switches // 0'; }
forwarded() { dp '.ports.lan.rx_dispositions.forwarded_out // 0'; }
dp_alive() { kill -0 "$(cat "$run/dataplane.pid")" 2>/dev/null; }

# Monotonic time in ms (for measured detection/failback times).
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---------------------------------------------------------------- control daemon

# mgmt CMD [ARGS-JSON]: the result object of one management request.
mgmt() {
  local req
  req=$(jq -cn --arg c "$1" --argjson a "${2:-{\}}" '{v:1,id:1,cmd:$c,args:$a}')
  "$PY" "$top/tests/integration/lib/mgmt_call.py" "$run/mgmt.sock" "$req" 2>/dev/null
}
mgmt_ok() { mgmt "$@" | jq -e '.ok == true' >/dev/null 2>&1; }
controld_attached() { mgmt show.version | jq -e '.result.fastpath.attached == true' >/dev/null 2>&1; }
controld_answers() {
  mgmt_ok hello && return 0
  kill -0 "$(cat "$run/controld.pid")" 2>/dev/null || fail "tg-controld exited: $(tail -n 3 "$run/controld.log")"
  return 1
}

# ---------------------------------------------------------------- calls

# calls N SECONDS: far phones (latching) and the PBX placing N calls through
# the SBC; returns once RTP flows through the gateway.
calls() {
  local base want
  base=$(forwarded)
  want=$((base + 50 * $1))   # a second of RTP per call, one way
  log "placing $1 calls of $2 s"
  ap_calls "$@" || fail "calls did not start"
  e2e_boost far lan
  wait_for 20 "RTP of $1 calls flows through the gateway" eval '(( $(forwarded) > want ))'
}

# Waits for both call generators to finish and checks every call completed.
calls_end() {  # seconds to wait
  local end=$((SECONDS + $1)) p
  for p in pbx far-phones; do
    while kill -0 "$(cat "$run/$p.pid")" 2>/dev/null; do
      ((SECONDS < end)) || fail "$p calls still running after $1 s"
      sleep 0.1
    done
  done
  [ -s "$run/far-phones.json" ] || fail "no far-phones summary: $(tail -n 3 "$run/far-phones.log")"
  [ -s "$run/pbx.json" ] || fail "no PBX summary: $(tail -n 3 "$run/pbx.log")"
}

# Longest RTP gap (ms) heard by the far phones over all calls, and per call.
far_gap_max() { jq '[.call_list[].received[].longest_gap_ms] | max // 0' "$run/far-phones.json"; }
far_gaps() { jq -c '[.call_list[] | (.received | map(.longest_gap_ms) | max // null)]' "$run/far-phones.json"; }

# check_calls N LIMIT_MS: N calls completed on both sides, each with media at
# the far end and a longest gap under LIMIT_MS.
check_calls() {
  local n=$1 limit=$2
  jq -e --argjson n "$n" '.calls.completed == $n' "$run/pbx.json" >/dev/null ||
    fail "PBX: $(jq -c .calls "$run/pbx.json") (expected $n completed)"
  jq -e --argjson n "$n" '.calls.completed == $n' "$run/far-phones.json" >/dev/null ||
    fail "far phones: $(jq -c .calls "$run/far-phones.json") (expected $n completed)"
  jq -e --argjson n "$n" --argjson l "$limit" \
    '[.call_list[] | select((.received | length) > 0 and (.received | map(.longest_gap_ms) | max) < $l)] | length == $n' \
    "$run/far-phones.json" >/dev/null ||
    fail "far-end longest RTP gap per call $(far_gaps) ms (limit $limit ms)"
}
