#!/usr/bin/env bash
# timeout: 120
# A technician captures calls from the console: real tg-dataplane,
# tg-controld and tg-callgen calls through the SBC on the virtual board.
#   1. bad `capture start` arguments are refused with the position (tg-cli)
#      or the limit (tg-controld), and nothing starts, no file is written;
#   2. `capture start sip+rtp duration 5` while calls are placed: the daemon
#      ends the capture by itself after 5 s and says where the file is, with
#      packets, bytes and drops;
#   3. the pcap holds the calls: `tg-analyze --json` finds every call
#      answered and their RTP streams both ways with packets, `tshark -r`
#      decodes the INVITEs and the same RTP streams;
#   4. `capture stop` ends a running capture at once; without tg-controld
#      tg-cli says plainly that capture needs it; the calls completed.
set -euo pipefail
E2E_PREFIX=tgcp
. "$(dirname "$0")/lib/e2e.sh"
need_bin tg-dataplane tg-controld tg-callgen tg-cli tg-analyze
need_cmd tshark

ncalls=2
cli() { "$bin/tg-cli" --socket "$run/mgmt.sock" "$@"; }
capture_json() { cli --json -c "show capture"; }
captures() { find "$run/state/captures" -name '*.pcap' 2>/dev/null | wc -l; }

e2e_lab_up
e2e_dataplane
e2e_controld

# 1. Refused, with the position, and nothing changes.
bad_line="capture start sip duration zero"
if cli -c "$bad_line" >"$run/bad.out" 2>"$run/bad.err"; then fail "tg-cli accepted: $bad_line"; fi
grep -qF "% 'zero' is not a positive number (duration)" "$run/bad.err" || fail "no clear error: $(cat "$run/bad.err")"
# The caret sits under "zero" (column 27 of the command line).
grep -qxE ' {27}\^' "$run/bad.err" || fail "caret not under the bad word: $(cat -A "$run/bad.err")"
if cli -c "capture start rtp duration 100000" >"$run/bad2.out" 2>"$run/bad2.err"; then fail "daemon accepted a capture above its limit"; fi
grep -qF "duration 100000 s is above the limit 600 s (capture.max_duration_s)" "$run/bad2.err" ||
  fail "daemon's refusal unclear: $(cat "$run/bad2.err")"
if cli -c "capture start uplink wan1 host 2001:db8::1" 2>"$run/bad3.err"; then fail "IPv6 host accepted"; fi
grep -qF "not an IPv4 address" "$run/bad3.err" || fail "IPv6 host: $(cat "$run/bad3.err")"
capture_json | jq -e '.state == "none"' >/dev/null || fail "a refused capture changed the state: $(capture_json)"
[ "$(captures)" -eq 0 ] || fail "a refused capture left a file"
ok "bad arguments refused with the position / the limit; no capture, no file"

# 2. A 5 s capture of SIP and RTP while calls are placed. ap_calls in two
# halves: the far phones first (they only answer), then the capture, then
# the PBX whose INVITEs open the calls. On this loaded machine starting a
# process in a namespace can take seconds: the 5 s window must not open
# that long before the first INVITE.
lab exec far "$bin/tg-callgen" --mode uas --latch --local "$FAR_PHONES:5060" --calls $ncalls \
  --max-time 40 --summary "$run/far-phones.json" >"$run/far-phones.log" 2>&1 &
echo $! >"$run/far-phones.pid"
wait_for 10 "far phones listen" eval 'lab exec far ss -Hlun | grep -qF "$FAR_PHONES:5060"'
t0=$(now_ms)
cli -c "capture start sip+rtp duration 5" >"$run/start.out" || fail "capture start: $(cat "$run/start.out")"
grep -qE '^State: +running' "$run/start.out" || fail "start did not say it runs: $(cat "$run/start.out")"
log "placing $ncalls calls of 2 s"
lab exec lan "$bin/tg-callgen" --mode uac --local "$LAN_PBX:5060" --remote "$FAR_SBC:5060" \
  --calls $ncalls --rate 5 --duration 2 --max-time 40 --summary "$run/pbx.json" >"$run/pbx.log" 2>&1 &
