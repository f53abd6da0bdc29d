#!/usr/bin/env bash
# timeout: 120
# Calls as the NOC and the technician see them, with real calls through the
# virtual board (tg-callgen PBX -> tg-dataplane -> kamailio SBC -> far phones)
# and tg-controld reading the fast path's per-call export:
#   - `show calls` (tg-cli --json and the 80-column text) lists the live
#     calls with caller, callee, trunk, uplink and MOS per direction;
#     `diagnose call` on a live call says ok;
#   - after they end, their CDRs are in the store: `export calls json|csv`
#     (and tg-store) give final 200, verdict ok, MOS both ways;
#   - a call to a national number the far end rejects with 404 gets the
#     number_format diagnosis with "missing country code?";
#   - `show trunks` has the CDR figures (ASR, busy apart from failure);
#   - a technician's pty session types `show calls` and `diagnose call`;
#   - with tg-controld stopped, tg-cli still shows the live calls from
#     shared memory.
set -euo pipefail
. "$(dirname "$0")/lib/e2e.sh"
need_bin tg-dataplane tg-controld tg-callgen tg-cli tg-store

ncalls=2 secs=12
e2e_lab_up
# Settled calls go to the CDR ring 1 s after their end, not after 32 s.
e2e_dataplane --call-linger 1
e2e_controld
# A unix socket and /dev/shm need no namespace: tg-cli runs from here.
cli() { "$bin/tg-cli" --socket "$run/mgmt.sock" --shm-prefix "/$prefix" --no-pager "$@"; }

ap_calls $ncalls $secs --from-user 4930111222 --to-user 4940333444 || fail "calls did not start"
e2e_boost far lan

# Live: both answered, with MOS both ways, seen through the daemon.
live_ok() {
  cli --json -c "show calls" >"$run/show-calls.json" 2>/dev/null || return 1
  jq -e '.count > 0' "$run/show-calls.json" >/dev/null && cp "$run/show-calls.json" "$run/show-calls-seen.json"
  jq -e --argjson n $ncalls '[.calls[] | select(.state == "answered" and .from == "4930111222" and .duration_s > 0
      and .to == "4940333444" and .trunk == "carrierA" and .uplink == "wan0"
      and .media.out.mos >= 4.0 and .media.in.mos >= 4.0 and .media.out.packets > 40)] | length == $n' \
    "$run/show-calls.json" >/dev/null
}
live_end=$((SECONDS + 15))
until live_ok; do
  ((SECONDS < live_end)) || fail "no $ncalls answered calls with MOS >= 4 in show calls within 15 s; last seen: $(cat "$run/show-calls-seen.json" 2>/dev/null)"
  sleep 0.1
done
ok "show calls --json: $(jq -c '[.calls[] | {call_id, state, mos: [.media.out.mos, .media.in.mos]}]' "$run/show-calls.json")"
cli -c "show calls" >"$run/show-calls.txt" || fail "show calls (text)"
awk 'length > 80 { bad = 1 } END { exit bad }' "$run/show-calls.txt" || fail "show calls wider than 80 columns: $(cat "$run/show-calls.txt")"
grep -q "4930111222 .*4940333444 .*carrierA .*wan0 .*answered" "$run/show-calls.txt" ||
  fail "show calls text: $(cat "$run/show-calls.txt")"
live_id=$(jq -r '.calls[0].call_id' "$run/show-calls.json")
cli --json -c "diagnose call $live_id" >"$run/diag-live.json" || fail "diagnose live call: $(cat "$run/diag-live.json")"
# ok, or poor_quality when this shared machine's stalls made real jitter
# (the explanation then names it): never a failure verdict.
jq -e '.live == true and .source == "live calls" and ((.verdict == "ok" and (.explanation | test("up for [0-9.]+ s so far")))
    or (.verdict == "poor_quality" and (.explanation | test("jitter|loss|MOS"))))' "$run/diag-live.json" >/dev/null ||
  fail "diagnose live call: $(cat "$run/diag-live.json")"
ok "diagnose call $live_id (live): $(jq -r .explanation "$run/diag-live.json")"

