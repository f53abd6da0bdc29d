#!/usr/bin/env bash
# timeout: 120
# tg-controld's kernel side (control/daemon/kernel_sync) on the virtual
# board, with the real tg-dataplane and its net_tap exception-path
# interfaces in the gateway namespace:
#   - every uplink tap gets its own table (default via its carrier) and a
#     rule "from ITS ADDRESS lookup TABLE"; the main default route goes out
#     of the active uplink's tap (ip -j route / ip -j rule);
#   - a forced switch (failover.force) moves the main default route;
#   - a carrier lost on the active uplink (lab fault: the carrier's end of
#     the veth set down) is reported by `show interfaces` within
#     milliseconds, the fast path fails over and the main route follows;
#   - a backup's carrier loss raises a link_down alarm, its return clears it;
#   - IPv6 the same on the uplinks with addr6=/gw6= (wan0, wan1 on the
#     virtual board): address, table, rule (ip -6 -j route / ip -6 -j rule),
#     the main IPv6 default route follows the active uplink and is removed
#     while LTE (no IPv6) is active;
#   - a tap set down and up (the kernel flushes its routes and its IPv6
#     address) gets them back.
# Figures printed: link-event latency (ip link set down -> event read) and
# switch -> main route latency.
set -euo pipefail
. "$(dirname "$0")/lib/e2e.sh"
need_bin tg-dataplane tg-controld tg-impair

