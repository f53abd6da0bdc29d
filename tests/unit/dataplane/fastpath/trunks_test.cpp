#include "dataplane/fastpath/trunks.hpp"

#include <CppUTest/TestHarness.h>

using namespace tg;
using namespace tg::fastpath;

TEST_GROUP(Trunks){};

TEST(Trunks, SpecWithAndWithoutPort) {
  std::string name, error;
  Endpoint sbc;
  CHECK_TRUE(parse_trunk_spec("carrierA=203.0.113.10:5060", name, sbc, error));
  STRCMP_EQUAL("carrierA", name.c_str());
  Endpoint want;
  CHECK_TRUE(want.addr.parse("203.0.113.10"));
  CHECK_TRUE(sbc.addr == want.addr);
  UNSIGNED_LONGS_EQUAL(5060, sbc.port);
  CHECK_TRUE(parse_trunk_spec("b=[2001:db8::10]:5080", name, sbc, error));
  UNSIGNED_LONGS_EQUAL(5080, sbc.port);
  CHECK_TRUE(parse_trunk_spec("c=2001:db8::10", name, sbc, error));
  UNSIGNED_LONGS_EQUAL(0, sbc.port);
}

TEST(Trunks, BadSpecsSayWhy) {
  std::string name, error;
  Endpoint sbc;
  CHECK_FALSE(parse_trunk_spec("=203.0.113.10", name, sbc, error));
  CHECK_FALSE(parse_trunk_spec("a=not-an-ip", name, sbc, error));
  STRCMP_CONTAINS("not an IP address", error.c_str());
  CHECK_FALSE(parse_trunk_spec("a=203.0.113.10:70000", name, sbc, error));
  STRCMP_CONTAINS("1-65535", error.c_str());
  CHECK_FALSE(parse_trunk_spec("a=[2001:db8::1", name, sbc, error));
}

TEST(Trunks, OnlyTrunkSectionsOfTheControlConfigAreRead) {
  const char* text =
      "# tg-controld config\n"
      "[box]\n"
      "sbc_address = 192.0.2.99\n"  // not a trunk section: ignored
      "[trunk.carrierA]\n"
      "description = Carrier A\n"
      "sbc_address = 203.0.113.10\n"
      "sbc_port = 5060\n"
      "\n"
      "[trunk.carrierB]\n"
      "sbc_address = 2001:db8::20\n"
      "[alarm.snmp]\n"
      "enabled = false\n";
  std::vector<TrunkSbc> trunks;
  std::string error;
  CHECK_TRUE(parse_trunks_ini(text, "t.conf", trunks, error));
  LONGS_EQUAL(2, trunks.size());
  STRCMP_EQUAL("carrierA", trunks[0].first.c_str());
  UNSIGNED_LONGS_EQUAL(5060, trunks[0].second.port);
  STRCMP_EQUAL("carrierB", trunks[1].first.c_str());
  UNSIGNED_LONGS_EQUAL(0, trunks[1].second.port);
}

TEST(Trunks, ErrorsNameFileAndLineAndAddNothing) {
  std::vector<TrunkSbc> trunks;
  std::string error;
  CHECK_FALSE(parse_trunks_ini("[trunk.a]\nsbc_address = 203.0.113.1\n[trunk.b]\nsbc_port = 5060\n", "t.conf", trunks, error));
  STRCMP_EQUAL("t.conf:3: [trunk.b] has no sbc_address", error.c_str());
  CHECK_FALSE(parse_trunks_ini("[trunk.a]\nsbc_address = 203.0.113.1\nsbc_port = x\n", "t.conf", trunks, error));
  STRCMP_CONTAINS("t.conf:1:", error.c_str());
  CHECK_FALSE(parse_trunks_ini("[trunk.a\n", "t.conf", trunks, error));
  STRCMP_CONTAINS("t.conf:1: section header not closed", error.c_str());
  CHECK_FALSE(parse_trunks_ini("[trunk.a]\njunk\n", "t.conf", trunks, error));
  STRCMP_CONTAINS("t.conf:2:", error.c_str());
  LONGS_EQUAL(0, trunks.size());
}

TEST(Trunks, MissingFileIsAnError) {
  std::vector<TrunkSbc> trunks;
  std::string error;
  CHECK_FALSE(load_trunks_ini("/nonexistent/trunkguard.conf", trunks, error));
  STRCMP_CONTAINS("cannot read", error.c_str());
}
