#!/usr/bin/env bash
# timeout: 120
# tg-dataplane forwards in the virtual lab: net_af_packet ports on the
# gateway's veths, LAN host -> far side through Carrier A (wan0) with SNAT to
# wan0's address, port preserved, and the replies back; ARP and echo for the
# gateway's own address; the box's own traffic through the exception path
# (the kernel's tap-wan0 pings the far SBC over IPv4 and IPv6, the LAN host
# reaches a socket on tap-lan); counters add up in the JSON stats.
set -euo pipefail
P=tgfp$$
. "$(dirname "$0")/lib/dataplane_lab.sh" tgfp-fwd
fail_details() { [ -f "$run/dp.log" ] && tail -n 20 "$run/dp.log"; }

board=$top/board/virtual
if [ ! -c /dev/net/tun ]; then   # no taps possible: test forwarding only
  echo "no /dev/net/tun: exception path not tested"
  mkdir -p "$run/board"; sed -E 's/ tap=[^ ]+//' "$board/ports" >"$run/board/ports"; board=$run/board
fi
lab up
lab exec gw "$TG_BUILD/bin/tg-dataplane" --no-huge -m 512 --no-pci --no-shconf --no-telemetry -l 0 \
  -- --board "$board" --stats "$run/stats.json" >"$run/dp.log" 2>&1 &
dp=$!
cleanup_pid $dp

# The first packets wait for ARP; poll until a ping makes it through.
deadline=$((SECONDS + 20))
until lab exec lan ping -c 1 -W 1 "$FAR_PHONES" >/dev/null 2>&1; do
  kill -0 "$dp" 2>/dev/null || fail "tg-dataplane exited"
  ((SECONDS < deadline)) || fail "no ping through the gateway within 20 s"
done

out=$(lab exec lan ping -q -c 50 -i 0.02 -W 1 "$FAR_PHONES" || true)
echo "$out" | tail -n 2
grep -q ' 0% packet loss' <<<"$out" || fail "ping lost packets: $out"
lab exec lan ping -q -c 3 -i 0.1 -W 1 "$LAN_GW" | grep -q ' 0% packet loss' || fail "gateway's LAN address does not answer"

# UDP: the far side echoes and reports the source it saw (the SNAT address
# and port); the LAN host sends 200 datagrams from port 40000.
cat >"$run/echo.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5004)); s.settimeout(30)
seen = set(); n = 0
try:
    while n < 200:
        d, a = s.recvfrom(2048); n += 1; seen.add(a); s.sendto(d, a)
except socket.timeout:
    pass
print(n, " ".join(f"{h}:{p}" for h, p in sorted(seen)), flush=True)
PY
cat >"$run/send.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 40000)); s.settimeout(0.5)
got = 0
for i in range(200):
    s.sendto(b"x%04d" % i + b"." * 160, (sys.argv[1], 5004))
    time.sleep(0.005)
    try:
        while True:
            s.recvfrom(2048); got += 1
            s.settimeout(0.001)
    except socket.timeout:
        s.settimeout(0.5)
end = time.time() + 2
s.settimeout(0.2)
while got < 200 and time.time() < end:
    try: s.recvfrom(2048); got += 1
    except socket.timeout: pass
print(got)
PY
lab exec far python3 "$run/echo.py" "$FAR_PHONES" >"$run/far.txt" &
echo_pid=$!
cleanup_pid $echo_pid
deadline=$((SECONDS + 30))   # python starts slowly on a loaded machine
until [[ $(lab exec far ss -Hlun) == *":5004 "* ]]; do
  ((SECONDS < deadline)) || fail "UDP echo did not start"
done
echoed=$(lab exec lan python3 "$run/send.py" "$FAR_PHONES")
wait "$echo_pid" || true
far=$(cat "$run/far.txt")
echo "udp: far side got '$far', LAN got $echoed echoes back"
read -r far_n far_src <<<"$far"
[ "$far_n" -ge 198 ] || fail "far side received $far_n of 200 datagrams"
[ "$echoed" -ge 196 ] || fail "LAN received $echoed of 200 echoes"
[ "$far_src" = "$WAN0_GW:40000" ] || fail "far side saw source $far_src, want $WAN0_GW:40000 (SNAT, port kept)"