gwx() { ip netns exec "$prefix-gw" "$@"; }
# Device of the default route in TABLE ("" if none).
default_dev() { gwx ip -j route show table "$1" default 2>/dev/null | jq -r '.[0].dev // empty'; }
default_via() { gwx ip -j route show table "$1" default 2>/dev/null | jq -r '.[0].gateway // empty'; }
main_dev_is() { [ "$(default_dev main)" = "$1" ]; }
rule_is() {  # ADDR TABLE PRIORITY
  gwx ip -j rule show 2>/dev/null |
    jq -e --arg a "$1" --argjson t "$2" --argjson p "$3" \
      'any(.[]; .src == $a and .priority == $p and ((.table == ($t|tostring)) or (.table == $t)))' >/dev/null
}
tables_in_step() {
  [ "$(default_dev 101)" = tap-wan0 ] && [ "$(default_via 101)" = "$WAN0_PEER" ] &&
    [ "$(default_dev 102)" = tap-wan1 ] && [ "$(default_via 102)" = "$WAN1_PEER" ] &&
    [ "$(default_dev 103)" = tap-lte ] && [ "$(default_via 103)" = "$LTE_PEER" ] &&
    rule_is "$WAN0_GW" 101 101 && rule_is "$WAN1_GW" 102 102 && rule_is "$LTE_GW" 103 103
}
# The IPv6 side in one look (one `ip netns exec`: ip(8) is slow on this
# loaded machine): {"101":[route],"102":..,"103":..,"main":..,"rules":[..],
# "addr":[..]}. An IPv6 table exists only while it holds a route: ip(8)
# fails on an empty one (after half a JSON array): [] then.
v6_state() {
  gwx sh -c 'r() { j=$(ip -6 -j route show table "$1" default 2>/dev/null) || j="[]"; printf "\"%s\":%s," "$1" "$j"; }
    printf "{"; r 101; r 102; r 103; r main
    printf "\"rules\":%s,\"addr\":%s}" "$(ip -6 -j rule show)" "$(ip -6 -j addr show)"'
}
# The device of the one main IPv6 default route ("several": a switch added
# one instead of replacing it).
main6_dev() { v6_state | jq -r 'if (.main | length) > 1 then "several" else .main[0].dev // empty end'; }
main6_dev_is() { [ "$(main6_dev)" = "$1" ]; }  # "" = no IPv6 default route
# Tables 101/102 default via each carrier's IPv6 router, none in 103 (lte),
# rules from each uplink's IPv6 address, the addresses on the taps (usable:
# not tentative).
tables6_in_step() {
  v6_state | jq -e --arg a0 "$WAN0_6_GW" --arg p0 "$WAN0_6_PEER" --arg a1 "$WAN1_6_GW" --arg p1 "$WAN1_6_PEER" '
    def route($t; $dev; $via): any(.[$t][]?; .dev == $dev and .gateway == $via);
    def rule($a; $t): any(.rules[]?; .src == $a and .priority == $t and (.table == ($t|tostring) or .table == $t));
    def addr($dev; $a): any(.addr[]? | select(.ifname == $dev) | .addr_info[]?; .local == $a and ((.tentative // false) | not));
    route("101"; "tap-wan0"; $p0) and route("102"; "tap-wan1"; $p1) and (.["103"] | length == 0) and
      rule($a0; 101) and rule($a1; 102) and addr("tap-wan0"; $a0) and addr("tap-wan1"; $a1)' >/dev/null
}
netlink_json() { mgmt show.interfaces | jq -c '.result.netlink'; }
link_field() {  # IFNAME FIELD
  mgmt show.interfaces | jq -r --arg n "$1" --arg f "$2" '.result.netlink.links[] | select(.name == $n) | .[$f]'
}
link_is() { [ "$(link_field "$1" up)" = "$2" ]; }
alarm_active() {  # TYPE OBJECT
  mgmt show.alarms | jq -e --arg t "$1" --arg o "$2" \
    '[.result[]? | select(.type == $t and ((.object.name? // .object) == $o))] | length > 0' >/dev/null 2>&1
}
now_us() { echo $(($(date +%s%N) / 1000)); }

e2e_lab_up
# Hold-downs long enough that wan0 does not come back during the test.
e2e_timers 30000 60000
e2e_dataplane
e2e_controld

# --- routes and rules, built by the daemon (ap_uplink_routes no longer does)
wait_for 10 "per-uplink tables and rules in place" tables_in_step
wait_for 10 "main default route via tap-wan0" main_dev_is tap-wan0
[ "$(netlink_json | jq -r .in_step)" = true ] || fail "show interfaces: not in step: $(netlink_json)"
ok "tables 101-103 (default via each carrier), rules from each uplink address, main default via tap-wan0"
# The box's own traffic leaves by the uplink it is bound to (the OPTIONS
# prober's case): a ping from wan1's address reaches the far SBC via Carrier B.
gwx ping -c 1 -W 2 -I "$WAN1_GW" "$FAR_SBC" >/dev/null || fail "ping from $WAN1_GW to $FAR_SBC (table 102)"
ok "ping from wan1's address reaches the SBC through table 102"
# IPv6: the same on wan0 and wan1; lte has none.
wait_for 10 "IPv6 tables 101/102, rules and addresses in place" tables6_in_step
wait_for 5 "main IPv6 default route via tap-wan0" main6_dev_is tap-wan0
via=$(v6_state | jq -r '.main[0].gateway // empty')
[ "$via" = "$WAN0_6_PEER" ] || fail "main IPv6 default via '$via', not $WAN0_6_PEER"
[ "$(netlink_json | jq -r .main_default_route6)" = tap-wan0 ] || fail "show interfaces: $(netlink_json)"
ok "IPv6 tables 101/102 (default via each carrier), rules from each IPv6 address, main IPv6 default via tap-wan0"
out=$(gwx ping -6 -c 1 -W 2 -I "$WAN1_6_GW" "$FAR6_SBC" 2>&1) || fail "ping from $WAN1_6_GW to $FAR6_SBC (IPv6 table 102): $out"
ok "IPv6 ping from wan1's address reaches the SBC through table 102"

# --- forced switch: the main default route follows
t0=$(now_ms)
mgmt_ok failover.force '{"uplink":"wan1"}' || fail "failover.force wan1 refused: $(mgmt failover.force '{"uplink":"wan1"}')"
wait_for 5 "main default route via tap-wan1 after failover.force" main_dev_is tap-wan1
wait_for 5 "main IPv6 default route via tap-wan1 after failover.force" main6_dev_is tap-wan1
ok "failover.force wan1 -> main default via tap-wan1 (IPv4 and IPv6) in $(($(now_ms) - t0)) ms (incl. polling)"
# LTE has no IPv6: while it is active there is no IPv6 default route.
mgmt_ok failover.force '{"uplink":"lte"}' || fail "failover.force lte refused: $(mgmt failover.force '{"uplink":"lte"}')"
wait_for 5 "main default route via tap-lte after failover.force" main_dev_is tap-lte
wait_for 5 "no main IPv6 default route while lte is active" main6_dev_is ""
tables6_in_step || fail "IPv6 tables changed by a switch"
ok "failover.force lte -> main default via tap-lte, no main IPv6 default route"
mgmt_ok failover.auto || fail "failover.auto refused"
wait_for 10 "back on wan0 in auto mode" active_is wan0
wait_for 5 "main default route back via tap-wan0" main_dev_is tap-wan0
wait_for 5 "main IPv6 default route back via tap-wan0" main6_dev_is tap-wan0
ok "failover.auto -> main default via tap-wan0 (IPv4 and IPv6)"

# --- carrier lost on the active uplink: event in ms, failover, route follows
link_is wan0 true || fail "wan0 not up before the fault: $(netlink_json)"
before=$(link_field wan0 changes)
# The fault itself without the lab script's start-up: the carrier's end of
# wan0's veth goes down (what `lab fault wan0 down` does).
t_us=$(now_us)
ip -n "$prefix-cara" link set gw down
t_after_us=$(now_us)
wait_for 5 "link wan0 down in show interfaces" link_is wan0 false
[ "$(link_field wan0 changes)" -gt "$before" ] || fail "wan0's change not counted"
seen_us=$(link_field wan0 last_change_wall_us)
ms() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", (a-b)/1000}'; }
event_ms=$(ms "$seen_us" "$t_us") ip_ms=$(ms "$t_after_us" "$t_us") after_ms=$(ms "$seen_us" "$t_after_us")
# On this shared machine starting ip(8) alone takes tens of ms: the event
# must come while ip(8) runs or within 100 ms after it returned.
awk -v e="$event_ms" -v a="$after_ms" 'BEGIN{exit !(e >= 0 && a < 100)}' ||
  fail "link event $event_ms ms after ip(8) started, $after_ms ms after it returned"
ok "carrier loss on wan0 read by tg-controld $event_ms ms after 'ip link set down' started (ip(8) itself took $ip_ms ms)"
wait_for 5 "fast path on wan1 after wan0's carrier loss" active_is wan1
wait_for 5 "main default route via tap-wan1 after the failover" main_dev_is tap-wan1
wait_for 5 "main IPv6 default route via tap-wan1 after the failover" main6_dev_is tap-wan1
# Failover consumed by the daemon (its history) -> main route sent.
# (The stats backstop may move the route before the event is read: then
# the figure is negative.)
last_switch() { mgmt show.failover.history | jq -r '.result.switches | last | "\(.to) \(.reason) \(.time_unix_ms)"'; }
wait_for 5 "the link_down switch in the failover history" eval '[[ "$(last_switch)" == "wan1 link_down"* ]]'
sw_ms=$(last_switch | awk '{print $3}')
rt_us=$(netlink_json | jq -r .main_route_changed_wall_us)
log "main default route sent $(awk -v a="$rt_us" -v b="$sw_ms" 'BEGIN{printf "%.2f", a/1000-b}') ms after the daemon read the switch event"
grep -q "link wan0 (wan0 port) down" "$run/controld.log" || fail "no log line for wan0's link event"
ok "failover to wan1, main default routes (IPv4 and IPv6) followed"
ip -n "$prefix-cara" link set gw up
wait_for 5 "link wan0 up again" link_is wan0 true

# --- a backup's carrier: link_down alarm raised and cleared by tg-controld
r=$(mgmt show.alarms)
jq -e '.ok == true' <<<"$r" >/dev/null 2>&1 || fail "tg-controld's alarm service does not answer: show.alarms: $r"
ip -n "$prefix-lter" link set gw down
wait_for 5 "link lte down" link_is lte false
wait_for 5 "uplink_link_down alarm on lte" alarm_active uplink_link_down lte
ip -n "$prefix-lter" link set gw up
wait_for 5 "link lte up" link_is lte true
wait_for 5 "uplink_link_down on lte cleared" eval '! alarm_active uplink_link_down lte'
ok "lte carrier loss -> link_down alarm; carrier back -> cleared"

# --- the kernel flushes a tap's routes when it goes down: they come back
gwx ip link set tap-wan1 down
gwx ip link set tap-wan1 up
wait_for 5 "table 102 and the main route rebuilt after tap-wan1 down/up" \
  eval '[ "$(default_dev 102)" = tap-wan1 ] && main_dev_is tap-wan1'
tables_in_step || fail "tables not in step after the tap flap"
# The kernel dropped tap-wan1's IPv6 address too (keep_addr_on_down = 0).
wait_for 5 "IPv6 address, table 102 and main IPv6 route rebuilt after tap-wan1 down/up" \
  eval 'tables6_in_step && main6_dev_is tap-wan1'
ok "tap-wan1 down/up: table 102, its IPv6 address and table, the main default routes sent again"

kill -0 "$(cat "$run/controld.pid")" || fail "tg-controld died"
e2e_done
