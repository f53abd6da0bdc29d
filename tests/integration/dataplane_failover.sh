#!/usr/bin/env bash
# timeout: 240
# tg-dataplane fails over by itself. A G.711 call (tg-callgen) runs from the
# LAN host to the far phones through Carrier A; faults on Carrier A:
#   link down (carrier's end of the link down)  -> traffic on Carrier B
#   100 % loss, links up (silent blackhole)      -> traffic on Carrier B
#   3 % loss + 30 ms jitter                      -> no switch
# The far side's receive summary gives the longest RTP gap of each call,
# which must stay under 500 ms across a switch. Between faults Carrier A is
# cleared and the gateway fails back once A has been clean for its hold-down.
set -euo pipefail
P=tgfp$$
. "$(dirname "$0")/lib/dataplane_lab.sh" tgfp-fo
fail_details() {
  [ -f "$run/stats.json" ] && jq -c '{active_uplink,switches,uplinks,recent_switches}' "$run/stats.json"
  tail -n 5 "$run/dp.log"
}

# Default probe timers (10 ms rounds, 100 ms timeout, 8 misses); a short
# hold-down so the test can fail back between faults.
cat >"$run/failover.conf" <<'CONF'
holddown_initial_ms = 1500
holddown_max_ms = 3000
CONF

# The virtual board without its exception-path taps (not needed here, and
# /dev/net/tun may be missing).
mkdir -p "$run/board"
sed -E 's/ tap=[^ ]+//' "$top/board/virtual/ports" >"$run/board/ports"
lab up >/dev/null
# tg-dataplane polls a dedicated core in production; on this shared machine
# a higher CFS weight (nice -10) stands in for that, so its probe rounds and
# failover decision are not starved by unrelated builds.
lab exec gw nice -n -10 "$TG_BUILD/bin/tg-dataplane" --no-huge -m 512 --no-pci --no-shconf --no-telemetry -l 0 \
  -- --board "$run/board" --config "$run/failover.conf" --shm-prefix "/$P" \
  --stats "$run/stats.json" >"$run/dp.log" 2>&1 &
dp=$!
cleanup_pid $dp

active() { jq -r .active_uplink "$run/stats.json" 2>/dev/null || echo none; }
switches() { jq -r .switches "$run/stats.json" 2>/dev/null || echo 0; }
wait_active() {  # uplink seconds
  local deadline=$((SECONDS + $2))
  until [ "$(active)" = "$1" ]; do
    kill -0 "$dp" 2>/dev/null || fail "tg-dataplane exited"
    ((SECONDS < deadline)) || fail "active uplink is $(active), not $1, after $2 s"
    sleep 0.05
  done
}
wait_active wan0 20
deadline=$((SECONDS + 20))
until lab exec lan ping -c 1 -W 1 "$FAR_PHONES" >/dev/null 2>&1; do
  ((SECONDS < deadline)) || fail "no ping through the gateway within 20 s"
done

# One call of `secs` seconds; the lab command in the remaining arguments
# runs once RTP flows. Sets `gap` to the far side's longest RTP gap in ms.
call() {  # name secs fault-args...
  local name=$1 secs=$2; shift 2
  lab exec far "$TG_BUILD/bin/tg-callgen" --mode uas --local "$FAR_PHONES:5060" --calls 1 \
    --max-time $((secs + 20)) --summary "$run/$name-uas.json" >"$run/$name-uas.log" 2>&1 &
  local uas=$!
  cleanup_pid $uas
  local deadline=$((SECONDS + 20))
  until [[ $(lab exec far ss -Hlun) == *"$FAR_PHONES:5060 "* ]]; do
    ((SECONDS < deadline)) || fail "$name: UAS did not start"
  done
  lab exec lan "$TG_BUILD/bin/tg-callgen" --mode uac --local "$LAN_PBX:5060" --remote "$FAR_PHONES:5060" \
    --calls 1 --duration "$secs" --max-time $((secs + 15)) --summary "$run/$name-uac.json" >"$run/$name-uac.log" 2>&1 &
  local uac=$!
  cleanup_pid $uac
  # RTP is flowing once the gateway has forwarded a few hundred packets.
  local base; base=$(jq '.ports.lan.rx_dispositions.forwarded_out // 0' "$run/stats.json")
  deadline=$((SECONDS + 20))
  until (( $(jq '.ports.lan.rx_dispositions.forwarded_out // 0' "$run/stats.json") > base + 100 )); do
    ((SECONDS < deadline)) || fail "$name: no RTP through the gateway"
    sleep 0.05
  done
  if (($#)); then lab "$@" >/dev/null; fi
  wait "$uac" || fail "$name: UAC failed: $(tail -n 3 "$run/$name-uac.log")"
  wait "$uas" || fail "$name: UAS failed: $(tail -n 3 "$run/$name-uas.log")"
  jq -e '.calls.completed == 1' "$run/$name-uas.json" >/dev/null || fail "$name: call did not complete"
  gap=$(jq '[.call_list[].received[].longest_gap_ms] | max' "$run/$name-uas.json")
}

check_gap() {  # name gap_ms
  awk -v g="$2" 'BEGIN{exit !(g > 0 && g < 500)}' || fail "$1: longest RTP gap $2 ms (limit 500)"
}

# 1. Carrier A's end of the link goes down.
s0=$(switches)
call linkdown 5 fault wan0 down
echo "link down: longest RTP gap $gap ms, active $(active)"
check_gap "link down" "$gap"
[ "$(active)" = wan1 ] || fail "link down: active is $(active)"
jq -e '.recent_switches[-1] | .to == "wan1" and .reason == "link_down"' "$run/stats.json" >/dev/null \
  || fail "link down: last switch is $(jq -c '.recent_switches[-1]' "$run/stats.json")"
lab clear wan0 >/dev/null
wait_active wan0 15   # fail back after the hold-down

# 2. Carrier A drops everything, links stay up: probes find it.
call blackhole 5 fault wan0 blackhole
echo "blackhole: longest RTP gap $gap ms, active $(active)"
check_gap blackhole "$gap"
[ "$(active)" = wan1 ] || fail "blackhole: active is $(active)"
jq -e '.recent_switches[-1] | .to == "wan1" and .reason == "probe_loss"' "$run/stats.json" >/dev/null \
  || fail "blackhole: last switch is $(jq -c '.recent_switches[-1]' "$run/stats.json")"
lab clear wan0 >/dev/null
wait_active wan0 15

# 3. A degraded but working Carrier A: 3 % loss and 30 ms jitter. No switch.
s1=$(switches)
lab fault wan0 loss 3 >/dev/null
lab fault wan0 jitter 30 >/dev/null
call degraded 8
echo "3 % loss + 30 ms jitter: longest RTP gap $gap ms, switches $s1 -> $(switches)"
[ "$(switches)" = "$s1" ] || fail "degraded carrier caused a switch: $(jq -c '.recent_switches[-1]' "$run/stats.json")"
[ "$(active)" = wan0 ] || fail "degraded: active is $(active)"
jq -e '.uplinks.wan0.probes.lost_rounds > 0 or .uplinks.wan0.probes.jitter_us > 1000' "$run/stats.json" >/dev/null \
  || fail "degraded: the impairment did not reach the probes: $(jq -c .uplinks.wan0 "$run/stats.json")"
echo "switches in total: $(( $(switches) - s0 )) (plus the initial selection)"
echo PASS
