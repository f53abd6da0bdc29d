// SNMP notifications with net-snmp: v2c or v3 (USM, up to authPriv), trap
// (unacknowledged: delivered once handed to the socket) or inform
// (acknowledged: delivered only when the receiver answered, else retried
// from the queue). Each notification carries the TRUNKGUARD-MIB varbinds
// (mibs/TRUNKGUARD-MIB.txt), all of them, in this order:
//   sysUpTime.0, snmpTrapOID.0 = tgAlarmRaised | tgAlarmChanged | tgAlarmCleared,
//   tgAlarmId.0, tgAlarmSeverity.0, tgAlarmEventType.0, tgAlarmProbableCause.0,
//   tgAlarmSpecificProblem.0, tgAlarmObjectKind.0, tgAlarmObjectName.0,
//   tgAlarmObjectLabel.0, tgAlarmText.0, tgAlarmCallsAffected.0, tgAlarmTime.0,
//   tgAlarmType.0, tgAlarmNoticeId.0
#pragma once
#include <string>

#include "control/notify/sender.hpp"

namespace tg::notify {

// Enterprise arc: 1.3.6.1.4.1.32473 is the documentation enterprise number
// (RFC 5612); a product would use its own IANA PEN here.
constexpr const char* kTrunkGuardMibOid = "1.3.6.1.4.1.32473.1";

struct SnmpOptions {
  std::string version = "v2c";            // v2c | v3
  std::string community = "public";       // v2c
  std::string user;                       // v3 USM user
  std::string security_level = "authPriv";  // noAuthNoPriv | authNoPriv | authPriv
  std::string auth_protocol = "SHA-256";  // MD5 SHA SHA-224 SHA-256 SHA-384 SHA-512
  std::string auth_key;                   // passphrase
  std::string priv_protocol = "AES";      // DES AES AES-192 AES-256
  std::string priv_key;
  std::string engine_id;                  // hex, our engine id for v3 traps; default: net-snmp's
  std::string target;                     // HOST[:PORT], port 162 by default
  bool inform = false;
  int timeout_ms = 3000;                  // inform: per try
  int retries = 3;                        // inform: retransmissions
  std::string persistent_dir;             // net-snmp state (engine boots); default a temp dir
};

// Checks the options (protocol names, key lengths, hex engine id); "" if fine.
std::string validate(const SnmpOptions& o);

// net-snmp keeps v3 users in a process-wide list keyed by engine id and
// user: changing a user's keys for the same engine id at run time needs a
// daemon restart (a new SnmpSender is not enough).
class SnmpSender : public Sender {
 public:
  explicit SnmpSender(SnmpOptions o);
  ~SnmpSender() override;
  const std::string& channel() const override { return channel_; }
  size_t batch_limit() const override { return 16; }
  SendOutcome send(const std::vector<Delivery>& due, WallMs now) override;

 private:
  bool send_one(const Notice& n, std::string& error);
  SnmpOptions o_;
  std::string channel_;
};

}  // namespace tg::notify
