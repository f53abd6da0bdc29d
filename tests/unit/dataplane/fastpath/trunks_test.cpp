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
