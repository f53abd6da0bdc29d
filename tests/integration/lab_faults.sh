#!/usr/bin/env bash
# timeout: 90
# The virtual board's lab and its fault injection do what they claim, measured
# with forwarded traffic: delay, jitter, loss, blackhole, link down and the
# SBC's 503, each applied and then cleared. (The gateway gets temporary kernel
# addresses here only to have an end point; tg-dataplane owns them in the lab.)
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
need_root
P=tglf$$
lab() { "$top/tools/lab/lab" --prefix "$P" "$@"; }
on_exit 'lab down >/dev/null 2>&1'
. "$top/tools/lab/lab.env"

lab up
# The lab drops kernel input on the gateway's uplink veths (tg-dataplane
# owns them); here the gateway's kernel is the end point, so wan0 takes input.
lab exec gw iptables-legacy -w -D INPUT -i wan0 -j DROP
lab exec gw ip addr add "$WAN0_GW/28" dev wan0
lab exec gw ip route add 203.0.113.0/24 via "$WAN0_PEER"

# avg rtt in ms of N pings far -> gateway (forwarded by Carrier A)
rtt() { lab exec far ping -q -c "$1" -i 0.02 -W 1 "$WAN0_GW" | sed -nE 's|.*= [0-9.]+/([0-9.]+)/.*|\1|p'; }
lost_pct() { { lab exec far ping -q -c "$1" -i 0.01 -W 1 "$WAN0_GW" || true; } | sed -nE 's/.* ([0-9.]+)% packet loss.*/\1/p'; }
# poll until tg-impair has picked up its params file (re-read every 100 ms)
settle() {
  local want=$1 deadline=$((SECONDS + 5)) r
  while ((SECONDS < deadline)); do
    r=$(rtt 2)
    awk -v r="${r:-0}" -v w="$want" 'BEGIN{exit !(r >= w)}' && return 0
  done
  return 1
}

base=$(rtt 5); echo "base rtt $base ms"
awk -v r="$base" 'BEGIN{exit !(r < 20)}' || fail "base rtt $base ms"

lab fault wan0 delay 80
settle 70 || fail "delay never applied"
d=$(rtt 10); echo "delay 80: rtt $d ms"
awk -v r="$d" 'BEGIN{exit !(r > 75 && r < 120)}' || fail "delay 80 gave rtt $d"
lab clear wan0
deadline=$((SECONDS + 5))
until d=$(rtt 3); awk -v r="$d" 'BEGIN{exit !(r < 20)}'; do
  ((SECONDS < deadline)) || fail "delay not cleared: $d ms"
done

lab fault wan0 jitter 20
settle 5 || fail "jitter never applied"
out=$(lab exec far ping -q -c 40 -i 0.02 -W 1 "$WAN0_GW" | tail -n 1)
echo "jitter 20: $out"
mdev=$(sed -nE "s|.* = [0-9.]+/[0-9.]+/[0-9.]+/([0-9.]+) ms.*|\1|p" <<<"$out")
awk -v m="$mdev" 'BEGIN{exit !(m > 5)}' || fail "jitter 20 gave mdev $mdev"
lab clear wan0

lab fault wan0 loss 20          # both ways: a round trip survives with 0.8^2
l=$(lost_pct 400); echo "loss 20: round-trip loss $l %"
awk -v l="$l" 'BEGIN{exit !(l > 22 && l < 50)}' || fail "loss 20 gave $l % round trip"
lab clear wan0
l=$(lost_pct 50); [ "$l" = 0 ] || fail "loss not cleared: $l %"

lab fault wan0 blackhole
l=$(lost_pct 20); [ "$l" = 100 ] || fail "blackhole let through $l % loss"
lab exec gw ip -br link show wan0 | grep -q LOWER_UP || fail "blackhole took the link down"
lab clear wan0

lab fault wan0 down
lab exec gw ip -br link show wan0 | grep -q NO-CARRIER || fail "gateway sees no carrier loss"
lab clear wan0
lab exec gw ip -br link show wan0 | grep -q LOWER_UP || fail "link not back"

# The SBC: OPTIONS answered 200, 503 + Retry-After during sip503, 200 again.
lab sbc start
options() {
  lab exec far python3 - "$FAR_SBC" "$FAR_CARA" <<'PY'
import socket, sys
sbc, me = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((me, 0)); s.settimeout(2)
port = s.getsockname()[1]
s.sendto((f"OPTIONS sip:{sbc} SIP/2.0\r\nVia: SIP/2.0/UDP {me}:{port};branch=z9hG4bK{port}\r\n"
          f"Max-Forwards: 70\r\nFrom: <sip:probe@{me}>;tag={port}\r\nTo: <sip:{sbc}>\r\n"
          f"Call-ID: {port}@lab\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode(), (sbc, 5060))
r = s.recv(4000).decode()
print(r.split("\r\n")[0], "retry-after" if "Retry-After:" in r else "")
PY
}
o=$(options); echo "$o"; [[ $o == "SIP/2.0 200"* ]] || fail "SBC: $o"
lab fault wan0 sip503
o=$(options); echo "$o"; [[ $o == "SIP/2.0 503"*retry-after* ]] || fail "SBC in sip503: $o"
lab clear wan0
o=$(options); [[ $o == "SIP/2.0 200"* ]] || fail "SBC after clear: $o"
echo "lab faults: all behave"
