#include "control/notify/snmp.hpp"

// clang-format off
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
// clang-format on
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <vector>

#include "control/notify/format.hpp"

namespace tg::notify {

namespace {

// 1.3.6.1.4.1.32473.1 (see snmp.hpp and mibs/TRUNKGUARD-MIB.txt)
constexpr oid kMib[] = {1, 3, 6, 1, 4, 1, 32473, 1};
constexpr size_t kMibLen = std::size(kMib);

enum Notification : oid { tgAlarmRaised = 1, tgAlarmCleared = 2, tgAlarmChanged = 3 };

// tgAlarmObjects = tgObjects.1 = trunkGuardMIB.1.1
enum Column : oid {
  tgAlarmId = 1,
  tgAlarmSeverity,
  tgAlarmEventType,
  tgAlarmProbableCause,
  tgAlarmSpecificProblem,
  tgAlarmObjectKind,
  tgAlarmObjectName,
  tgAlarmObjectLabel,
  tgAlarmText,
  tgAlarmCallsAffected,
  tgAlarmTime,
  tgAlarmType,
  tgAlarmNoticeId,
};

std::vector<oid> notification_oid(Notification n) {
  std::vector<oid> v(kMib, kMib + kMibLen);
  v.push_back(0);
  v.push_back(n);
  return v;
}

std::vector<oid> object_oid(Column c) {
  std::vector<oid> v(kMib, kMib + kMibLen);
  v.insert(v.end(), {1, 1, oid(c), 0});  // scalar instance .0
  return v;
}

std::once_flag g_init;
std::mutex g_mu;  // net-snmp's USM user list and key generation are process-global

void init_library(const std::string& persistent_dir) {
  std::call_once(g_init, [&] {
    std::string dir = persistent_dir.empty() ? "/tmp/tg-netsnmp-" + std::to_string(getuid()) : persistent_dir;
    mkdir(dir.c_str(), 0700);
    // No snmp.conf from the host and no MIB files: every OID here is numeric.
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_PERSISTENT_DIR, dir.c_str());
    setenv("MIBS", "", 1);
    setenv("MIBDIRS", "", 1);
    init_snmp("trunkguard");
  });
}

struct AuthProto {
  const char* name;
  const oid* proto;
  size_t len;
};
const AuthProto kAuth[] = {
#ifndef NETSNMP_DISABLE_MD5
    {"MD5", usmHMACMD5AuthProtocol, 10},
#endif
    {"SHA", usmHMACSHA1AuthProtocol, 10},
    {"SHA-224", usmHMAC128SHA224AuthProtocol, 10},
    {"SHA-256", usmHMAC192SHA256AuthProtocol, 10},
    {"SHA-384", usmHMAC256SHA384AuthProtocol, 10},
    {"SHA-512", usmHMAC384SHA512AuthProtocol, 10},
};
const AuthProto kPriv[] = {
#ifndef NETSNMP_DISABLE_DES
    {"DES", usmDESPrivProtocol, 10},
#endif
    {"AES", usmAESPrivProtocol, 10},
#ifdef NETSNMP_DRAFT_BLUMENTHAL_AES_04
    {"AES-192", usmAES192PrivProtocol, 9},
    {"AES-256", usmAES256PrivProtocol, 9},
#endif
};

const AuthProto* find_proto(const AuthProto* b, const AuthProto* e, const std::string& name) {
  for (; b != e; ++b)
    if (name == b->name) return b;
  return nullptr;
}

bool parse_hex(std::string s, std::vector<u_char>& out) {
  if (s.rfind("0x", 0) == 0 || s.rfind("0X", 0) == 0) s = s.substr(2);
  if (s.empty() || s.size() % 2) return false;
  out.clear();
  for (size_t i = 0; i < s.size(); i += 2) {
    char* end = nullptr;
    std::string byte = s.substr(i, 2);
    long v = strtol(byte.c_str(), &end, 16);
    if (*end) return false;
    out.push_back(u_char(v));
  }
  return out.size() >= 5 && out.size() <= 32;
}

std::string session_error(netsnmp_session* s) {
  int liberr = 0, syserr = 0;
  char* msg = nullptr;
  snmp_error(s, &liberr, &syserr, &msg);
  std::string e = msg ? msg : "unknown net-snmp error";
  free(msg);
  return e;
}

std::string sess_error(void* sessp) {
  int liberr = 0, syserr = 0;
  char* msg = nullptr;
  snmp_sess_error(sessp, &liberr, &syserr, &msg);
  std::string e = msg ? msg : "unknown net-snmp error";
  free(msg);
  return e;
}

void add_u32(netsnmp_pdu* pdu, Column c, uint64_t v) {
  auto o = object_oid(c);
  u_long val = u_long(v > 0xffffffffu ? 0xffffffffu : v);
  snmp_pdu_add_variable(pdu, o.data(), o.size(), ASN_UNSIGNED, &val, sizeof val);
}
void add_int(netsnmp_pdu* pdu, Column c, long v) {
  auto o = object_oid(c);
  snmp_pdu_add_variable(pdu, o.data(), o.size(), ASN_INTEGER, &v, sizeof v);
}
void add_str(netsnmp_pdu* pdu, Column c, const std::string& s, size_t max) {
  auto o = object_oid(c);
  snmp_pdu_add_variable(pdu, o.data(), o.size(), ASN_OCTET_STR, s.data(), std::min(s.size(), max));
}

}  // namespace

