#!/usr/bin/env bash
# timeout: 150
# No flapping under a link that goes up and down every second. The whole
# virtual board (lab, kamailio SBC, tg-dataplane, tg-controld), calls from
# the LAN PBX through the SBC to the far phones; Carrier A's end of wan0
# toggles down/up every second for 10 s:
#   - traffic moves to wan1 once and stays there (fast-path switch count),
#   - wan0's hold-down grows with each flap (tg-controld show.uplinks),
#   - after the flapping stops, failback to wan0 only once wan0 has been clean
#     for the grown hold-down, not the initial one,
#   - far-end longest RTP gap per call under 500 ms (one per switch).
set -euo pipefail
. "$(dirname "$0")/lib/e2e.sh"
need_bin tg-dataplane tg-controld tg-callgen tg-impair

# Short hold-downs so that the test ends: 1.5 s after the first flap,
# doubling up to 6 s. The flap period (1 s) is shorter than both: a link
# that never stays up for a hold-down must never carry traffic again.
hd0=1500 hdmax=6000 ncalls=3 flap_s=10
e2e_lab_up
e2e_timers $hd0 $hdmax
e2e_dataplane
e2e_controld
calls $ncalls 30
s0=$(switches)
ok "$ncalls calls up on wan0 (fast-path switches so far: $s0)"

# The flapping: a loop inside Carrier A's namespace (one process, so the
# schedule holds on a loaded machine) takes its end of wan0 down at 0, 1,
# 2 ... s and up half a second later, logging each link-up time. Meanwhile:
# samples of the active uplink and of wan0's hold-down as tg-controld
# reports it.
lab exec cara bash -c '
  t0=${EPOCHREALTIME/./}
  for ((i = 0; i < 2 * '"$flap_s"'; i++)); do
    due=$((t0 + i * 500000))
    while ((${EPOCHREALTIME/./} < due)); do sleep 0.01; done
    if ((i % 2 == 0)); then ip link set gw down; else ip link set gw up; echo "up ${EPOCHREALTIME/./}"; fi
  done' >"$run/flap.log" 2>&1 &
flapper=$!
t0=$(now_ms)
max_hd=0 max_flaps=0 samples=()
while kill -0 $flapper 2>/dev/null; do
  ((($(now_ms) - t0) < (flap_s + 20) * 1000)) || fail "the flap loop did not end"
  dp_alive || fail "tg-dataplane exited"
  samples+=("$(dp .active_uplink)")
  u=$(mgmt show.uplinks | jq -c '.result.uplinks[] | select(.name == "wan0") | {holddown_ms, flaps}') || u=
  if [ -n "$u" ]; then
    hd=$(jq .holddown_ms <<<"$u") fl=$(jq .flaps <<<"$u")
    ((hd > max_hd)) && max_hd=$hd
    ((fl > max_flaps)) && max_flaps=$fl
  fi
  sleep 0.05
done
wait $flapper || fail "flap loop: $(cat "$run/flap.log")"
(($(grep -c '^up ' "$run/flap.log") == flap_s)) || fail "flap loop: $(cat "$run/flap.log")"
t_last_up=$(($(tail -n 1 "$run/flap.log" | cut -d' ' -f2) / 1000))
s1=$(switches)
flap_switches=$((s1 - s0))
# Active-uplink changes seen by sampling (a bound on what the calls felt).
changes=0 prev=${samples[0]}
for a in "${samples[@]}"; do [ "$a" != "$prev" ] && changes=$((changes + 1)); prev=$a; done
log "flapping over ($(((t_last_up - t0) / 1000)) s, ${#samples[@]} samples): fast-path switches $flap_switches, sampled active changes $changes, wan0 hold-down up to $max_hd ms, flap level $max_flaps"
((flap_switches >= 1)) || fail "no switch while wan0 went down $flap_s times"
((flap_switches <= 2)) || fail "traffic flapped: $flap_switches switches in $flap_s s ($(dp -c .recent_switches))"
active_is wan1 || fail "after the flapping the active uplink is $(dp .active_uplink), not wan1 (wan0 was up only 0.5 s)"
jq -e '[.recent_switches[] | select(.to == "wan1")] | .[0].reason == "link_down"' "$run/dataplane.json" >/dev/null ||
  fail "the switch to wan1 was not for link_down: $(dp -c .recent_switches)"
((max_hd >= 2 * hd0)) || fail "wan0 hold-down did not grow: at most $max_hd ms (initial $hd0 ms)"
ok "no flapping: $flap_switches switch, hold-down grew to $max_hd ms"

# Failback: wan0 is clean from t_last_up; the hold-down it must wait now is
# the grown one (capped at hdmax), never the initial one.
hd_now=$(mgmt show.uplinks | jq '.result.uplinks[] | select(.name == "wan0") | .holddown_ms')
wait_for $((hdmax / 1000 + 15)) "failback to wan0" active_is wan0
failback_ms=$(($(now_ms) - t_last_up))
log "failback to wan0 $failback_ms ms after the last link-up (hold-down then $hd_now ms)"
((failback_ms >= hd_now - 300)) || fail "failback after $failback_ms ms, before the hold-down ($hd_now ms)"
((failback_ms >= 2 * hd0)) || fail "failback after $failback_ms ms: the hold-down did not grow"
((failback_ms <= hd_now + 5000)) || fail "failback $failback_ms ms after the link came back (hold-down $hd_now ms)"
jq -e '.recent_switches[-1] | .to == "wan0" and .reason == "failback"' "$run/dataplane.json" >/dev/null ||
  fail "last switch is not a failback to wan0: $(dp -c '.recent_switches[-1]')"
((($(switches) - s1) == 1)) || fail "$(($(switches) - s1)) switches after the flapping (1 failback expected)"

# tg-controld saw the same history: one switch to wan1 (link_down), one back.
hist=$(mgmt show.failover.history)
jq -e '.ok' <<<"$hist" >/dev/null || fail "show.failover.history: $hist"
n_to_wan1=$(jq '[.result.switches[] | select(.to == "wan1")] | length' <<<"$hist")
[ "$n_to_wan1" = 1 ] || fail "tg-controld history shows $n_to_wan1 switches to wan1: $(jq -c .result <<<"$hist")"

calls_end 40
check_calls $ncalls 500
log "far-end longest RTP gap per call (ms): $(far_gaps)"
e2e_done
