#!/usr/bin/env bash
# timeout: 300
# Real SIP clients, no network fault: SIPp (Debian's sip-tester) as the PBX
# in the LAN and as the far end behind the lab's kamailio SBC, through the
# box, with the SHIPPED media-blackout time (120 ms). Scenario files in
# tests/integration/sipp/ (ACK and BYE follow kamailio's record-route).
#   - 40 calls whose media (a 7 s pcap each way) ends 3 s before the BYE,
#   - 40 calls with a one-way announcement (the far end plays, the PBX only
#     listens):
#     0 uplink switches, 0 uplink_blackhole alarms;
#   - the far end answers every call on ONE media port (6000): each call's
#     record has its own outbound stream (packets counted both ways) and no
#     one_way_audio verdict;
#   - 0 ICMP port unreachables leave the gateway namespace meanwhile;
#   - then a real `lab fault wan0 blackhole` with calls talking still
#     switches to wan1, decided within the blackhole target (200 ms);
#   - `lab fault wan0 rtp-blackhole` (RTP/RTCP dropped, ICMP probes and SIP
#     pass) switches as media_blackout within the shipped blackout time
#     (120 ms) + 50 ms.
set -euo pipefail
. "$(dirname "$0")/lib/e2e.sh"
need_bin tg-dataplane tg-controld tg-cli
need_cmd sipp
scen=$top/tests/integration/sipp
ncalls=40

e2e_lab_up
E2E_BLACKOUT_MS=120 e2e_timers 2000 4000 4000
e2e_dataplane
e2e_controld
# SIPp sends its RTP to the address in the PBX's SDP (the LAN address: the
# box rewrites no SDP), where a real carrier SBC latches onto the source it
# hears from (the gateway's public address; the box keeps the LAN port
# when free, nat.hpp). The far namespace does that latching for SIPp: a
# route for the LAN prefix and a DNAT to wan0's address, port unchanged.
lab exec far ip route add "$LAN_NET" via "$CARA_CORE"
lab exec far iptables-legacy -w -t nat -A OUTPUT -p udp -d "$LAN_NET" -j DNAT --to-destination "$WAN0_GW"
cli() { "$bin/tg-cli" --socket "$run/mgmt.sock" --shm-prefix "/$prefix" "$@"; }
blackhole_alarms() { mgmt show.alarms '{"history":true}' | jq '[.result[]? | select(.type == "uplink_blackhole")] | length'; }

# sipp_calls NAME PBX-SCENARIO N: the far end (one media port for every
# call) and the PBX (its own port per call); 2 calls a second, so about 20
# at a time. Both must end with every call successful.
sipp_calls() {
  local name=$1 uac=$2 n=$3 t0=$SECONDS
  lab exec far sipp -sf "$scen/far_uas.xml" -i "$FAR_PHONES" -p 5060 -mi "$FAR_PHONES" -mp 6000 -m "$n" \
    -nostdin -timeout 150s -timeout_error -trace_err -error_file "$run/sipp-far-$name.err" \
    >"$run/sipp-far-$name.log" 2>&1 &
  local far=$!
  wait_for 5 "$name: far-end SIPp listens" eval 'lab exec far ss -Hlun | grep -q "$FAR_PHONES:5060"'
  lab exec lan sipp -sf "$scen/$uac" "$FAR_SBC:5060" -s 4940333444 -i "$LAN_PBX" -p 5060 -mi "$LAN_PBX" -mp 20000 \
    -m "$n" -r 2 -l 30 -nostdin -timeout 150s -timeout_error -trace_err -error_file "$run/sipp-pbx-$name.err" \
    >"$run/sipp-pbx-$name.log" 2>&1 || fail "$name: PBX SIPp: not every call succeeded ($(tail -n 5 "$run/sipp-pbx-$name.err" 2>/dev/null))"
  wait "$far" || fail "$name: far-end SIPp failed ($(tail -n 5 "$run/sipp-far-$name.err" 2>/dev/null))"
  log "$name: $n calls done in $((SECONDS - t0)) s"
}

results=()
s0=$(switches)
a0=$(blackhole_alarms)
sipp_calls ended pbx_uac.xml $ncalls
[ "$(switches)" = "$s0" ] || fail "media ending before the BYE: uplink switch $(dp -c '.recent_switches[-1]')"
[ "$(blackhole_alarms)" = "$a0" ] || fail "media ending before the BYE: uplink_blackhole alarm"
results+=("$ncalls calls, media ended 3 s before the BYE: 0 switches, 0 blackhole alarms")
ok "${results[-1]}"

