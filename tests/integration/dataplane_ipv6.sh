#!/usr/bin/env bash
# timeout: 180
# tg-dataplane forwards IPv6 in the virtual lab (2001:db8::/32 only): the LAN
# host routes via the gateway's LAN address (static route; the gateway
# answers Neighbor Solicitations with the Router flag), pings the far phones
# and the gateway, and sends UDP from port 40000 to the far side, which sees
# wan0's IPv6 address with the port kept (SNAT) and echoes back. Then Carrier
# A's link goes down: the same flow leaves with wan1's address, same port,
# and the echoes still come back (reverse path on wan1). Last, a tg-callgen
# call over IPv6 completes through wan1.
set -euo pipefail
P=tgv6$$
. "$(dirname "$0")/lib/dataplane_lab.sh" tgv6
fail_details() {
  echo "at ${SECONDS}s" >&2
  [ -f "$run/stats.json" ] && jq -c '{active_uplink, nat6_entries, lan: .ports.lan.rx_dispositions,
    wan0: .ports.wan0.rx_dispositions, wan1: .ports.wan1.rx_dispositions}' "$run/stats.json"
  [ -f "$run/dp.log" ] && tail -n 5 "$run/dp.log"
}

# The virtual board without taps (the exception path is dataplane_forward's
# business). Only the link-down may switch here: probes are lenient, so a
# starved process on a loaded machine does not fail over on its own.
cat >"$run/failover.conf" <<'CONF'
probe_interval_ms = 100
probe_timeout_ms = 1000
miss_threshold = 30
CONF
mkdir -p "$run/board"
sed -E 's/ tap=[^ ]+//' "$top/board/virtual/ports" >"$run/board/ports"
grep -q "addr6=$LAN6_GW/" "$run/board/ports" || fail "board/virtual/ports has no IPv6 on the LAN"
lab up >/dev/null
lab exec gw nice -n -10 "$TG_BUILD/bin/tg-dataplane" --no-huge -m 512 --no-pci --no-shconf --no-telemetry -l 0 \
  -- --board "$run/board" --config "$run/failover.conf" --shm-prefix none --stats "$run/stats.json" >"$run/dp.log" 2>&1 &
dp=$!
cleanup_pid $dp

active() { jq -r .active_uplink "$run/stats.json" 2>/dev/null || echo none; }
deadline=$((SECONDS + 30))
until [ "$(active)" = wan0 ]; do
  kill -0 "$dp" 2>/dev/null || fail "tg-dataplane exited"
  ((SECONDS < deadline)) || fail "wan0 not active after 30 s"
  sleep 0.05
done

# The first packets wait for ND (gateway's NS to Carrier A, the host's NS
# for the gateway); poll until one ping makes it through.
deadline=$((SECONDS + 20))
until lab exec lan ping -6 -c 1 -W 1 "$FAR6_PHONES" >/dev/null 2>&1; do
  kill -0 "$dp" 2>/dev/null || fail "tg-dataplane exited"
  ((SECONDS < deadline)) || fail "no IPv6 ping through the gateway within 20 s"
done
out=$(lab exec lan ping -6 -q -c 30 -i 0.02 -W 1 "$FAR6_PHONES" || true)
grep -q ' 0% packet loss' <<<"$out" || fail "IPv6 ping lost packets: $out"
echo "ping far: $(tail -n 1 <<<"$out")"
lab exec lan ping -6 -q -c 3 -i 0.1 -W 1 "$LAN6_GW" | grep -q ' 0% packet loss' || fail "gateway's LAN6 address does not answer"
# The gateway answered the host's solicitation as a router.
lab exec lan ip -6 neigh show "$LAN6_GW" | grep -q router || fail "gateway not a router in the host's ND cache: $(lab exec lan ip -6 neigh)"

# UDP: the far side echoes every datagram and counts the sources it sees;
# the LAN host sends one every 10 ms from port 40000 until told to stop.
cat >"$run/echo.py" <<'PY'
import json, os, socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5004)); s.settimeout(0.2)
seen = {}; last = None; gap = 0.0; end = time.time() + 60; flushed = 0
while time.time() < end and not os.path.exists(sys.argv[2] + ".stop"):
    try:
        d, a = s.recvfrom(2048)
        now = time.monotonic()
        if last is not None: gap = max(gap, now - last)
        last = now
        k = f"[{a[0]}]:{a[1]}"; seen[k] = seen.get(k, 0) + 1
        s.sendto(d, a)
    except socket.timeout:
        pass
    if time.time() - flushed > 0.1:
        flushed = time.time()
        with open(sys.argv[2] + ".tmp", "w") as f: json.dump({"seen": seen, "gap_ms": round(gap * 1000)}, f)
        os.replace(sys.argv[2] + ".tmp", sys.argv[2])
with open(sys.argv[2] + ".tmp", "w") as f: json.dump({"seen": seen, "gap_ms": round(gap * 1000)}, f)
os.replace(sys.argv[2] + ".tmp", sys.argv[2])
PY
cat >"$run/send.py" <<'PY'
import os, socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 40000)); s.setblocking(False)
sent = got = 0; end = time.time() + 45
while time.time() < end and not os.path.exists(sys.argv[2]):
    s.sendto(b"v6-%06d" % sent + b"." * 160, (sys.argv[1], 5004)); sent += 1
    time.sleep(0.01)
    try:
        while True: s.recv(2048); got += 1
    except BlockingIOError:
        pass