std::string validate(const SnmpOptions& o) {
  if (o.target.empty()) return "no SNMP target";
  if (o.version == "v2c") return o.community.empty() ? "v2c needs a community" : "";
  if (o.version != "v3") return "version must be v2c or v3, not '" + o.version + "'";
  if (o.user.empty()) return "v3 needs a user";
  bool auth = o.security_level == "authNoPriv" || o.security_level == "authPriv";
  bool priv = o.security_level == "authPriv";
  if (!auth && o.security_level != "noAuthNoPriv") return "unknown security_level '" + o.security_level + "'";
  if (auth) {
    if (!find_proto(std::begin(kAuth), std::end(kAuth), o.auth_protocol))
      return "auth_protocol '" + o.auth_protocol + "' not supported";
    if (o.auth_key.size() < 8) return "auth_key must have 8 characters or more";
  }
  if (priv) {
    if (!find_proto(std::begin(kPriv), std::end(kPriv), o.priv_protocol))
      return "priv_protocol '" + o.priv_protocol + "' not supported";
    if (o.priv_key.size() < 8) return "priv_key must have 8 characters or more";
  }
  std::vector<u_char> id;
  if (!o.engine_id.empty() && !parse_hex(o.engine_id, id)) return "engine_id must be 5..32 bytes in hex";
  return "";
}

SnmpSender::SnmpSender(SnmpOptions o) : o_(std::move(o)) {
  std::string t = o_.target;
  if (t.find(':') == std::string::npos) t += ":162";
  o_.target = t;
  channel_ = "snmp:" + t;
  init_library(o_.persistent_dir);
}

SnmpSender::~SnmpSender() = default;

SendOutcome SnmpSender::send(const std::vector<Delivery>& due, WallMs) {
  SendOutcome out;
  for (const Delivery& d : due) {
    std::string error;
    if (!send_one(d.notice, error)) {
      out.error = error;
      break;  // the receiver is down: the rest waits for the back-off too
    }
    out.delivered.push_back(d.notice.id);
  }
  return out;
}

