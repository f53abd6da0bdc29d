#!/usr/bin/env bash
# timeout: 240
# tg-analyze agrees with Wireshark on hand-made RTP edge cases: for each
# tg-pcapgen case (sequence wrap, SSRC change, timestamp jumps, marker bit
# with comfort noise, duplicates, reordering, late packets, loss bursts, and
# many concurrent calls with G.711/G.729/Opus), per RTP stream,
# `tg-analyze --json` must match `tshark -q -z rtp,streams`: packets and lost
# exactly, max and mean jitter within 0.1 ms or 2 %.
# Each case's edge stream (198.51.100.10:20000 -> 203.0.113.20:40000) must
# also still show the figures tshark 4.0.17 gave when the case was written,
# so a generator change that loses the edge case fails here too.
#   KEEP=DIR   keep the captures and the outputs in DIR
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
need_cmd tshark
need_bin tg-pcapgen tg-analyze
pcapgen=$bin/tg-pcapgen analyze=$bin/tg-analyze
temp_dir work tgrtedge
keep_work() { if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp -r "$work"/. "$KEEP"/; fi; }
on_exit keep_work

# case  streams  edge-stream "packets lost" as tshark 4.0.17 reported them
# (ssrc-change: the first SSRC's stream; the second also has 250 / 0, and a
# stray third SSRC sends one packet).
cases="seqwrap:2:498:2 ssrc-change:4:250:0 ts-jump:2:450:0 marker:2:505:0 duplicates:2:522:-22
reorder:2:500:0 late:2:500:-2 loss-burst:2:479:21 multi-stream:40:-:-"

failed=0
for spec in $cases; do
  IFS=: read -r name streams edge_pkts edge_lost <<<"$spec"
  cap=$work/$name.pcap
  args=(--case "$name" -o "$cap")
  [ "$name" = multi-stream ] && args+=(--calls 20 --seconds 12 --seed 7)
  "$pcapgen" "${args[@]}" 2>"$work/$name.pcapgen.log" || fail "tg-pcapgen --case $name failed"
  tshark -q -o rtp.heuristic_rtp:FALSE -z rtp,streams -r "$cap" >"$work/$name.tshark.txt" 2>/dev/null \
    || fail "tshark failed on $name"
  "$analyze" --json "$cap" >"$work/$name.json" || fail "tg-analyze failed on $name"
  echo "== $name"
  if ! python3 - "$work/$name.tshark.txt" "$work/$name.json" "$streams" "$edge_pkts" "$edge_lost" "$top/tests/integration/lib" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[6])
import tshark_rtp
rtp_txt, ours_path, want_streams, edge_pkts, edge_lost = sys.argv[1:6]
theirs = tshark_rtp.parse_streams(rtp_txt)
mine = tshark_rtp.ours_streams(json.load(open(ours_path)))
bad = []
if len(theirs) != int(want_streams):
    bad.append(f"tshark found {len(theirs)} RTP streams, the case has {want_streams}")
bad += tshark_rtp.compare(theirs, mine, indent="  ")
if edge_pkts != "-":
    edge = theirs.get(("198.51.100.10:20000", "203.0.113.20:40000", 0x1234ABCD))
    if not edge:
        bad.append("edge stream 0x1234abcd missing from tshark's output")
    elif (edge["packets"], edge["lost"]) != (int(edge_pkts), int(edge_lost)):
        bad.append(f"edge stream is now {edge['packets']} packets / {edge['lost']} lost in tshark, "
                   f"the case was written for {edge_pkts} / {edge_lost}")
for b in bad:
    print("  FAIL:", b)
sys.exit(1 if bad else 0)
PY
  then
    failed=$((failed + 1))
  fi
done
[ "$failed" -eq 0 ] || fail "$failed case(s) disagree with tshark"
echo "tg-analyze agrees with tshark on every edge case"