# The technician at the console: the same, typed on an 80x24 terminal.
TG_CLI="$bin/tg-cli" SOCK="$run/mgmt.sock" SHM="/$prefix" CALL_ID="$live_id" "$PY" - <<'PY' ||
import os, pty, re, select, struct, fcntl, termios, time
cli, sock, shm, call_id = (os.environ[k] for k in ("TG_CLI", "SOCK", "SHM", "CALL_ID"))
pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "vt100"
    os.environ["HOME"] = "/nonexistent"
    os.execv(cli, [cli, "--socket", sock, "--shm-prefix", shm])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
def read_until(pattern, timeout=10):
    deadline, buf = time.time() + timeout, ""
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            buf += os.read(fd, 4096).decode(errors="replace")
            plain = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", buf)
            if re.search(pattern, plain):
                return plain
    raise AssertionError(f"waited for {pattern!r}; screen ends with:\n{buf[-800:]}")
def typ(keys):
    for k in keys:
        os.write(fd, k.encode())
        time.sleep(0.002)
prompt = r"tg-virtual> $"
read_until(prompt)
typ("sh cal\r"); out = read_until(prompt)
assert "live calls" in out and "4930111222" in out and "answered" in out and call_id[:40] in out, out
assert all(len(l) <= 80 for l in out.replace("\r", "").split("\n")), out
typ(f"diag call {call_id}\r"); out = read_until(prompt)
assert re.search(r"Verdict   (ok: call completed normally|poor_quality: poor voice quality)", out), out
assert "trunk carrierA, uplink wan0" in out, out
typ("diagnose call no-such-call\r"); out = read_until(prompt)
assert "% no call 'no-such-call'" in out, out
typ("exit\r")
os.waitpid(pid, 0)
print("pty: show calls and diagnose call ok")
PY
  fail "pty session"

calls_end $((secs + 20))
check_calls $ncalls 5000   # completed with media; gaps are the forwarding tests' business

# CDRs in the store: one per call, final 200, diagnosed ok, MOS both ways.
cdrs_ok() {
  cli -c "export calls json" >"$run/export.json" 2>/dev/null || return 1
  jq -e --argjson n $ncalls --argjson secs $secs '[.[] | select(.final_code == 200 and .state == "ended" and (.verdict == "ok" or .verdict == "poor_quality")
      and .trunk == "carrierA" and .uplink == "wan0" and .from == "4930111222" and .to == "4940333444"
      and .outbound.mos >= 4.0 and .inbound.mos >= 4.0 and .duration_s > $secs - 2)] | length == $n' "$run/export.json" >/dev/null
}
wait_for 10 "$ncalls CDRs with final 200 in export calls ($(cat "$run/export.json" 2>/dev/null))" cdrs_ok
ok "export calls json: $(jq -c '[.[] | {call_id, final_code, verdict, mos: [.outbound.mos, .inbound.mos], duration_s}]' "$run/export.json")"
"$bin/tg-cli" --socket "$run/mgmt.sock" export calls --csv --since 10m >"$run/export.csv" || fail "export calls --csv"
head -1 "$run/export.csv" | grep -q "^id,call_id,from,to,trunk,uplink,direction,start," || fail "CSV header: $(head -1 "$run/export.csv")"
[ "$(grep -c ',4930111222,4940333444,carrierA,wan0,outbound,.*,200,ended,' "$run/export.csv")" = $ncalls ] ||
  fail "CSV rows: $(cat "$run/export.csv")"
"$bin/tg-store" --db "$run/state/store.db" export calls --format json 2>/dev/null >"$run/tg-store.json" || fail "tg-store export"
jq -e --argjson n $ncalls 'length == $n' "$run/tg-store.json" >/dev/null || fail "tg-store export: $(cat "$run/tg-store.json")"
ok "CSV export ($((ncalls)) rows) and tg-store agree"

# A national number without country code, rejected by the far end with 404.
log "one call to 030123456, answered 404 Not Found"
lab exec far "$bin/tg-callgen" --mode uas --local "$FAR_PHONES:5060" --calls 1 --answer-code 404 --max-time 20 \
  --summary "$run/far-404.json" >"$run/far-404.log" 2>&1 &
