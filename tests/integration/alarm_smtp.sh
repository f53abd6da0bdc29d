#!/usr/bin/env bash
# timeout: 150
# Alarm mail reaches a real SMTP sink (python3 -m aiosmtpd) on loopback:
# plain SMTP to two recipients, and STARTTLS (required) against a sink with
# a test certificate; every notice also goes out as RFC 5424 syslog over UDP.
# With the mail relay down, notices wait on disk, survive a tg-notify
# restart and are delivered once each (as one digest) when it returns.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
need_bin tg-notify
need_py aiosmtpd
py=$PY
notify=$bin/tg-notify

temp_dir tmp tgal-smtp
fail_details() { for f in "$tmp"/*.log; do echo "--- $f"; tail -n 30 "$f"; done; }

free_port() { $py -c "import socket; s=socket.socket(socket.AF_INET, socket.$1); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
smtp_port=$(free_port SOCK_STREAM)
tls_port=$(free_port SOCK_STREAM)
syslog_port=$(free_port SOCK_DGRAM)

# The sink's handler: one JSON line per mail (envelope + raw message).
cat >"$tmp/tgsink.py" <<'EOF'
import json, sys

class Capture:
    def __init__(self, path):
        self.path = path

    @classmethod
    def from_cli(cls, parser, *args):
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        rec = {"from": envelope.mail_from, "to": envelope.rcpt_tos,
               "tls": session.ssl is not None,
               "data": envelope.content.decode("utf-8", "replace")}
        with open(self.path, "a") as f:
            f.write(json.dumps(rec) + "\n")
        return "250 OK"
EOF
# UDP syslog collector: one datagram per line.
cat >"$tmp/syslog_sink.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "a") as f:
    while True:
        data, _ = s.recvfrom(65535)
        f.write(data.decode("utf-8", "replace") + "\n")
        f.flush()
EOF

sink_pid=
start_sink() {  # PORT MAILFILE [aiosmtpd TLS options]
  local port=$1 out=$2
  shift 2
  PYTHONPATH=$tmp $py -m aiosmtpd -n -l "127.0.0.1:$port" "$@" -c tgsink.Capture "$out" >>"$tmp/sink.log" 2>&1 &
  sink_pid=$!
  cleanup_pid "$sink_pid"
  local deadline=$((SECONDS + 15))
  until $py -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "SMTP sink did not start"
    sleep 0.05
  done
}
stop_sink() { kill "$sink_pid"; wait "$sink_pid" 2>/dev/null || true; }

# occurrences of a fixed string in the captured mail bodies
in_mail() { [ -f "$1" ] && grep -o -F -- "$2" "$1" | wc -l || echo 0; }
wait_mail() {  # FILE MARKER SECONDS
  local deadline=$((SECONDS + $3))
  until (($(in_mail "$1" "$2") >= 1)); do
    ((SECONDS < deadline)) || fail "mail with '$2' not received in $3 s"
    sleep 0.05
  done
}

$py "$tmp/syslog_sink.py" "$syslog_port" "$tmp/syslog.txt" 2>"$tmp/syslog_sink.log" &
cleanup_pid "$!"

cat >"$tmp/tg.conf" <<EOF
[box]
name = gw-lab
[notify]
backoff_initial_ms = 200
backoff_max_ms = 800
[alarm.email]
enabled = true
smtp_url = smtp://127.0.0.1:$smtp_port
starttls = none
from = gw-lab@example.net
recipients = noc@example.net, oncall@example.org
rate_limit_per_hour = 3600
group_window_s = 2
timeout_ms = 5000
[alarm.syslog]
enabled = true
remote = udp://127.0.0.1:$syslog_port
facility = local3
EOF
N=("$notify" -c "$tmp/tg.conf" --queue "$tmp/q.db")

# --- one alarm, plain SMTP
start_sink "$smtp_port" "$tmp/mail.jsonl"
"${N[@]}" raise --type uplink_blackhole --object wan0 --label "Carrier A" \
  --detail "no RTP on 12 calls for 180 ms" --action "traffic switched to wan1 (Carrier B) in 212 ms" \
  --calls 12 >/dev/null
"${N[@]}" drain --until-empty --timeout 20 2>"$tmp/drain0.log" || fail "drain"
text="wan0 (Carrier A) silent blackhole: no RTP on 12 calls for 180 ms; traffic switched to wan1 (Carrier B) in 212 ms; 12 calls affected"
wait_mail "$tmp/mail.jsonl" "$text" 10
$py - "$tmp/mail.jsonl" "$text" <<'EOF' || fail "mail content"
import json, sys, email
rec = [json.loads(l) for l in open(sys.argv[1])][-1]
assert rec["from"] == "gw-lab@example.net", rec["from"]
assert sorted(rec["to"]) == ["noc@example.net", "oncall@example.org"], rec["to"]
msg = email.message_from_string(rec["data"])
assert msg["Subject"] == "[TrunkGuard gw-lab] CRITICAL raised: wan0 (Carrier A) silent blackhole", msg["Subject"]
assert msg["Message-ID"].startswith("<tg-"), msg["Message-ID"]
body = msg.get_payload()
assert body.startswith(sys.argv[2]), body[:200]
for want in ("Severity:         critical", "Probable cause:   receiveFailure (17)", "Calls affected:   12"):
    assert want in body, want
EOF
# syslog: local3 (19) * 8 + crit (2) = 154
deadline=$((SECONDS + 10))
until grep -q -F "$text" "$tmp/syslog.txt" 2>/dev/null; do
  ((SECONDS < deadline)) || fail "no syslog line"
  sleep 0.05
done
grep -F "$text" "$tmp/syslog.txt" | grep -q -E '^<154>1 [0-9T:.-]+Z [^ ]+ trunkguard [0-9]+ ALARM \[tgAlarm@32473 id="[0-9]+" .*type="uplink_blackhole" object="wan0" .*severity="critical"' ||
  fail "syslog line not RFC 5424 as expected: $(cat "$tmp/syslog.txt")"
echo "ok: alarm mail to 2 recipients with the text and X.733 fields; RFC 5424 syslog line"

# --- the relay is down: queued on disk, retried, survives a restart, delivered once
stop_sink
"${N[@]}" drain 2>"$tmp/drain1.log" &
drain_pid=$!
cleanup_pid "$drain_pid"
for i in 1 2 3 4; do
  "${N[@]}" raise --type trunk_down --object "carrier$i" --detail "outage marker $i-$$" >/dev/null
done
# Mail retried while syslog, a separate channel, delivers everything: the
# retry loop of one receiver never holds up another. Both are polled for:
# the mail retry may come round before the last syslog line went out.
deadline=$((SECONDS + 20))
until "${N[@]}" status --json | grep -q '"channel":"email","pending":4,"delivered":[0-9]*,"oldest_pending_ms":[0-9]*,"max_attempts":[2-9]'; do
  ((SECONDS < deadline)) || fail "mail not retried while the relay was down: $("${N[@]}" status --json)"
  sleep 0.1
done
until "${N[@]}" status --json | grep -q '"channel":"syslog","pending":0'; do
  ((SECONDS < deadline)) || fail "syslog should not wait for the mail relay: $("${N[@]}" status --json)"
  sleep 0.1
done
kill "$drain_pid"
wait "$drain_pid" || true
status=$("${N[@]}" status --json)
echo "queued on disk while down: $status"
jq -e '.channels | length >= 2' <<<"$status" >/dev/null || fail "status --json is not the expected JSON: $status"
grep -q '"channel":"email","pending":4' <<<"$status" || fail "mail delivered while the relay was down: $status"
grep -q "Couldn't connect\|onnection refused" <<<"$status" || fail "no SMTP error recorded"

"${N[@]}" drain 2>"$tmp/drain2.log" &   # restarted with the relay still down
drain_pid=$!
cleanup_pid "$drain_pid"
sleep 0.3                               # let it fail at least once more before the relay returns
start_sink "$smtp_port" "$tmp/mail.jsonl"
for i in 1 2 3 4; do wait_mail "$tmp/mail.jsonl" "outage marker $i-$$" 20; done
deadline=$((SECONDS + 10))
until "${N[@]}" status --json | grep -q '"pending":0'; do
  ((SECONDS < deadline)) || fail "queue not empty: $("${N[@]}" status --json)"
  sleep 0.1
done
kill "$drain_pid"
wait "$drain_pid" || true
for i in 1 2 3 4; do
  n=$(in_mail "$tmp/mail.jsonl" "outage marker $i-$$")
  [ "$n" -eq 1 ] || fail "outage notice $i mailed $n times"
done
grep -q -F '4 alarm notifications (4 critical)' "$tmp/mail.jsonl" || fail "the 4 waiting notices did not go as one digest"
echo "ok: 4 notices waited on disk through a tg-notify restart, then one digest mail, none lost or duplicated"

# --- a storm: 20 alarms in about a second become a handful of mails, each alarm in exactly one
"${N[@]}" drain 2>"$tmp/drain-storm.log" &
drain_pid=$!
cleanup_pid "$drain_pid"
storm_start=$SECONDS
for i in $(seq 1 20); do
  "${N[@]}" raise --type uplink_loss --object "wan$i" --detail "storm marker $i-$$" --severity major >/dev/null
done
for i in $(seq 1 20); do wait_mail "$tmp/mail.jsonl" "storm marker $i-$$" 20; done
storm_took=$((SECONDS - storm_start))
kill "$drain_pid"
wait "$drain_pid" || true
for i in $(seq 1 20); do
  n=$(in_mail "$tmp/mail.jsonl" "storm marker $i-$$")
  [ "$n" -eq 1 ] || fail "storm alarm $i mailed $n times"
done
mails=$(grep -c -F "storm marker" "$tmp/mail.jsonl")
# at most the first mail plus one per 2 s window while they came in (+1 for the edges)
limit=$((2 + storm_took / 2))
echo "storm: 20 alarms in $mails mails over ${storm_took} s (limit $limit)"
((mails >= 2 && mails <= limit && mails < 20)) || fail "20 alarms in $mails mails: not grouped"
echo "ok: alarm storm grouped into $mails mails (group window 2 s), none lost or duplicated"

# --- STARTTLS required, relay certificate checked against the configured CA
if command -v openssl >/dev/null; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1
  stop_sink
  start_sink "$tls_port" "$tmp/tls.jsonl" --tlscert "$tmp/cert.pem" --tlskey "$tmp/key.pem"
  T=("${N[@]}" --set "alarm.email.smtp_url=smtp://127.0.0.1:$tls_port" --set alarm.email.starttls=required
    --set "alarm.email.ca_file=$tmp/cert.pem" --set alarm.syslog.enabled=false)
  "${T[@]}" raise --type trunk_congestion --object carrierA --detail "tls marker $$" >/dev/null
  "${T[@]}" drain --until-empty --timeout 20 2>"$tmp/drain3.log" || fail "STARTTLS drain"
  wait_mail "$tmp/tls.jsonl" "tls marker $$" 10
  grep -F "tls marker $$" "$tmp/tls.jsonl" | grep -q '"tls": true' || fail "mail did not go over TLS"
  echo "ok: STARTTLS (required) with the relay's certificate verified"
else
  echo "note: openssl missing, STARTTLS part not run"
fi
