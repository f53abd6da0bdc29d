#include "control/config/schema.hpp"

// CppUTest last: its leak detector redefines new.
#include <CppUTest/TestHarness.h>


using namespace tg::config;

namespace {
std::string check(const char* section, const char* key, const char* value) {
  const SectionSpec* s = find_section(section);
  if (!s) return "no section";
  const OptionSpec* o = find_option(*s, key);
  if (!o) return "no option";
  auto why = check_value(*o, value);
  return why ? *why : "ok";
}
}  // namespace

TEST_GROUP(Schema){};

TEST(Schema, NamedSectionsAndInstanceNames) {
  std::string inst, why;
  CHECK(find_section("trunk.carrierA", &inst));
  STRCMP_EQUAL("carrierA", inst.c_str());
  CHECK(find_section("uplink.wan1", &inst));
  CHECK(find_section("uplink.wan7", &inst, &why) == nullptr);
  STRCMP_EQUAL("uplink name must be one of wan0|wan1|lte|up3", why.c_str());
  CHECK(find_section("alarm.snmp"));
  CHECK(find_section("trunk", nullptr, &why) == nullptr);
  CHECK(why.find("unknown section") == 0);
  CHECK(find_section("trunk.a b", nullptr, &why) == nullptr);
}

TEST(Schema, Integers) {
  STRCMP_EQUAL("ok", check("trunk.a", "sbc_port", "5060").c_str());
  STRCMP_EQUAL("must be 1..65535, got 70000", check("trunk.a", "sbc_port", "70000").c_str());
  STRCMP_EQUAL("expected an integer, got '50x'", check("trunk.a", "sbc_port", "50x").c_str());
  STRCMP_EQUAL("expected an integer, got ''", check("trunk.a", "sbc_port", "").c_str());
  STRCMP_EQUAL("expected an integer, got '99999999999999999999'",
               check("trunk.a", "sbc_port", "99999999999999999999").c_str());
}

TEST(Schema, RealsAndBooleans) {
  STRCMP_EQUAL("ok", check("thresholds", "mos", "3.6").c_str());
  STRCMP_EQUAL("must be 1..4.5, got 5", check("thresholds", "mos", "5").c_str());
  STRCMP_EQUAL("expected a number, got 'nan'", check("thresholds", "mos", "nan").c_str());
  STRCMP_EQUAL("ok", check("uplink.wan0", "enabled", "no").c_str());
  STRCMP_EQUAL("expected true or false, got 'maybe'", check("uplink.wan0", "enabled", "maybe").c_str());
}

TEST(Schema, AddressesAndLists) {
  STRCMP_EQUAL("ok", check("uplink.wan0", "address", "198.51.100.2/28").c_str());
  STRCMP_EQUAL("ok", check("uplink.wan0", "address", "2001:db8::2/64").c_str());
  STRCMP_EQUAL("ok", check("uplink.wan0", "address", "dhcp").c_str());
  STRCMP_EQUAL("expected ADDRESS/PREFIX (e.g. 192.0.2.2/24) or dhcp, got '198.51.100.2/33'",
               check("uplink.wan0", "address", "198.51.100.2/33").c_str());
  STRCMP_EQUAL("expected IP addresses, '203.0.113.300' is not one",
               check("uplink.wan0", "probe_targets", "203.0.113.10, 203.0.113.300").c_str());
  STRCMP_EQUAL("needs 1..8 items, got 0", check("uplink.wan0", "probe_targets", " , ").c_str());
  STRCMP_EQUAL("ok", check("alarm.snmp", "targets", "127.0.0.1:162, [2001:db8::1]:1162, noc.example.net").c_str());
  STRCMP_EQUAL("expected HOST[:PORT] items, '2001:db8::1:162' is not one",
               check("alarm.snmp", "targets", "2001:db8::1:162").c_str());
  STRCMP_EQUAL("ok", check("trunk.a", "sbc_address", "sbc.example.net").c_str());
  STRCMP_EQUAL("expected an IP address or DNS name, got 'sbc..example'",
               check("trunk.a", "sbc_address", "sbc..example").c_str());
}

TEST(Schema, ChoicesMailUrlsPaths) {
  STRCMP_EQUAL("must be one of udp|tcp|tls, got 'sctp'", check("trunk.a", "transport", "sctp").c_str());
  STRCMP_EQUAL("ok", check("alarm.email", "recipients", "noc@example.net, a.b@example.org").c_str());
  STRCMP_EQUAL("'noc' is not a mail address", check("alarm.email", "recipients", "noc").c_str());
  STRCMP_EQUAL("ok", check("alarm.email", "smtp_url", "smtp://127.0.0.1:2525").c_str());
  STRCMP_EQUAL("URL scheme must be one of smtp|smtps, got 'http'",
               check("alarm.email", "smtp_url", "http://x").c_str());
  STRCMP_EQUAL("expected an absolute path, got 'run/x.sock'", check("box", "mgmt_socket", "run/x.sock").c_str());
  STRCMP_EQUAL("control characters are not allowed", check("box", "name", "a\x01").c_str());
}

TEST(Schema, EveryDefaultPassesItsOwnCheck) {
  for (const SectionSpec& s : schema())
    for (const OptionSpec& o : s.options) {
      // An empty default means "derived" (e.g. store.path from state_dir) or "none".
      if (!o.default_value || !*o.default_value) continue;
      auto why = check_value(o, o.default_value);
      if (why) FAIL((std::string(s.name) + "." + o.key + ": " + *why).c_str());
    }
}
