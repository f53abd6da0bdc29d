#!/usr/bin/env bash
# timeout: 300
# Call records right to the millisecond, with what a billing dispute needs,
# through the virtual board (tg-callgen PBX -> tg-dataplane -> kamailio SBC
# -> far phones), checked against a capture on the LAN side (tcpdump in the
# lan namespace: the PBX's own view of its calls):
#   - two 10-second calls: each record's INVITE, answer and BYE times within
#     5 ms of the capture's, the talk time within 10 ms (the fast path's
#     clock is calibrated against CLOCK_MONOTONIC, not DPDK's rounded TSC
#     rate; stamps converted with the offset of their own time);
#   - DTMF (RFC 4733 events on their own SSRC, PT 101) counted in the
#     record: digits and packets as the PBX sent them, all RTP counted;
#   - the calls were switched to another uplink midway (failover.force):
#     each record lists the INVITE's uplink, then the new one from the switch;
#   - a call whose BYE the far end answers 404: the record says so (store,
#     CSV/JSON export) and `diagnose call` gives bye_failed.
# Prints the measured errors (ms) as "stamp error" lines.
set -euo pipefail
. "$(dirname "$0")/lib/e2e.sh"
need_bin tg-dataplane tg-controld tg-callgen tg-cli tg-store
need_cmd tcpdump tshark

ncalls=2 secs=10 digits=159
e2e_lab_up
# The shipped linger (32 s): records are built long after the calls ended,
# as in the field.
e2e_dataplane
e2e_controld
cli() { "$bin/tg-cli" --socket "$run/mgmt.sock" --shm-prefix "/$prefix" --no-pager "$@"; }

# The capture: SIP on the PBX's side of the gateway, kernel timestamps.
lab exec lan tcpdump -i any -n -s 0 -U -w "$run/lan-sip.pcap" udp port 5060 >"$run/tcpdump.log" 2>&1 &
echo $! >"$run/tcpdump.pid"
wait_for 5 "tcpdump listening" eval 'grep -q "listening on" "$run/tcpdump.log"'

ap_calls $ncalls $secs --from-user 4930111222 --to-user 4940333444 --dtmf $digits --dtmf-at 2 ||
  fail "calls did not start"
e2e_boost far lan
wait_for 15 "$ncalls answered calls" eval \
  "cli --json -c 'show calls' 2>/dev/null | jq -e '[.calls[] | select(.state == \"answered\")] | length == $ncalls' >/dev/null"
sleep 4   # midway through the calls (after the DTMF): the NOC moves traffic to another uplink
from=$(dp .active_uplink)   # normally wan0 (a false probe-loss switch under load may have moved it)
to=wan1; [ "$from" = wan1 ] && to=wan0
switch_ms=$(now_ms)
mgmt_ok failover.force "{\"uplink\":\"$to\"}" || fail "failover.force $to refused: $(mgmt failover.force "{\"uplink\":\"$to\"}")"
wait_for 5 "tg-dataplane active uplink is $to" active_is "$to"
calls_end $((secs + 25))
jq -e --argjson n $ncalls '.calls.completed == $n' "$run/pbx.json" >/dev/null || fail "PBX: $(jq -c .calls "$run/pbx.json")"

cdrs_ok() {
  cli -c "export calls json" >"$run/export.json" 2>/dev/null || return 1
  jq -e --argjson n $ncalls '[.[] | select(.to == "4940333444" and .final_code == 200 and .state == "ended")] | length == $n' \
    "$run/export.json" >/dev/null
}
wait_for 50 "$ncalls CDRs in export calls ($(cat "$run/export.json" 2>/dev/null))" cdrs_ok

# --- times: the records against the LAN capture
# tcpdump writes packet by packet (-U): stop ours (the one in the lan namespace) for a clean end.
for p in $(ip netns pids "$prefix-lan" 2>/dev/null); do
  [ "$(cat "/proc/$p/comm" 2>/dev/null)" = tcpdump ] && kill -INT "$p" 2>/dev/null
done
wait_for 5 "tcpdump stopped" eval '! kill -0 $(cat "$run/tcpdump.pid") 2>/dev/null'
tshark -r "$run/lan-sip.pcap" -Y sip -T fields -E separator=/t -e frame.time_epoch -e sip.Call-ID -e sip.Method \
  -e sip.Status-Code -e sip.CSeq.method >"$run/lan-sip.tsv" 2>/dev/null || fail "tshark could not read the capture"
"$PY" - "$run/lan-sip.tsv" "$run/export.json" >"$run/stamps.json" <<'PY' || fail "stamp comparison: $(cat "$run/stamps.json")"
import json, sys, datetime
first = {}
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if len(f) < 5: continue
    t, cid, method, status, cseq = float(f[0]) * 1000, f[1], f[2], f[3], f[4]
    key = ("invite" if method == "INVITE" else "bye" if method == "BYE" else
           "answer" if status.startswith("2") and cseq == "INVITE" else None)
    if key: first.setdefault(cid, {}).setdefault(key, t)
def ms(iso):
    return datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp() * 1000
out = []
for r in json.load(open(sys.argv[2])):
    c = first.get(r["call_id"])
    if not c or r.get("to") != "4940333444": continue
    rec = {k: ms(r[k]) for k in ("start", "answer", "end")}
    err = {"invite": rec["start"] - c["invite"], "answer": rec["answer"] - c["answer"], "bye": rec["end"] - c["bye"],
           "duration": (rec["end"] - rec["answer"]) - (c["bye"] - c["answer"])}
    out.append({"call_id": r["call_id"], "talk_s": round((c["bye"] - c["answer"]) / 1000, 3),
                "error_ms": {k: round(v, 3) for k, v in err.items()}})
