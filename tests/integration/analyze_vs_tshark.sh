#!/usr/bin/env bash
# timeout: 120
# tg-analyze agrees with Wireshark on a capture made by real software: two
# namespaces joined by a veth, tg-callgen UAS on one side and two UACs on the
# other (concurrent G.711 calls answered 200 over IPv4 and one over IPv6,
# plus calls refused 486), RTP
# impaired both ways with loss, delay and jitter large enough to reorder
# (tg-impair over NFQUEUE: this kernel has no sch_netem), captured by tcpdump
# on the UAS side. Then, per RTP stream, `tg-analyze --json` must match
# `tshark -q -z rtp,streams`: packets and lost exactly, max and mean jitter
# within 0.1 ms or 2 %; and the calls (count, answered, final code per
# Call-ID) must match what tshark decodes.
#   KEEP=DIR   keep the capture and the outputs in DIR
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
need_root
need_cmd tshark tcpdump iptables-legacy ip6tables-legacy
need_bin tg-callgen tg-impair tg-analyze
callgen=$bin/tg-callgen impair=$bin/tg-impair analyze=$bin/tg-analyze
py=$PY

P=tgan$$
A=${P}a B=${P}b
temp_dir work "$P"
keep_work() { if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp -r "$work"/. "$KEEP"/; fi; }
on_exit keep_work
# until CMD succeeds or SECONDS_ pass
poll() {
  local limit=$1; shift
  local deadline=$((SECONDS + limit))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
}

netns_add "$A" "$B"
ip link add va netns "$A" type veth peer name vb netns "$B"
ip -n "$A" addr add 192.0.2.1/24 dev va
ip -n "$B" addr add 192.0.2.2/24 dev vb
ip -n "$B" addr add 192.0.2.3/24 dev vb
ip -n "$A" addr add 2001:db8::1/64 dev va nodad
ip -n "$B" addr add 2001:db8::2/64 dev vb nodad
for n in "$A" "$B"; do ip -n "$n" link set lo up; done
ip -n "$A" link set va up
ip -n "$B" link set vb up

# Media (everything but SIP on 5060) leaves each side through tg-impair:
# 15 ms +- 14 ms (20 ms packet spacing, so some packets overtake others) and
# 4 % loss. SIP is left alone so the call outcomes are deterministic.
for n in "$A" "$B"; do
  for ipt in iptables-legacy ip6tables-legacy; do
    ip netns exec "$n" $ipt -A OUTPUT -p udp --dport 5060 -j ACCEPT
    ip netns exec "$n" $ipt -A OUTPUT -p udp --sport 5060 -j ACCEPT
    ip netns exec "$n" $ipt -A OUTPUT -p udp --dport 9 -j ACCEPT  # the end-of-capture marker
    ip netns exec "$n" $ipt -A OUTPUT -p udp -j NFQUEUE --queue-num 1 \
      || fail "no NFQUEUE target in this kernel"
  done
  echo "delay_ms=15 jitter_ms=14 loss_pct=4" >"$work/impair-$n.params"
  ip netns exec "$n" "$impair" --queue 1 --params "$work/impair-$n.params" --seed "$RANDOM" \
    --max-time 90 2>"$work/impair-$n.log" &
  cleanup_pid "$!"
done

cap=$work/calls.pcap
ip netns exec "$B" tcpdump -i vb --immediate-mode -U -n -w "$cap" -c 50000 udp 2>"$work/tcpdump.log" &
tcpdump_pid=$!
cleanup_pid "$tcpdump_pid"
poll 10 grep -q "listening on" "$work/tcpdump.log" || fail "tcpdump did not start"

udp_bound() { ip netns exec "$1" ss -Hnlu "sport = :$2" | grep -q .; }
ip netns exec "$B" "$callgen" --mode uas --local 192.0.2.2:5060 --calls 4 --rtcp-interval 1 --max-time 60 \
  --summary "$work/uas200.json" 2>"$work/uas200.log" &
cleanup_pid "$!"
uas200=$!
ip netns exec "$B" "$callgen" --mode uas --local 192.0.2.3:5060 --calls 2 --answer-code 486 --max-time 60 \
  --summary "$work/uas486.json" 2>"$work/uas486.log" &
cleanup_pid "$!"
poll 10 udp_bound "$B" 5060 || fail "UAS did not bind 5060"
ip netns exec "$B" "$callgen" --mode uas --local "[2001:db8::2]:5060" --calls 1 --rtcp-interval 1 --max-time 60 \
  --summary "$work/uas6.json" 2>"$work/uas6.log" &
cleanup_pid "$!"
uas6=$!
poll 10 bash -c "ip netns exec $B ss -Hnlu | grep -q 192.0.2.3:5060" || fail "busy UAS did not bind"
poll 10 bash -c "ip netns exec $B ss -Hnlu | grep -qF '[2001:db8::2]:5060'" || fail "IPv6 UAS did not bind"

ip netns exec "$A" "$callgen" --mode uac --local 192.0.2.1:5060 --remote 192.0.2.2:5060 --calls 4 --rate 8 \
  --duration 5 --rtcp-interval 1 --max-time 40 --summary "$work/uac200.json" 2>"$work/uac200.log" &
