# Two namespaces for SIP trunk probing tests that do without the lab: the
# uplink side $NC (the box's address $UPLINK on a veth, 203.0.113.0/24 via
# the carrier) and the carrier side $NS (the carrier router's $PEER, the SBC
# addresses on its loopback), with real kamailio as the carrier SBC
# (tools/lab/kamailio.cfg). The caller sets P (prefix with its PID), NC,
# NS, UPLINK, PEER, top and fail(), and deletes NC and NS in its EXIT trap.

# stop_pid PID: TERM, then KILL if it lingers; waits for it either way.
stop_pid() {
  local pid=$1 deadline=$((SECONDS + 5))
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS < deadline)) || { kill -KILL "$pid" 2>/dev/null || true; break; }
    sleep 0.05
  done
  wait "$pid" 2>/dev/null || true
}

# sbc_pair_up SBC_ADDRESS...: namespaces, veth, addresses and the route.
sbc_pair_up() {
  local a
  ip netns add "$NC"
  ip netns add "$NS"
  ip link add "${P}a" netns "$NC" type veth peer name "${P}b" netns "$NS"
  ip -n "$NC" link set lo up
  ip -n "$NS" link set lo up
  ip -n "$NC" addr add "$UPLINK/28" dev "${P}a"
  ip -n "$NS" addr add "$PEER/28" dev "${P}b"
  for a in "$@"; do ip -n "$NS" addr add "$a/32" dev lo; done
  ip -n "$NC" link set "${P}a" up
  ip -n "$NS" link set "${P}b" up
  ip -n "$NC" route add 203.0.113.0/24 via "$PEER"
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
  until [ -S "$ctl" ] && kamcmd -s "unix:$ctl" core.version >/dev/null 2>&1; do
    kill -0 "$kam_started" 2>/dev/null || fail "kamailio on $addr exited at start: $(tail -n 5 "$dir/kamailio.log")"
    ((SECONDS < deadline)) || fail "kamailio on $addr: control socket not up"
    sleep 0.05
  done
}
