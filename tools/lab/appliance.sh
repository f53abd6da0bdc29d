# The box inside the lab, for `make run` and the end-to-end tests (sourced).
# Needs: top, prefix, bin (build/bin), run (/run/PREFIX) and lab() defined,
# lab.env sourced, and the lab up. Every process runs in a lab namespace, so
# `lab down` stops them all; PIDs are also kept in $run/*.pid.

# NOC receivers on the gateway's loopback, where tg-controld sends alarms:
# snmptrapd (one line per notification) and an SMTP sink (aiosmtpd)
# writing a Maildir. snmptrapd knows the lab's SNMPv3 user `noc`
# (SHA-256/AES keys from ap_noc_secrets, written into its config file,
# never on a command line) and also takes v2c community `public` (the alarm
# tests use it). Traps are logged with numeric OIDs (what the tests match);
# AP_TRAPS=decoded names them with mibs/TRUNKGUARD-MIB (make run).
ap_receivers() {
  mkdir -p "$run/mail/tmp" "$run/mail/new" "$run/mail/cur"   # a Maildir, or aiosmtpd drops mail
  ap_noc_secrets
  (
    umask 077   # created 0600: it holds the keys (printf is a builtin: no command line)
    {
      printf 'createUser noc SHA-256 %s AES %s\n' "$(cat "$run/noc/snmp-auth.key")" "$(cat "$run/noc/snmp-priv.key")"
      echo "authUser log noc priv"
      echo "authCommunity log public"
    } >"$run/snmptrapd.conf"
  )
  local mibs=(-On) format='TRAP %B %V%v\n'
  if [ "${AP_TRAPS:-}" = decoded ]; then
    mibs=(-M "+$top/mibs:$top/mibs/ietf" -m TRUNKGUARD-MIB)   # ietf/: the SMIv2 base modules Debian lacks
    format='%04.4y-%02.2m-%02.2l %02.2h:%02.2j:%02.2k TRAP %B %V%v\n'
  fi
  # Its own persistent directory: net-snmp stores the localized keys there,
  # not in /var/lib/snmp shared with other labs.
  lab exec gw env MIBS= SNMP_PERSISTENT_DIR="$run/noc/snmp" snmptrapd -f -Lf "$run/snmptrapd.log" -C \
    -c "$run/snmptrapd.conf" -n "${mibs[@]}" -F "$format" "udp:127.0.0.1:10162" >/dev/null 2>&1 &
  echo $! >"$run/snmptrapd.pid"
  # Debian's python3 (python3-aiosmtpd): not whatever python3 PATH finds first
  lab exec gw /usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:10025 -c aiosmtpd.handlers.Mailbox "$run/mail" \
    >"$run/smtp.log" 2>&1 &
  echo $! >"$run/smtp.pid"
}

# The lab NOC's SNMPv3 keys: made once per lab, random, in files only root
# reads ($run/noc, mode 0700).
ap_noc_secrets() {
  [ -s "$run/noc/snmp-priv.key" ] && return 0
  (
    umask 077
    mkdir -p "$run/noc/snmp"
    od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$run/noc/snmp-auth.key"
    od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$run/noc/snmp-priv.key"
  )
}

# The box's copy of the config sends to the lab's NOC receivers: SNMPv3
# authPriv informs to snmptrapd (the same user and keys), mail to the SMTP
# sink (no TLS in the lab); syslog as in the example. The copy holds the
# keys: mode 0600. tools/lab/ini_set reads each key from its file.
ap_noc_config() {  # CONFIG (the box's copy)
  ap_noc_secrets
  chmod 600 "$1"
  /usr/bin/python3 "$top/tools/lab/ini_set" "$1" \
    alarm.snmp.enabled=true alarm.snmp.version=v3 alarm.snmp.user=noc alarm.snmp.security_level=authPriv \
    alarm.snmp.auth_protocol=SHA-256 "alarm.snmp.auth_key<$run/noc/snmp-auth.key" \
    alarm.snmp.priv_protocol=AES "alarm.snmp.priv_key<$run/noc/snmp-priv.key" \
    alarm.snmp.targets=127.0.0.1:10162 alarm.snmp.notification=inform \
    alarm.email.enabled=true alarm.email.smtp_url=smtp://127.0.0.1:10025 alarm.email.starttls=none
}