print(json.dumps(out))
PY
jq -c '.[]' "$run/stamps.json" | while read -r l; do echo "stamp error: $l"; done
# --- DTMF and all RTP
sent_dtmf=$(jq '[.call_list[].sent_dtmf_packets] | add' "$run/pbx.json")
jq -e --argjson d ${#digits} --argjson sent "$sent_dtmf" --argjson n $ncalls \
  '[.[] | select(.to == "4940333444" and .outbound.dtmf_events == $d and .outbound.rtp_packets > .outbound.packets
     and .outbound.rtp_packets - .outbound.packets == .outbound.dtmf_packets)] | length == $n
   and ([.[] | select(.to == "4940333444") | .outbound.dtmf_packets] | add) == $sent' "$run/export.json" >/dev/null ||
  fail "DTMF in the records ($(jq -c '[.[] | .outbound]' "$run/export.json")) vs sent: $sent_dtmf packets, ${#digits} digits per call"
ok "DTMF: ${#digits} digits per call, $sent_dtmf packets in all, as sent: $(jq -c '[.[] | .outbound | {packets, rtp_packets, dtmf_packets, dtmf_events}]' "$run/export.json")"

# --- the uplinks each call used: the one at the INVITE first, the forced one last from the switch
jq -e --argjson n $ncalls --argjson sw "$switch_ms" --arg from "$from" --arg to "$to" \
  '[.[] | select(.to == "4940333444" and .uplink_switches >= 1 and (.uplinks | length) == .uplink_switches + 1
     and .uplinks[0].since_ms == .start_ms and .uplinks[0].uplink != $to and .uplinks[-1].uplink == $to
     and (.uplinks[-1].since_ms - $sw) >= 0 and (.uplinks[-1].since_ms - $sw) < 1000)] | length == $n' \
  "$run/export.json" >/dev/null || fail "uplinks in the records: $(jq -c '[.[] | {uplinks, uplink_switches}]' "$run/export.json") ($from -> $to asked at $switch_ms)"
ok "each call lists the uplink of its INVITE, then $to from the switch: $(jq -c '[.[] | .uplinks]' "$run/export.json" | head -c 400)"
id=$(jq -r '[.[] | select(.to == "4940333444")][0].call_id' "$run/export.json")
cli -c "diagnose call $id" >"$run/diag-switched.txt" || fail "diagnose call $id"
grep -q "Uplinks   [a-z0-9]* from .*, then $to from " "$run/diag-switched.txt" || fail "console call detail: $(cat "$run/diag-switched.txt")"
grep -q "DTMF 3/0 digits" "$run/diag-switched.txt" || fail "console call detail (DTMF): $(cat "$run/diag-switched.txt")"
ok "console: $(grep -E "^(Uplinks|Packets)" "$run/diag-switched.txt" | tr -s ' ' | tr '\n' ';')"

# --- a BYE answered 404 by the far end
log "one call whose BYE the far end answers 404"
AP_FAR_ARGS="--bye-code 404" ap_calls 1 3 --from-user 4930111222 --to-user 4940555666 || fail "404-BYE call did not start"
calls_end 35
bye_ok() {
  cli -c "export calls json" >"$run/export2.json" 2>/dev/null || return 1
  jq -e '[.[] | select(.to == "4940555666" and .bye_code == 404 and .verdict == "bye_failed"
     and .end_reason == "caller BYE answered 404")] | length == 1' "$run/export2.json" >/dev/null
}
wait_for 50 "the 404-BYE call's CDR ($(jq -c '[.[] | select(.to == "4940555666")]' "$run/export2.json" 2>/dev/null))" bye_ok
bye_id=$(jq -r '.[] | select(.to == "4940555666") | .call_id' "$run/export2.json")
cli --json -c "diagnose call $bye_id" >"$run/diag-bye.json" || fail "diagnose call $bye_id"
jq -e '.verdict == "bye_failed" and (.explanation | test("BYE was answered 404 Not Found: the far end no longer knew the dialog"))
    and .call.bye_code == 404' "$run/diag-bye.json" >/dev/null || fail "diagnose 404-BYE call: $(cat "$run/diag-bye.json")"
"$bin/tg-cli" --socket "$run/mgmt.sock" export calls --csv --since 10m >"$run/export.csv" || fail "export calls --csv"
grep -q ",4940555666,.*,bye_failed,.*,0,404," "$run/export.csv" || fail "CSV row of the 404-BYE call: $(grep 4940555666 "$run/export.csv")"
"$bin/tg-store" --db "$run/state/store.db" export calls --format json 2>/dev/null >"$run/tg-store.json" || fail "tg-store export"
jq -e '[.[] | select(.to == "4940555666" and .bye_code == 404)] | length == 1' "$run/tg-store.json" >/dev/null ||
  fail "tg-store export: $(jq -c '[.[] | {to, bye_code}]' "$run/tg-store.json")"
ok "diagnose call $bye_id: $(jq -r '.verdict + ": " + .explanation' "$run/diag-bye.json")"
# --- the timing verdict last: every functional check above has run
jq -e --argjson n $ncalls 'length == $n' "$run/stamps.json" >/dev/null || fail "calls in capture and records differ: $(cat "$run/stamps.json")"
jq -e '[.[] | .error_ms | (.invite, .answer, .bye) | fabs] | max <= 5' "$run/stamps.json" >/dev/null ||
  fail "a record stamp is more than 5 ms off the capture: $(cat "$run/stamps.json")"
jq -e '[.[] | .error_ms.duration | fabs] | max <= 10' "$run/stamps.json" >/dev/null ||
  fail "a record duration is more than 10 ms off the capture: $(cat "$run/stamps.json")"
ok "stamps within 5 ms, durations within 10 ms of the LAN capture: $(jq -c '[.[] | .error_ms]' "$run/stamps.json")"

e2e_done