echo $! >"$run/pbx.pid"
e2e_boost far lan
file=$(capture_json | jq -r .file)
[ -f "$file" ] || fail "capture file $file missing"
ok "capture started: $file"
ended() { capture_json | jq -e '.state == "stopped"' >/dev/null; }
wait_for 12 "the capture ends by itself after 5 s: $(capture_json | jq -c .)" ended
took=$(($(now_ms) - t0))
st=$(capture_json)
jq -e '.end == "duration" and .packets > 0 and .bytes > 24 and .drops == 0' <<<"$st" >/dev/null ||
  fail "capture summary: $(jq -c . <<<"$st")"
((took >= 5000 && took < 10000)) || fail "capture of 5 s ended after $took ms"
# What the technician reads on the console.
cli -c "show capture" >"$run/show.out"
for k in File Packets Bytes Drops; do
  grep -qE "^$k: +[0-9/]" "$run/show.out" || fail "show capture lacks $k: $(cat "$run/show.out")"
done
[ "$(stat -c %s "$file")" -eq "$(jq .bytes <<<"$st")" ] || fail "file size $(stat -c %s "$file") != reported $(jq .bytes <<<"$st")"
ok "capture ended after $took ms: $(jq -c '{packets, bytes, drops, matched, reason: .end_text}' <<<"$st")"

# 3. The pcap holds the calls.
"$bin/tg-analyze" --json "$file" >"$run/analyze.json" || fail "tg-analyze failed on $file"
jq -e --argjson n $ncalls '[.calls[] | select(.final_code == 200)] | length >= $n' "$run/analyze.json" >/dev/null ||
  fail "tg-analyze: calls $(jq -c '[.calls[] | {call_id, final_code, state}]' "$run/analyze.json")"
jq -e --argjson n $ncalls '[.streams[] | select(.packets > 0)] | length >= 2 * $n' "$run/analyze.json" >/dev/null ||
  fail "tg-analyze: streams $(jq -c '[.streams[] | {src, dst, packets}]' "$run/analyze.json")"
ok "tg-analyze: $(jq -c '{calls: [.calls[] | .final_code], streams: [.streams[] | .packets]}' "$run/analyze.json")"
# One tshark pass (it is slow to start): SIP statistics and RTP streams.
tshark -q -r "$file" -z sip,stat -z rtp,streams >"$run/tshark.txt" 2>/dev/null || fail "tshark failed on $file"
invites=$(sed -nE 's/^ *INVITE +: +([0-9]+) Packets/\1/p' "$run/tshark.txt")
((${invites:-0} >= ncalls)) || fail "tshark decodes ${invites:-no} INVITEs, expected >= $ncalls: $(cat "$run/tshark.txt")"
# One line per stream: times, addresses, ports, SSRC, payload, packets, ...
rtp_streams=$(grep -cE ' 0x[0-9A-Fa-f]{8} +[^ ]+ +[1-9][0-9]* ' "$run/tshark.txt" || true)
((rtp_streams >= 2 * ncalls)) || fail "tshark finds $rtp_streams RTP streams: $(cat "$run/tshark.txt")"
ok "tshark: $invites INVITEs, $rtp_streams RTP streams"

# 4. capture stop ends a running capture at once.
cli -c "capture start rtp" >/dev/null || fail "second capture did not start"
capture_json | jq -e '.state == "running"' >/dev/null || fail "second capture not running"
cli -c "capture stop" >"$run/stop.out" || fail "capture stop: $(cat "$run/stop.out")"
capture_json | jq -e '.state == "stopped" and .end == "stopped"' >/dev/null || fail "stop: $(capture_json)"
[ "$(captures)" -eq 2 ] || fail "expected 2 capture files, found $(captures)"
ok "capture stop: $(capture_json | jq -c '{file, packets, reason: .end_text}')"

# Without the daemon (here: a socket nobody listens on) tg-cli says plainly
# that capture needs it.
if "$bin/tg-cli" --socket "$run/nobody.sock" --shm-prefix "/$prefix" -c "capture start sip" >"$run/down.out" 2>&1; then
  fail "capture start succeeded without tg-controld"
fi
grep -qF "% capture needs tg-controld" "$run/down.out" || fail "daemon down: $(cat "$run/down.out")"
ok "daemon down: $(tail -n 1 "$run/down.out")"

calls_end 30
check_calls $ncalls 1000000
e2e_done