print(sent, got, flush=True)
PY
lab exec far python3 "$run/echo.py" "$FAR6_PHONES" "$run/far.json" &
cleanup_pid $!
echo_pid=$!
deadline=$((SECONDS + 30))   # python starts slowly on a loaded machine
until [[ $(lab exec far ss -Hlun) == *":5004 "* ]]; do
  ((SECONDS < deadline)) || fail "UDP echo did not start"
  sleep 0.1
done
lab exec lan python3 "$run/send.py" "$FAR6_PHONES" "$run/send.stop" >"$run/send.txt" &
cleanup_pid $!
send_pid=$!

seen_from() { jq -r --arg k "$1" '.seen[$k] // 0' "$run/far.json" 2>/dev/null || echo 0; }
wan0_src="[$WAN0_6_GW]:40000"
wan1_src="[$WAN1_6_GW]:40000"
deadline=$((SECONDS + 30))   # python again
until (( $(seen_from "$wan0_src") >= 20 )); do
  ((SECONDS < deadline)) || fail "far side saw $(cat "$run/far.json" 2>/dev/null), want 20 from $wan0_src"
  sleep 0.1
done
jq -e '.seen | keys == ["'"$wan0_src"'"]' "$run/far.json" >/dev/null \
  || fail "far side saw other sources than $wan0_src: $(cat "$run/far.json")"

# Carrier A's end of the link goes down: the flow moves to wan1's address.
lab fault wan0 down >/dev/null
deadline=$((SECONDS + 30))
until (( $(seen_from "$wan1_src") >= 20 )); do
  ((SECONDS < deadline)) || fail "after link down: far side saw $(cat "$run/far.json"), active $(active)"
  sleep 0.1
done
touch "$run/send.stop" "$run/far.json.stop"
wait "$send_pid" || true
wait "$echo_pid" || true
read -r sent got <"$run/send.txt"
far=$(cat "$run/far.json")
echo "udp: sent $sent, echoed back $got; far side: $far"
[ "$(active)" = wan1 ] || fail "active is $(active), not wan1"
jq -e '([.recent_switches[] | select(.reason != "initial")] | length == 1)
  and (.recent_switches[-1] | .to == "wan1" and .reason == "link_down")' "$run/stats.json" >/dev/null \
  || fail "switches: $(jq -c '{switches, recent_switches}' "$run/stats.json")"
(( got >= sent * 9 / 10 )) || fail "only $got of $sent echoes came back"
# The switch time itself is dataplane_failover's to assert (RTP, 500 ms);
# here a Python sender on a shared machine would make it flaky: reported.
echo "longest gap at the far side across the switch: $(jq .gap_ms <<<"$far") ms"

# Counters: NAT6 mappings exist, replies came in on both uplinks, and every
# LAN packet has exactly one disposition.
deadline=$((SECONDS + 5))
until python3 - "$run/stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
lan, w0, w1 = s["ports"]["lan"], s["ports"]["wan0"], s["ports"]["wan1"]
d = lan["rx_dispositions"]
ok = (s["nat6_entries"] >= 1 and d.get("forwarded_out", 0) >= 70 and d.get("nd_answered", 0) >= 1
      and w0["rx_dispositions"].get("forwarded_in", 0) >= 20 and w1["rx_dispositions"].get("forwarded_in", 0) >= 20
      and w1["rx_dispositions"].get("nd_learned", 0) >= 1 and w1["generated"]["nd_solicits"] >= 1
      and sum(d.values()) - d.get("from_kernel", 0) == lan["rx"])
print(json.dumps({"nat6": s["nat6_entries"], "lan": d, "wan1_in": w1["rx_dispositions"]}))
sys.exit(0 if ok else 1)
PY
do
  ((SECONDS < deadline)) || fail "counters do not add up"
  sleep 0.2
done

# A SIP call over IPv6 through the gateway (now on wan1): tg-callgen both
# ends, the far end latching onto the media source it sees.
lab exec far "$TG_BUILD/bin/tg-callgen" --mode uas --local "[$FAR6_PHONES]:5060" --calls 1 --latch \
  --max-time 25 --summary "$run/uas.json" >"$run/uas.log" 2>&1 &
uas=$!
cleanup_pid $uas
deadline=$((SECONDS + 20))
until [[ $(lab exec far ss -Hlun) == *"[$FAR6_PHONES]:5060 "* ]]; do
  ((SECONDS < deadline)) || fail "UAS did not start: $(tail -n 3 "$run/uas.log")"
  sleep 0.1
done
lab exec lan "$TG_BUILD/bin/tg-callgen" --mode uac --local "[$LAN6_PBX]:5060" --remote "[$FAR6_PHONES]:5060" \
  --calls 1 --duration 2 --max-time 20 --summary "$run/uac.json" >"$run/uac.log" 2>&1 \
  || fail "UAC failed: $(tail -n 3 "$run/uac.log")"
wait "$uas" || fail "UAS failed: $(tail -n 3 "$run/uas.log")"
jq -e '.calls.completed == 1' "$run/uas.json" >/dev/null || fail "IPv6 call did not complete: $(cat "$run/uas.json")"
src=$(jq -r '.call_list[0].received[0].src' "$run/uas.json")
pkts=$(jq -r '.call_list[0].received[0].packets' "$run/uas.json")
echo "callgen over IPv6: far side received $pkts RTP packets from $src"
[[ $src == "[$WAN1_6_GW]:"* ]] || fail "far side saw RTP from $src, want wan1's $WAN1_6_GW"
(( pkts >= 80 )) || fail "far side received only $pkts RTP packets in a 2 s call"
echo PASS