# Their records: each call's own outbound stream (the far end used one
# media port for all), no false one-way verdict.
records_ok() {
  cli -c "export calls json" >"$run/export.json" 2>/dev/null || return 1
  jq -e --argjson n $ncalls '[.[] | select(.final_code == 200 and .outbound.packets > 100 and .inbound.packets > 100
      and .verdict != "one_way_audio")] | length >= $n' "$run/export.json" >/dev/null
}
wait_for 60 "$ncalls records with both streams and no one_way_audio ($(jq -c '[.[] | {verdict, o: .outbound.packets, i: .inbound.packets}] | .[:6]' "$run/export.json" 2>/dev/null))" records_ok
ok "shared far media port: $ncalls records each with its own outbound stream, verdicts $(jq -c '[.[].verdict] | group_by(.) | map({(.[0]): length}) | add' "$run/export.json")"

sipp_calls announce pbx_uac_listen.xml $ncalls
[ "$(switches)" = "$s0" ] || fail "one-way announcements: uplink switch $(dp -c '.recent_switches[-1]')"
[ "$(blackhole_alarms)" = "$a0" ] || fail "one-way announcements: uplink_blackhole alarm"
results+=("$ncalls one-way announcement calls: 0 switches, 0 blackhole alarms")
ok "${results[-1]}"
# The gateway namespace's kernel answered none of the inbound uplink packets
# (the lab drops its input on the uplink veths; tools/lab/lab).
unreach=$(lab exec gw iptables-legacy -w -L OUTPUT -v -x -n | awk '/icmptype 3 code 3/ {print $1}')
[ "$unreach" = 0 ] || fail "$unreach ICMP port unreachables left the gateway namespace during the calls"
results+=("0 ICMP port unreachables from the gateway during $((2 * ncalls)) calls")
ok "${results[-1]}"

# fault_case NAME FAULT REASON-REGEX LIMIT-MS: 4 calls talking through
# wan0, FAULT on wan0: a switch to wan1 with a reason matching, decided
# within LIMIT-MS of the fast path first seeing it; then wan0 cleared and
# traffic back on it after its hold-down.
fault_case() {
  local name=$1 fault=$2 reasons=$3 limit=$4 s1 base sw detect far pbx
  wait_for 15 "$name: traffic on wan0" active_is wan0
  s1=$(switches)
  lab exec far sipp -sf "$scen/far_uas.xml" -i "$FAR_PHONES" -p 5060 -mi "$FAR_PHONES" -mp 6000 -m 4 \
    -nostdin -timeout 40s >"$run/sipp-far-$name.log" 2>&1 &
  far=$!
  wait_for 5 "$name: far-end SIPp listens" eval 'lab exec far ss -Hlun | grep -q "$FAR_PHONES:5060"'
  base=$(forwarded)
  lab exec lan sipp -sf "$scen/pbx_uac.xml" "$FAR_SBC:5060" -s 4940333444 -i "$LAN_PBX" -p 5060 -mi "$LAN_PBX" \
    -mp 20000 -m 4 -r 4 -nostdin -timeout 40s >"$run/sipp-pbx-$name.log" 2>&1 &
  pbx=$!
  wait_for 15 "$name: media of the calls flows" eval '(( $(forwarded) > base + 4 * 100 ))'
  sleep 1
  lab fault wan0 $fault >/dev/null
  wait_for 5 "$name: switch to wan1" active_is wan1
  sw=$(dp -c '.recent_switches[-1]')
  detect=$(jq '(.decided_ns - .fault_first_seen_ns) / 1e6 | floor' <<<"$sw")
  jq -e --arg r "$reasons" '.from == "wan0" and .to == "wan1" and (.reason | test("^(" + $r + ")$"))' <<<"$sw" >/dev/null ||
    fail "$name: last switch $sw"
  ((detect <= limit)) || fail "$name: decided $detect ms after the fast path first saw it (limit $limit ms): $sw"
  ((($(switches) - s1) == 1)) || fail "$name: $(($(switches) - s1)) switches (1 expected)"
  results+=("$name: switch wan0 -> wan1 ($(jq -r .reason <<<"$sw")), decided $detect ms after first seen (limit $limit ms)")
  ok "${results[-1]}"
  lab clear wan0 >/dev/null
  wait "$far" "$pbx" || true   # calls cut by the fault may fail; SIPp ends by its -timeout
}
# A real blackhole with calls talking: still a switch within the target.
fault_case blackhole blackhole "probe_loss|media_blackout" 200
# Media plane down, ICMP and SIP pass: only the media rule can see it, at
# the shipped blackout time (120 ms) + 50 ms.
fault_case rtp-blackhole rtp-blackhole media_blackout $((120 + 50))
echo "--- figures"
printf '%s\n' "${results[@]}"
e2e_done
