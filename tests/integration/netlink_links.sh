#!/usr/bin/env bash
# timeout: 60
# drivers/netlink against a real kernel, in a namespace of our own: a veth
# pair; taking one end down is seen by tg-netlink watch as the peer losing
# its carrier within milliseconds (and coming back); addresses, a default
# route in a per-uplink table, the main default route and an idempotent
# policy rule set through libnl are what `ip -j` reports.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
need_root
need_bin tg-netlink
nl=$bin/tg-netlink
ns=tgfo$$n
temp_dir run tgfo-netlink
fail_details() { for f in "$run"/*.jsonl; do [ -f "$f" ] && { echo "== $f"; tail -n 5 "$f"; }; done; return 0; }

nsx() { ip netns exec "$ns" "$@"; }
json_num() { grep -o "\"$1\":[0-9]*" | head -n 1 | cut -d: -f2; }

# Waits (bounded) until file $1 has a line matching $2.
wait_line() {
  local deadline=$((SECONDS + $3))
  until grep -q "$2" "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.02
  done
}

netns_add "$ns"
nsx ip link add tgfoa type veth peer name tgfob
nsx ip link set tgfoa up
nsx ip link set tgfob up
deadline=$((SECONDS + 5))
until nsx ip link show tgfob | grep -q LOWER_UP; do
  ((SECONDS < deadline)) || fail "veth never got its carrier"
  sleep 0.02
done

# measure ACTION EXPECT: runs the watcher, does the action, returns the delay.
measure() {
  local name=$1 action=$2 until=$3
  nsx "$nl" watch --ifname tgfoa --ifname tgfob "$until" tgfob --timeout-ms 10000 >"$run/$name.jsonl" &
  local w=$!
  cleanup_pid "$w"
  wait_line "$run/$name.jsonl" '"ready"' 5 || fail "$name: watcher not ready"
  nsx "$nl" "$action" tgfoa >"$run/$name.op.json" || fail "$name: $action tgfoa: $(cat "$run/$name.op.json")"
  wait "$w" || fail "$name: watcher exited $? (no event within 10 s)"
  # JSON lines checked with awk: python's start-up is seconds on a loaded box.
  local want=false
  [ "$name" = carrier_up ] && want=true
  awk -v want="$want" -v name="$name" -v t0="$(json_num mono_ns <"$run/$name.op.json")" '
    function num(key,   m) { return match($0, "\"" key "\":[0-9]+") ? substr($0, RSTART + length(key) + 3, RLENGTH - length(key) - 3) : "" }
    /"event":"link"/ && /"name":"tgfob"/ { last = $0; t = num("mono_ns") }
    /"event":"link"/ && /"name":"tgfoa"/ && /"admin_up":false/ { own_down = 1 }
    END {
      if (last == "") { print name ": no event for the peer"; exit 1 }
      if (index(last, "\"carrier\":" want) == 0) { print name ": peer carrier not " want ": " last; exit 1 }
      if (name == "carrier_down" && !own_down) { print name ": no admin-down event for tgfoa"; exit 1 }
      ms = (t - t0) / 1e6
      printf "%s: peer event after %.2f ms\n", name, ms
      if (ms < 0 || ms >= 100) exit 1  # typically 1-15 ms; room for a loaded machine
    }' "$run/$name.jsonl"
}

measure carrier_down down --until-down || fail "carrier down"
measure carrier_up up --until-up || fail "carrier up"

# Addresses, per-uplink table, main default route, rule (twice: idempotent).
nsx "$nl" addr-add tgfoa 192.0.2.2/24 >/dev/null || fail "addr-add"
nsx "$nl" addr-add tgfoa 2001:db8:1::2/64 >/dev/null || fail "addr-add v6"
nsx "$nl" route tgfoa 192.0.2.1 100 >/dev/null || fail "route table 100"
nsx "$nl" route tgfoa 192.0.2.1 254 >/dev/null || fail "route main"
nsx "$nl" route tgfob - 101 >/dev/null || fail "on-link route table 101"
nsx "$nl" rule 1000 192.0.2.2/32 100 >/dev/null || fail "rule"
nsx "$nl" rule 1000 192.0.2.2/32 100 >/dev/null || fail "rule again"
nsx "$nl" addr-add tgfo-none 192.0.2.9/24 >"$run/bad.json" && fail "address on a missing link accepted"
grep -q '"ok":false' "$run/bad.json" || fail "no error for a missing link"

nsx ip -j addr show dev tgfoa >"$run/addr.json"
nsx ip -j route show table 100 >"$run/t100.json"
nsx ip -j route show table 101 >"$run/t101.json"
nsx ip -j route show default >"$run/main.json"
nsx ip -j rule show >"$run/rules.json"
python3 - "$run" <<'PY' || fail "kernel state differs"
import json, sys
d = sys.argv[1]
j = lambda n: json.load(open(f"{d}/{n}.json"))
addrs = {(a["local"], a["prefixlen"]) for a in j("addr")[0]["addr_info"]}
assert ("192.0.2.2", 24) in addrs and ("2001:db8:1::2", 64) in addrs, addrs
t100 = j("t100")
assert len(t100) == 1 and t100[0]["dst"] == "default" and t100[0]["gateway"] == "192.0.2.1" and t100[0]["dev"] == "tgfoa", t100
t101 = j("t101")
assert len(t101) == 1 and t101[0]["dev"] == "tgfob" and "gateway" not in t101[0], t101
main = j("main")
assert len(main) == 1 and main[0]["gateway"] == "192.0.2.1", main
rules = [r for r in j("rules") if r.get("priority") == 1000]
assert len(rules) == 1 and rules[0]["src"] == "192.0.2.2" and rules[0]["table"] == "100", rules
print("addresses, tables 100/101, main default route, one rule: ok")
PY
# Replacing the main default route moves it (what a switch does).
nsx "$nl" route tgfob - 254 >/dev/null || fail "route main replace"
r=$(nsx ip route show default)
[[ $r == "default dev tgfob "* && $(wc -l <<<"$r") -eq 1 ]] || fail "main default route not replaced: $r"
nsx "$nl" rule-del 1000 192.0.2.2/32 100 >/dev/null || fail "rule-del"
nsx "$nl" route-del 4 100 >/dev/null || fail "route-del"
[ -z "$(nsx ip route show table 100)" ] || fail "table 100 not empty"

# RouteSync through libnl (what the daemon does): a second uplink whose
# links start down (as the LTE netdev), per-uplink tables and rules, the
# main default route following the active uplink; twice, no duplicates.
nsx ip link add tgfoc type veth peer name tgfod
# The first uplink has IPv6 too (its table, rule and the main IPv6 default
# route); the second has none: while it is active there is no IPv6 default.
uplinks=(--uplink tgfoa,192.0.2.2/24,192.0.2.1,110,1100,2001:db8:a::2/64,2001:db8:a::1
         --uplink tgfoc,198.51.100.2/24,198.51.100.1,111,1101
         --bring-up tgfoc --bring-up tgfod)
nsx "$nl" sync --active 0 "${uplinks[@]}" >"$run/sync0.json" || fail "sync 0: $(cat "$run/sync0.json")"
nsx ip link show tgfoc | grep -q 'state UP' || fail "sync did not bring tgfoc up"
r=$(nsx ip route show default)
[[ $r == "default via 192.0.2.1 dev tgfoa "* && $(wc -l <<<"$r") -eq 1 ]] || fail "active 0: main default is: $r"
nsx ip route show table 111 | grep -q '^default via 198.51.100.1 dev tgfoc' || fail "table 111: $(nsx ip route show table 111)"
r=$(nsx ip -6 route show table 110 default)
[[ $r == "default via 2001:db8:a::1 dev tgfoa "* ]] || fail "IPv6 table 110: $r"
r=$(nsx ip -6 route show default)
[[ $r == "default via 2001:db8:a::1 dev tgfoa "* && $(wc -l <<<"$r") -eq 1 ]] || fail "active 0: main IPv6 default is: $r"
# No duplicate address detection: usable at once, not tentative.
nsx ip -6 addr show dev tgfoa | grep '2001:db8:a::2/64' | grep -qv tentative || fail "IPv6 address: $(nsx ip -6 addr show dev tgfoa)"
nsx "$nl" sync --active 1 "${uplinks[@]}" >"$run/sync1.json" || fail "sync 1: $(cat "$run/sync1.json")"
r=$(nsx ip route show default)
[[ $r == "default via 198.51.100.1 dev tgfoc "* && $(wc -l <<<"$r") -eq 1 ]] || fail "active 1: main default is: $r"
[ "$(nsx ip rule show | grep -c 'from 198.51.100.2 lookup 111')" = 1 ] || fail "rule 1101 missing or duplicated: $(nsx ip rule show)"
[ "$(nsx ip rule show | grep -c 'from 192.0.2.2 lookup 110')" = 1 ] || fail "rule 1100 missing or duplicated"
[ "$(nsx ip -6 rule show | grep -c 'from 2001:db8:a::2 lookup 110')" = 1 ] || fail "IPv6 rule 1100: $(nsx ip -6 rule show)"
[ -z "$(nsx ip -6 route show default)" ] || fail "active 1 (no IPv6): main IPv6 default is: $(nsx ip -6 route show default)"
# Removing what is already gone is no error (a resync while on it).
nsx "$nl" sync --active 1 "${uplinks[@]}" >"$run/sync1b.json" || fail "sync 1 again: $(cat "$run/sync1b.json")"
echo "route sync: tables 110/111, rules, main default (IPv4 and IPv6) follows the active uplink: ok"

# LinkWatch through libnl: initial state per uplink, then only changes.
deadline=$((SECONDS + 5))
until nsx ip link show tgfod | grep -q LOWER_UP; do
  ((SECONDS < deadline)) || fail "tgfod never got its carrier"
  sleep 0.02
done
nsx "$nl" watch --uplinks tgfob,tgfod --count 1 --timeout-ms 10000 >"$run/uplinks.jsonl" &
w=$!
cleanup_pid "$w"
wait_line "$run/uplinks.jsonl" '"ready"' 5 || fail "uplink watcher not ready"
nsx "$nl" down tgfoc >"$run/uplinks.op.json" || fail "down tgfoc"
wait "$w" || fail "uplink watcher: no carrier change"
t0=$(json_num mono_ns <"$run/uplinks.op.json")
c=$(grep '"event":"carrier"' "$run/uplinks.jsonl" | sed 's/"name":"[^"]*",//; s/"mono_ns":\([0-9]*\)/\1/')
[ "$(sed -n 1p <<<"$c" | grep -o '"uplink":0,"up":true')" ] || fail "initial uplink 0 state: $c"
[ "$(sed -n 2p <<<"$c" | grep -o '"uplink":1,"up":true')" ] || fail "initial uplink 1 state: $c"
[ "$(wc -l <<<"$c")" = 3 ] && [ "$(sed -n 3p <<<"$c" | grep -o '"uplink":1,"up":false')" ] || fail "changes: $c"
t1=$(grep '"event":"carrier"' "$run/uplinks.jsonl" | sed -n 3p | json_num mono_ns)
ms=$(( (t1 - t0) / 1000000 ))
echo "uplink 1 carrier down seen after ${ms} ms"
(( ms >= 0 && ms < 100 )) || fail "uplink carrier change after $ms ms"
echo "PASS"