# The fast path; returns once LAN -> SBC forwarding works (or fails in 30 s).
ap_dataplane() {
  lab exec gw "$bin/tg-dataplane" --no-huge -m 512 --no-pci --no-shconf --no-telemetry -l 0 \
    -- --board "$top/board/virtual" --trunks-from "$top/board/virtual/trunkguard.conf" \
    --stats "$run/dataplane.json" "$@" >>"$run/dataplane.log" 2>&1 &
  echo $! >"$run/dataplane.pid"
  local deadline=$((SECONDS + 30))
  until lab exec lan ping -c 1 -W 1 "$FAR_SBC" >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$run/dataplane.pid")" 2>/dev/null || ((SECONDS >= deadline)); then
      echo "appliance: no forwarding LAN -> SBC (tg-dataplane log follows)" >&2
      tail -n 20 "$run/dataplane.log" >&2
      return 1
    fi
  done
}

# The box's own routing (a table and a "from ADDRESS" rule per uplink tap,
# the main default route via the active uplink's tap) is tg-controld's job
# (control/daemon/kernel_sync over drivers/netlink): nothing is set by hand
# here. It must not be: the daemon keeps it in step with the active uplink
# and re-sends it when a tap is re-created, which a static copy would not.
# The taps' addresses are set by tg-dataplane when it creates them. Routes
# stay when the daemon stops, so the box's traffic does not depend on it.

# The control daemon with the virtual board's example config, its runtime
# files under $run. It runs on a copy ($run/trunkguard.conf, made at the
# lab's first start): console commits persist for this lab, never into the
# repository's example. No-op (status 1) when it is not built.
ap_controld() {
  [ -x "$bin/tg-controld" ] || return 1
  [ -f "$run/trunkguard.conf" ] || cp "$top/board/virtual/trunkguard.conf" "$run/trunkguard.conf"
  lab exec gw "$bin/tg-controld" --config "$run/trunkguard.conf" --board "$top/board/virtual" \
    --set "box.mgmt_socket=$run/mgmt.sock" --set "box.pidfile=$run/tg-controld.pid" \
    --set "box.state_dir=$run/state" "$@" >>"$run/controld.log" 2>&1 &
  echo $! >"$run/controld.pid"
}

# Calls: far phones (latching, as a carrier SBC does: they send media to
# where the PBX's RTP comes from, i.e. the active uplink's SNAT address) and
# the PBX placing N calls of D seconds. Summaries: $run/far-phones.json and
# $run/pbx.json when the calls end. Extra args go to the PBX side.
ap_calls() {
  local n=$1 d=$2; shift 2
  # shellcheck disable=SC2086  # AP_FAR_ARGS: extra tg-callgen options of the far phones, split on spaces
  lab exec far "$bin/tg-callgen" --mode uas --latch --local "$FAR_PHONES:5060" --calls "$n" \
    --max-time "$((d + 30))" --summary "$run/far-phones.json" ${AP_FAR_ARGS:-} >"$run/far-phones.log" 2>&1 &
  echo $! >"$run/far-phones.pid"
  local deadline=$((SECONDS + 5))
  until grep -q "$FAR_PHONES:5060" <<<"$(lab exec far ss -Hlun)"; do
    ((SECONDS < deadline)) || { echo "appliance: far phones did not start" >&2; return 1; }
  done
  lab exec lan "$bin/tg-callgen" --mode uac --local "$LAN_PBX:5060" --remote "$FAR_SBC:5060" \
    --calls "$n" --rate 5 --duration "$d" --max-time "$((d + 30))" \
    --summary "$run/pbx.json" "$@" >"$run/pbx.log" 2>&1 &
  echo $! >"$run/pbx.pid"
}
