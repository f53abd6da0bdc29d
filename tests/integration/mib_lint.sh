#!/usr/bin/env bash
# timeout: 30
# TRUNKGUARD-MIB passes `smilint -l 3` with no message at all. The system MIB
# paths are searched first; mibs/ietf supplies the SMIv2 base modules where
# Debian has none (they are in the non-free snmp-mibs-downloader).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
need_cmd smilint smidump
out=$(SMIPATH=":$top/mibs/ietf" smilint -l 3 "$top/mibs/TRUNKGUARD-MIB.txt" 2>&1)
[ -z "$out" ] || { echo "FAIL: smilint -l 3 says:"; echo "$out"; exit 1; }
# and it is the module the code sends: every varbind object the SNMP sender uses is defined
for name in tgAlarmRaised tgAlarmCleared tgAlarmChanged tgAlarmId tgAlarmSeverity tgAlarmEventType \
  tgAlarmProbableCause tgAlarmSpecificProblem tgAlarmObjectKind tgAlarmObjectName tgAlarmObjectLabel \
  tgAlarmText tgAlarmCallsAffected tgAlarmTime tgAlarmType tgAlarmNoticeId; do
  grep -q "^$name " "$top/mibs/TRUNKGUARD-MIB.txt" || fail "$name not in the MIB"
  grep -q "$name" "$top/control/notify/snmp.cpp" || fail "$name not sent by control/notify/snmp.cpp"
done
# OIDs as smidump resolves them match the numbers the sender uses
oids=$(SMIPATH=":$top/mibs/ietf" smidump -f identifiers "$top/mibs/TRUNKGUARD-MIB.txt" 2>/dev/null)
for want in "tgAlarmRaised notification 1.3.6.1.4.1.32473.1.0.1" "tgAlarmCleared notification 1.3.6.1.4.1.32473.1.0.2" \
  "tgAlarmText scalar 1.3.6.1.4.1.32473.1.1.1.9" "tgAlarmNoticeId scalar 1.3.6.1.4.1.32473.1.1.1.13"; do
  set -- $want
  awk -v n="$1" -v k="$2" -v o="$3" '$2 == n && $3 == k && $4 == o {f=1} END {exit !f}' <<<"$oids" ||
    { echo "FAIL: $want not in smidump output:"; echo "$oids"; exit 1; }
done
echo "ok: TRUNKGUARD-MIB lint-clean at level 3, OIDs match the sender"