echo $! >"$run/far-404.pid"
wait_for 5 "far phones (404) listening" eval "lab exec far ss -Hlun | grep -q '$FAR_PHONES:5060'"
lab exec lan "$bin/tg-callgen" --mode uac --local "$LAN_PBX:5060" --remote "$FAR_SBC:5060" --calls 1 --duration 2 \
  --from-user 4930111222 --to-user 030123456 --max-time 20 --summary "$run/pbx-404.json" >"$run/pbx-404.log" 2>&1 ||
  true   # a rejected call is a failure to tg-callgen
rejected_ok() {
  cli -c "export calls json" >"$run/export2.json" 2>/dev/null || return 1
  jq -e '[.[] | select(.to == "030123456" and .final_code == 404)] | length == 1' "$run/export2.json" >/dev/null
}
wait_for 10 "the 404 call's CDR ($(jq -c '[.[] | {to, final_code}]' "$run/export2.json" 2>/dev/null))" rejected_ok
rej_id=$(jq -r '.[] | select(.to == "030123456") | .call_id' "$run/export2.json")
cli --json -c "diagnose call $rej_id" >"$run/diag-404.json" || fail "diagnose 404 call: $(cat "$run/diag-404.json")"
jq -e '.verdict == "number_format" and (.explanation | test("missing country code\\?")) and .live == false
    and .call.final_code == 404' "$run/diag-404.json" >/dev/null || fail "diagnose 404 call: $(cat "$run/diag-404.json")"
cli -c "diagnose call $rej_id" >"$run/diag-404.txt"
awk 'length > 80 { bad = 1 } END { exit bad }' "$run/diag-404.txt" || fail "diagnosis wider than 80 columns"
ok "diagnose call $rej_id: $(jq -r '.verdict + ": " + .explanation' "$run/diag-404.json")"

# show trunks: CDR figures, busy kept apart from failure.
cli --json -c "show trunks" >"$run/trunks.json" || fail "show trunks"
jq -e '.trunks[] | select(.name == "carrierA") | .calls.window as $w
    | $w.attempts == 3 and $w.answered == 2 and ($w.asr_pct - 66.7 | fabs) < 0.1 and $w.busy_pct == 0
      and $w.failure_pct == 0 and $w.srd_mean_ms != null and .calls.since_start.attempts == 3
      and .calls.congested == false' "$run/trunks.json" >/dev/null ||
  fail "show trunks figures: $(jq -c '.trunks[] | {name, calls}' "$run/trunks.json")"
ok "show trunks carrierA: $(jq -c '.trunks[] | select(.name == "carrierA") | .calls.window | {attempts, asr_pct, seer_pct, isa_pct, busy_pct, failure_pct, srd_mean_ms, pdd_mean_ms}' "$run/trunks.json")"

# tg-controld stopped: the console reads the live calls from shared memory.
log "tg-controld stopped; one more call"
cpid=$(cat "$run/tg-controld.pid")   # its own pid file: not the netns wrapper's pid
[ "$(cat "/proc/$cpid/comm" 2>/dev/null)" = tg-controld ] || fail "$run/tg-controld.pid: '$cpid' is not tg-controld"
kill -TERM "$cpid"
wait_for 5 "tg-controld stopped" eval '[ ! -e /proc/$cpid ]' 
ap_calls 1 6 --from-user 4930111222 --to-user 4940777888 || fail "call did not start"
shm_ok() {
  cli --json -c "show calls" >"$run/shm-calls.out" 2>&1
  cat "$run/shm-calls.out" >>"$run/shm-calls.log"
  sed -n '/^{/,$p' "$run/shm-calls.out" >"$run/shm-calls.json"
  jq -e '([.calls[] | select(.state == "answered" and .to == "4940777888" and .media.in.packets > 0)] | length == 1)
      and (.source | test("not answering"))' "$run/shm-calls.json" >/dev/null 2>&1
}
wait_for 10 "show calls from shared memory ($(cat "$run/shm-calls.out" 2>/dev/null))" shm_ok
grep -q "tg-controld is not answering" "$run/shm-calls.out" || fail "daemon down not said: $(cat "$run/shm-calls.out")"
ok "daemon down: show calls from shared memory: $(jq -c '[.calls[] | {to, state, mos: [.media.out.mos, .media.in.mos]}]' "$run/shm-calls.json")"
e2e_done   # the last call ends with the lab (EXIT trap)
