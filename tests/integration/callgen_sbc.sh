#!/usr/bin/env bash
# timeout: 90
# tg-callgen through the lab's real carrier SBC (kamailio): calls answered,
# hold/resume (the far end stops sending while held: the caller hears a gap
# of the hold's length), blind transfer reported by NOTIFY sipfrag (success
# and a refused one), latching, MOS on a clean path, and 503 + Retry-After
# from the SBC during `sip503`.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
need_root
need_bin tg-callgen
need_cmd kamailio kamcmd
P=tgcg$$
temp_dir work "$P"
lab() { "$top/tools/lab/lab" --prefix "$P" "$@"; }
on_exit 'lab down >/dev/null 2>&1'
. "$top/tools/lab/lab.env"
cg=$bin/tg-callgen

lab up >/dev/null
lab sbc start
# The far phones run directly under ip netns exec, so $! is tg-callgen
# itself: it is stopped by that PID (at exit too), nothing else is touched.
uas() {
  ip netns exec "$P-far" "$cg" --mode uas --latch --local "$FAR_PHONES:5060" --max-time 20 "$@" &
  uas_pid=$!
  cleanup_pid "$uas_pid"
}
uac() { lab exec far "$cg" --mode uac --local "$FAR_CARA:5070" --remote "$FAR_SBC:5060" --max-time 20 "$@"; }
wait_listen() { wait_for 5 "far phones listen on $FAR_PHONES:5060" eval 'grep -q "$FAR_PHONES:5060" <<<"$(lab exec far ss -Hlun)"'; }

# 1. two calls, held 1.5 s after 1 s, resumed, transferred at 4 s (success)
uas --calls 2 --summary "$work/uas1.json"; wait_listen
uac --calls 2 --duration 8 --hold-at 1 --hold-for 1.5 --transfer-at 4 >"$work/uac1.json" || true
wait "$uas_pid" || true
python3 - "$work/uac1.json" "$work/uas1.json" <<'PY' || fail "hold/transfer call"
import json, sys
uac, uas = (json.load(open(f)) for f in sys.argv[1:3])
assert uac["calls"]["answered"] == 2 and uac["calls"]["completed"] == 2, uac["calls"]
for c in uac["call_list"]:
    assert c["holds"] == 1, c
    assert c["transfer"] == {"code": 200, "ok": True}, c["transfer"]
    (r,) = c["received"]
    # held for 1.5 s: the far end (recvonly) stopped sending
    assert 1300 < r["longest_gap_ms"] < 2500, r
    assert r["lost"] == 0 and r["mos"] > 4.0, r
for c in uas["call_list"]:
    assert c["holds"] == 1 and c["transfer"]["code"] == 200, c
    assert c["relatched"] == 0, c  # no NAT here: SDP address == source
    (r,) = c["received"]
    assert r["longest_gap_ms"] < 500, r   # the caller kept sending while holding
print("hold + transfer ok:", [c["received"][0]["longest_gap_ms"] for c in uac["call_list"]])
PY

# 2. a transfer the transferee reports as failed (603): the caller stays on
uas --calls 1 --transfer-code 603 --summary "$work/uas2.json"; wait_listen
uac --calls 1 --duration 3 --transfer-at 1 >"$work/uac2.json" || true
wait "$uas_pid" || true
python3 - "$work/uac2.json" <<'PY' || fail "failed transfer"
import json, sys
c = json.load(open(sys.argv[1]))["call_list"][0]
assert c["transfer"] == {"code": 603, "ok": False}, c["transfer"]
assert c["state"] == "completed", c  # hung up by its own BYE at the end, not by the transfer
print("failed transfer ok")
PY

# 3. the SBC out of service: 503 with Retry-After, nothing answered
lab fault wan0 sip503 >/dev/null
uas --calls 1 --summary "$work/uas3.json"; wait_listen
uac --calls 1 --duration 1 >"$work/uac3.json" || true
stop_pid "$uas_pid"   # it waits for a call the SBC refused
python3 - "$work/uac3.json" <<'PY' || fail "sip503"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["call_list"][0]
assert c["state"] == "failed" and c["final_code"] == 503, c
print("sip503 ok")
PY
echo "PASS"