bool SnmpSender::send_one(const Notice& n, std::string& error) {
  std::lock_guard lock(g_mu);
  if (std::string bad = validate(o_); !bad.empty()) {
    error = bad;
    return false;
  }
  netsnmp_session s;
  snmp_sess_init(&s);
  std::string peer = "udp:" + o_.target;
  s.peername = peer.data();
  s.timeout = long(o_.timeout_ms) * 1000;
  s.retries = o_.retries;
  std::vector<u_char> engine;
  if (o_.version == "v2c") {
    s.version = SNMP_VERSION_2c;
    s.community = reinterpret_cast<u_char*>(o_.community.data());
    s.community_len = o_.community.size();
  } else {
    s.version = SNMP_VERSION_3;
    s.securityName = o_.user.data();
    s.securityNameLen = o_.user.size();
    bool auth = o_.security_level != "noAuthNoPriv";
    bool priv = o_.security_level == "authPriv";
    s.securityLevel = priv ? SNMP_SEC_LEVEL_AUTHPRIV : auth ? SNMP_SEC_LEVEL_AUTHNOPRIV : SNMP_SEC_LEVEL_NOAUTH;
    if (auth) {
      const AuthProto* a = find_proto(std::begin(kAuth), std::end(kAuth), o_.auth_protocol);
      s.securityAuthProto = const_cast<oid*>(a->proto);
      s.securityAuthProtoLen = a->len;
      s.securityAuthKeyLen = USM_AUTH_KU_LEN;
      if (generate_Ku(s.securityAuthProto, u_int(s.securityAuthProtoLen),
                      reinterpret_cast<const u_char*>(o_.auth_key.data()), o_.auth_key.size(),
                      s.securityAuthKey, &s.securityAuthKeyLen) != SNMPERR_SUCCESS) {
        error = "cannot derive the v3 authentication key";
        return false;
      }
    }
    if (priv) {
      const AuthProto* p = find_proto(std::begin(kPriv), std::end(kPriv), o_.priv_protocol);
      s.securityPrivProto = const_cast<oid*>(p->proto);
      s.securityPrivProtoLen = p->len;
      s.securityPrivKeyLen = USM_PRIV_KU_LEN;
      if (generate_Ku(s.securityAuthProto, u_int(s.securityAuthProtoLen),
                      reinterpret_cast<const u_char*>(o_.priv_key.data()), o_.priv_key.size(),
                      s.securityPrivKey, &s.securityPrivKeyLen) != SNMPERR_SUCCESS) {
        error = "cannot derive the v3 privacy key";
        return false;
      }
    }
    if (!o_.inform) {
      // A trap's sender is the authoritative engine: the receiver must know
      // the user under our engine id (snmptrapd: createUser -e ID ...).
      if (!o_.engine_id.empty()) {
        parse_hex(o_.engine_id, engine);
      } else {
        u_char buf[64];
        int len = snmpv3_get_engineID(buf, sizeof buf);
        engine.assign(buf, buf + (len > 0 ? len : 0));
      }
      s.securityEngineID = engine.data();
      s.securityEngineIDLen = engine.size();
      s.contextEngineID = engine.data();
      s.contextEngineIDLen = engine.size();
      struct sysinfo si;
      sysinfo(&si);
      s.engineBoots = 1;
      s.engineTime = u_int(si.uptime);
    }
    // informs: the receiver is authoritative; net-snmp discovers its engine id on open
  }

  void* sess = snmp_sess_open(&s);
  if (!sess) {
    error = o_.target + ": " + session_error(&s);
    return false;
  }

  netsnmp_pdu* pdu = snmp_pdu_create(o_.inform ? SNMP_MSG_INFORM : SNMP_MSG_TRAP2);
  struct sysinfo si;
  sysinfo(&si);
  static const oid kSysUpTime[] = {1, 3, 6, 1, 2, 1, 1, 3, 0};
  static const oid kSnmpTrapOid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};
  u_long ticks = u_long(si.uptime) * 100;
  snmp_pdu_add_variable(pdu, kSysUpTime, std::size(kSysUpTime), ASN_TIMETICKS, &ticks, sizeof ticks);
  Notification which = n.transition == alarm::Transition::cleared   ? tgAlarmCleared
                       : n.transition == alarm::Transition::changed ? tgAlarmChanged
                                                                    : tgAlarmRaised;
  auto trap = notification_oid(which);
  snmp_pdu_add_variable(pdu, kSnmpTrapOid, std::size(kSnmpTrapOid), ASN_OBJECT_ID, trap.data(),
                        trap.size() * sizeof(oid));
  add_u32(pdu, tgAlarmId, n.alarm_id);
  add_int(pdu, tgAlarmSeverity, long(n.severity));
  add_int(pdu, tgAlarmEventType, long(n.event_type));
  add_int(pdu, tgAlarmProbableCause, long(n.probable_cause));
  add_str(pdu, tgAlarmSpecificProblem, n.specific_problem, 255);
  add_int(pdu, tgAlarmObjectKind, long(n.object_kind));
  add_str(pdu, tgAlarmObjectName, n.object_name, 64);
  add_str(pdu, tgAlarmObjectLabel, n.object_label, 255);
  add_str(pdu, tgAlarmText, n.text, 1024);
  add_u32(pdu, tgAlarmCallsAffected, n.calls_affected);
  auto when = date_and_time(n.event_ms);
  {
    auto o = object_oid(tgAlarmTime);
    snmp_pdu_add_variable(pdu, o.data(), o.size(), ASN_OCTET_STR, when.data(), when.size());
  }
  add_str(pdu, tgAlarmType, n.info().name, 64);
  add_u32(pdu, tgAlarmNoticeId, uint64_t(n.id));

  bool ok;
  if (o_.inform) {
    netsnmp_pdu* response = nullptr;
    int st = snmp_sess_synch_response(sess, pdu, &response);
    ok = st == STAT_SUCCESS && response && response->errstat == SNMP_ERR_NOERROR;
    if (!ok)
      error = o_.target + ": inform " +
              (st == STAT_TIMEOUT ? std::string("not acknowledged (timeout)") : sess_error(sess));
    if (response) snmp_free_pdu(response);
  } else {
    ok = snmp_sess_send(sess, pdu) != 0;
    if (!ok) {
      error = o_.target + ": trap: " + sess_error(sess);
      snmp_free_pdu(pdu);
    }
  }
  snmp_sess_close(sess);
  return ok;
}

}  // namespace tg::notify
