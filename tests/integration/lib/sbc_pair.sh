# Two namespaces for SIP trunk probing tests that do without the lab: the
# uplink side $NC (the box's address $UPLINK on a veth, 203.0.113.0/24 via
# the carrier) and the carrier side $NS (the carrier router's $PEER, the SBC
# addresses on its loopback), with real kamailio as the carrier SBC
# (tools/lab/kamailio.cfg). Builds on lib/common.sh (root, kamailio, the
# namespaces and kamailio deleted/stopped at exit). The caller sets P
# (prefix with its PID), NC, NS, UPLINK and PEER.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
need_root
need_cmd kamailio kamcmd

# sbc_pair_up SBC_ADDRESS...: namespaces, veth, addresses and the route.
sbc_pair_up() {
  local a
  netns_add "$NC" "$NS"
  ip link add "${P}a" netns "$NC" type veth peer name "${P}b" netns "$NS"
  ip -n "$NC" addr add "$UPLINK/28" dev "${P}a"
  ip -n "$NS" addr add "$PEER/28" dev "${P}b"
  for a in "$@"; do ip -n "$NS" addr add "$a/32" dev lo; done
  ip -n "$NC" link set "${P}a" up
  ip -n "$NS" link set "${P}b" up
  ip -n "$NC" route add 203.0.113.0/24 via "$PEER"
}

# sbc_pair_conf_head NAME ADDRESS PROBE_TARGET: the [box] and [uplink.wan0]
# sections of a tg-controld config on the uplink side (socket, pid file and
# state in $run; wan0 at ADDRESS/28 via $PEER, probing PROBE_TARGET).
sbc_pair_conf_head() {
  cat <<EOF
[box]
name = $1
mgmt_socket = $run/mgmt.sock
admin_group = tg-no-such-group
pidfile = $run/tg-controld.pid
state_dir = $run/state
log = stderr

[uplink.wan0]
role = wan
device = ${P}a
carrier = Carrier A
address = $2/28
gateway = $PEER
probe_targets = $3
priority = 1

EOF
}

# start_kamailio ADDRESS DIR: kamailio answering on ADDRESS:5060 in $NS,
# runtime files, log (DIR/kamailio.log) and control socket
# (DIR/kamailio.ctl) in DIR. Sets kam_started to its pid once the control
# socket answers (a variable, not output: `$(...)` would run it in a
# subshell whose fail() stops nothing).
start_kamailio() {
  local addr=$1 dir=$2 deadline=$((SECONDS + 15))
  local ctl=$dir/kamailio.ctl
  mkdir -p "$dir"
  rm -f "$ctl"
  ip netns exec "$NS" kamailio -DD -E -f "$top/tools/lab/kamailio.cfg" -l "udp:$addr:5060" -Y "$dir" -m 32 -M 8 \
    -A "FAR_URI=\"sip:203.0.113.20:5060\"" -A "CTL_SOCKET=\"unix:$ctl\"" >>"$dir/kamailio.log" 2>&1 &
  kam_started=$!
  cleanup_pid "$kam_started"
  until [ -S "$ctl" ] && kamcmd -s "unix:$ctl" core.version >/dev/null 2>&1; do
    kill -0 "$kam_started" 2>/dev/null || fail "kamailio on $addr exited at start: $(tail -n 5 "$dir/kamailio.log")"
    ((SECONDS < deadline)) || fail "kamailio on $addr: control socket not up"
    sleep 0.05
  done
}
