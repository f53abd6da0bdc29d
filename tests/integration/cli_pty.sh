#!/usr/bin/env bash
# timeout: 120
# tg-cli as a technician meets it on an 80x24 terminal: a pseudo-terminal,
# keys typed one by one, the screen read back. Prompt, abbreviations, Tab
# completion, `?` help, history (up arrow), errors with a caret, `| include`,
# paging with --More--, configure/set/diff/commit, the daemon going away
# (said plainly), show calls / diagnose call / export calls without a fast
# path, and one-shot -c with --json.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
build=$TG_BUILD
temp_dir work tgclipty
pid=""
fail_details() { tail -n 20 "$work/controld.log" 2>/dev/null; return 0; }

cp "$top/board/virtual/trunkguard.conf" "$work/trunkguard.conf"
start_daemon() {
  "$build/bin/tg-controld" --config "$work/trunkguard.conf" --set "box.mgmt_socket=$work/mgmt.sock" \
    --set "box.pidfile=$work/controld.pid" --set "box.state_dir=$work/state" --shm-prefix "/tgclipty$$" \
    >>"$work/controld.log" 2>&1 &
  pid=$!
  cleanup_pid "$pid"
  local deadline=$((SECONDS + 10))
  until [ -S "$work/mgmt.sock" ]; do
    kill -0 "$pid" 2>/dev/null || fail "tg-controld exited"
    ((SECONDS < deadline)) || fail "no management socket after 10 s"
    sleep 0.05
  done
}
start_daemon

# One-shot use for scripts: --json parses, a bad command exits 2 with a caret.
"$build/bin/tg-cli" --socket "$work/mgmt.sock" -c "show version" --json |
  python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["box"]=="tg-virtual", d' || fail "one-shot --json"
set +e
err=$("$build/bin/tg-cli" --socket "$work/mgmt.sock" -c "show uplnks" 2>&1); rc=$?
set -e
[ "$rc" = 2 ] || fail "bad command exit code $rc"
grep -q "     ^" <<<"$err" && grep -q "unknown word 'uplnks'" <<<"$err" || fail "bad command message: $err"

TG_CLI="$build/bin/tg-cli" SOCK="$work/mgmt.sock" DAEMON_PID="$pid" python3 - <<'PY' || fail "pty session"
import os, pty, re, select, signal, struct, fcntl, termios, time, sys

cli, sock, daemon = os.environ["TG_CLI"], os.environ["SOCK"], int(os.environ["DAEMON_PID"])
pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "vt100"
    os.environ["HOME"] = "/nonexistent"  # no history file from a previous run
    os.execv(cli, [cli, "--socket", sock])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
screen = ""

def read_until(pattern, timeout=10):
    global screen
    deadline = time.time() + timeout
    buf = ""
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 4096).decode(errors="replace")
            except OSError:
                break
            buf += chunk
            screen += chunk
            plain = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", buf)   # cursor moves, clear-to-end
            if re.search(pattern, plain):
                return plain
    raise AssertionError(f"waited for {pattern!r}; screen ends with:\n{buf[-800:]}")

def typ(keys):
    for k in keys:          # one key at a time, as a person (or a serial line) sends them
        os.write(fd, k.encode())
        time.sleep(0.002)

prompt = r"tg-virtual> $"
read_until(prompt)
typ("sh ver\r");                        out = read_until(prompt); assert "Version:" in out, out
typ("show upl\t");                      out = read_until(r"show uplinks $"); 
typ("\r");                              out = read_until(prompt); assert "wan0" in out and "wan1" in out, out
typ("show ?");                          out = read_until(r"show $")
assert "uplinks" in out and "fault-report" in out and "failover" in out, out
typ("\x15")                             # Ctrl-U: clear the line
typ("show uplnks\r");                   out = read_until(prompt)
assert re.search(r"\n {17}\^", out) and "unknown word 'uplnks'" in out, out   # caret under column 18 (prompt 12 + 5)
typ("sh c\r");                          out = read_until(prompt); assert "ambiguous" in out and "counters" in out, out
typ("show uplinks | include wan1\r");   out = read_until(prompt)
assert "wan1" in out and "wan0" not in out, out
typ("\x1b[A");                          out = read_until(r"show uplinks \| include wan1")   # history
typ("\x15help\r");                      out = read_until(r"--More--")                    # longer than 23 lines
typ("q");                               out = read_until(prompt)
typ("configure\r");                     out = read_until(r"tg-virtual\(config\)# $")
typ("set thresholds.rtt_ms 80\r");      out = read_until(r"\(config\)# $"); assert "%" not in out, out
typ("show config diff\r");              out = read_until(r"\(config\)# $"); assert "rtt_ms" in out and "80" in out, out
typ("set thresholds.rtt_ms banana\r");  out = read_until(r"\(config\)# $"); assert "%" in out, out
typ("discard\r");                       out = read_until(r"\(config\)# $")
typ("set thresholds.rtt_ms 80\r");      read_until(r"\(config\)# $")
typ("commit\r");                        out = read_until(r"\(config\)# $"); assert "%" not in out, out
typ("end\r");                           read_until(prompt)
typ("show config running | include rtt_ms\r"); out = read_until(prompt)
assert re.search(r"rtt_ms\s*=\s*80", out), out
# calls without a fast path: said plainly
typ("show calls\r");                    out = read_until(prompt); assert "% live calls not available" in out, out
typ("diag call a84b4c76@pbx.example\r"); out = read_until(prompt)
assert "% no call 'a84b4c76@pbx.example'" in out, out
typ("export calls csv since 1h\r");     out = read_until(prompt)
assert out.replace("\r", "").split("\n")[1].startswith("id,call_id,from,to,trunk,uplink,direction,"), out
# the daemon goes away: said plainly, the console stays usable
os.kill(daemon, signal.SIGKILL)
typ("show trunks\r");                   out = read_until(prompt); assert "tg-controld is not answering" in out, out
typ("show calls\r");                    out = read_until(prompt)
assert "tg-controld is not answering" in out and "the fast path cannot tell either" in out, out
typ("exit\r")
_, status = os.waitpid(pid, 0)
assert os.WIFEXITED(status), status
print("pty session ok:", len(screen), "bytes of screen")
PY
pid=""
echo "PASS"