uac200=$!
cleanup_pid "$uac200"
ip netns exec "$A" "$callgen" --mode uac --local 192.0.2.1:5062 --remote 192.0.2.3:5060 --calls 2 --rate 8 \
  --duration 2 --rtp-base 21000 --max-time 40 --summary "$work/uac486.json" 2>"$work/uac486.log" &
uac486=$!
cleanup_pid "$uac486"
ip netns exec "$A" "$callgen" --mode uac --local "[2001:db8::1]:5060" --remote "[2001:db8::2]:5060" --calls 1 \
  --duration 4 --rtp-base 22000 --rtcp-interval 1 --max-time 40 --summary "$work/uac6.json" 2>"$work/uac6.log" &
uac6=$!
cleanup_pid "$uac6"
wait "$uac200" || fail "UAC (200) failed: $(cat "$work/uac200.log")"
wait "$uac6" || fail "UAC (IPv6) failed: $(cat "$work/uac6.log")"
wait "$uac486" || true  # exits non-zero because its calls fail, as asked
poll 15 bash -c "! kill -0 $uas200 2>/dev/null && ! kill -0 $uas6 2>/dev/null" || fail "UAS did not finish its calls"

# Let packets still held by tg-impair (< 30 ms) reach the capture: wait until
# the capture stops growing. Then send a marker datagram (discard port, not
# impaired) and stop tcpdump only once the marker is in the file: tcpdump
# writes in order, so everything before it is written (on a loaded machine
# tcpdump can lag the kernel by more than any quiet period).
size() { stat -c %s "$cap"; }
last=-1
stable() { local s; s=$(size); [ "$s" = "$last" ] && return 0; last=$s; sleep 0.3; return 1; }
poll 10 stable || fail "capture never settled"
marker="tgan-capture-end-$$"
ip netns exec "$A" bash -c "printf '%s' '$marker' >/dev/udp/192.0.2.2/9"
poll 10 grep -qaF "$marker" "$cap" || fail "end marker never reached the capture"
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
got=$(sed -nE 's/^([0-9]+) packets captured/\1/p' "$work/tcpdump.log")
seen=$(sed -nE 's/^([0-9]+) packets received by filter/\1/p' "$work/tcpdump.log")
echo "capture: $got packets"
[ -n "$got" ] && [ "$got" = "$seen" ] || fail "tcpdump wrote $got of $seen packets: capture incomplete"

tshark -q -o rtp.heuristic_rtp:FALSE -z rtp,streams -r "$cap" >"$work/tshark-rtp.txt" 2>/dev/null
tshark -r "$cap" -Y 'sip.CSeq.method == "INVITE" && sip.Status-Code >= 200' \
  -T fields -e sip.Call-ID -e sip.Status-Code >"$work/tshark-final.txt" 2>/dev/null
"$analyze" --json "$cap" >"$work/analyze.json" || fail "tg-analyze failed on $cap"

"$py" - "$work/tshark-rtp.txt" "$work/tshark-final.txt" "$work/analyze.json" "$top/tests/integration/lib" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[4])
import tshark_rtp
rtp_txt, finals_txt, ours_path = sys.argv[1:4]
ours = json.load(open(ours_path))
theirs = tshark_rtp.parse_streams(rtp_txt)
mine = tshark_rtp.ours_streams(ours)
bad = []
if len(theirs) < 10:
    bad.append(f"tshark found only {len(theirs)} RTP streams (expected 10 from 5 answered calls)")
if not any(k[0].startswith("[") for k in theirs):
    bad.append("no IPv6 stream in the capture")
bad += tshark_rtp.compare(theirs, mine)
total_lost = sum(t["lost"] for k, t in theirs.items() if k in mine)
if theirs and total_lost == 0:
    bad.append("no loss in the capture: the impairment did not work, the comparison proves little")

# Calls: one final response to each INVITE, per Call-ID.
finals = {}
for line in open(finals_txt):
    parts = line.split()
    if len(parts) == 2:
        finals[parts[0]] = int(parts[1])
calls = {c["call_id"]: c for c in ours["calls"]}
answered = sum(1 for c in ours["calls"] if 200 <= (c["final_code"] or 0) < 300)
print(f"calls: tg-analyze {len(calls)} ({answered} answered), tshark {len(finals)} "
      f"({sum(1 for v in finals.values() if v == 200)} answered)")
if len(finals) != 7:
    bad.append(f"tshark saw {len(finals)} final INVITE responses, expected 7")
if set(finals) != set(calls):
    bad.append(f"call sets differ: tshark {sorted(finals)}, tg-analyze {sorted(calls)}")
for cid in set(finals) & set(calls):
    c = calls[cid]
    if c["final_code"] != finals[cid]:
        bad.append(f"call {cid}: final_code {c['final_code']} vs tshark {finals[cid]}")
    if (c["state"] == "answered") != (finals[cid] == 200):
        bad.append(f"call {cid}: state {c['state']} with final code {finals[cid]}")
if answered != sum(1 for v in finals.values() if v == 200):
    bad.append(f"answered {answered} vs tshark {sum(1 for v in finals.values() if v == 200)}")
s = ours["summary"]
if s["calls"] != len(calls) or s["streams"] != len(mine):
    bad.append(f"summary {s} disagrees with the lists")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
echo "tg-analyze agrees with tshark"