# Counters: out on wan0 only, every LAN packet has one disposition.
deadline=$((SECONDS + 5))
until python3 - "$run/stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
lan, wan0, wan1 = s["ports"]["lan"], s["ports"]["wan0"], s["ports"]["wan1"]
d = lan["rx_dispositions"]
ok = (s["active_uplink"] == "wan0" and d.get("forwarded_out", 0) >= 250
      and wan0["rx_dispositions"].get("forwarded_in", 0) >= 240
      and "forwarded_in" not in wan1["rx_dispositions"]
      and sum(d.values()) - d.get("from_kernel", 0) == lan["rx"])
print(json.dumps({"active": s["active_uplink"], "lan": d, "wan0_in": wan0["rx_dispositions"], "wan1_tx": wan1["tx"]}))
sys.exit(0 if ok else 1)
PY
do
  ((SECONDS < deadline)) || fail "counters do not add up"
  sleep 0.2
done

if [ "$board" = "$top/board/virtual" ]; then
# Exception path: the kernel behind tap-wan0 (same MAC and address as wan0)
# pings the far SBC through Carrier A; a UDP socket on tap-lan answers the
# LAN host.
deadline=$((SECONDS + 20))
until lab exec gw ip -br addr show tap-wan0 2>/dev/null | grep -q "$WAN0_GW/"; do
  ((SECONDS < deadline)) || fail "tap-wan0 has no address"
  sleep 0.1
done
lab exec gw ip route add 203.0.113.0/24 via "$WAN0_PEER" dev tap-wan0
out=$(lab exec gw ping -q -c 5 -i 0.1 -W 2 -I tap-wan0 "$FAR_SBC" || true)
echo "kernel via tap-wan0: $(tail -n 2 <<<"$out" | head -n 1)"
grep -qE ' 0% packet loss' <<<"$out" || fail "the box's own ping through tap-wan0 failed: $out"
cat >"$run/local.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 16161)); s.settimeout(30)
d, a = s.recvfrom(100); s.sendto(b"box:" + d, a)
PY
lab exec gw python3 "$run/local.py" "$LAN_GW" &
cleanup_pid $!
deadline=$((SECONDS + 30))
until [[ $(lab exec gw ss -Hlun) == *":16161 "* ]]; do
  ((SECONDS < deadline)) || fail "local UDP socket did not start"
  sleep 0.1
done
got=$(lab exec lan python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.sendto(b"hello", (sys.argv[1], 16161)); print(s.recv(100).decode())' "$LAN_GW" || true)
[ "$got" = "box:hello" ] || fail "LAN host -> box socket through tap-lan: got '$got'"
# The same over IPv6: tap-wan0 carries wan0's IPv6 address too; the
# kernel's own Neighbor Discovery goes out through the port and the answers
# are copied up to it.
deadline=$((SECONDS + 20))
until lab exec gw ip -br -6 addr show tap-wan0 2>/dev/null | grep -q "$WAN0_6_GW/"; do
  ((SECONDS < deadline)) || fail "tap-wan0 has no IPv6 address"
  sleep 0.1
done
lab exec gw ip -6 route add "$FAR6_NET" via "$WAN0_6_PEER" dev tap-wan0
out=$(lab exec gw ping -6 -q -c 5 -i 0.1 -W 2 -I "$WAN0_6_GW" "$FAR6_SBC" || true)
echo "kernel via tap-wan0 (IPv6): $(tail -n 2 <<<"$out" | head -n 1)"
grep -qE ' 0% packet loss' <<<"$out" || fail "the box's own IPv6 ping through tap-wan0 failed: $out"
jq -e '.ports.wan0.to_kernel > 0 and .ports.wan0.from_kernel > 0 and .ports.lan.to_kernel > 0' "$run/stats.json" >/dev/null \
  || { sleep 0.3; jq -e '.ports.wan0.to_kernel > 0 and .ports.lan.to_kernel > 0' "$run/stats.json" >/dev/null; } \
  || fail "exception path counters: $(jq -c '.ports | map_values({to_kernel, from_kernel})' "$run/stats.json")"
fi

# A clean stop on SIGTERM, within a deadline.
kill -TERM "$dp"
deadline=$((SECONDS + 10))
while kill -0 "$dp" 2>/dev/null; do
  ((SECONDS < deadline)) || fail "tg-dataplane ignored SIGTERM"
  sleep 0.1
done
echo "PASS"
