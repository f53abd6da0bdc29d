#include "common/net.hpp"

#include <CppUTest/TestHarness.h>

TEST_GROUP(IpAddr){};

TEST(IpAddr, ParsesAndFormatsIpv4) {
  tg::IpAddr a;
  CHECK_TRUE(a.parse("198.51.100.7"));
  LONGS_EQUAL(4, a.family);
  LONGS_EQUAL(0xC6336407u, a.v4_host_order());
  STRCMP_EQUAL("198.51.100.7", a.str().c_str());
}

TEST(IpAddr, ParsesAndFormatsIpv6) {
  tg::IpAddr a;
  CHECK_TRUE(a.parse("2001:db8::1"));
  LONGS_EQUAL(6, a.family);
  STRCMP_EQUAL("2001:db8::1", a.str().c_str());
  tg::Endpoint e{a, 5060};
  STRCMP_EQUAL("[2001:db8::1]:5060", e.str().c_str());
}

TEST(IpAddr, RejectsGarbageAndKeepsOldValue) {
  tg::IpAddr a = tg::IpAddr::v4(0x01020304);
  CHECK_FALSE(a.parse("300.1.1.1"));
  CHECK_FALSE(a.parse(""));
  CHECK_FALSE(a.parse("198.51.100.1 "));
  STRCMP_EQUAL("1.2.3.4", a.str().c_str());
}

TEST(IpAddr, EqualEndpointsHashEqual) {
  tg::Endpoint a{tg::IpAddr::v4(0xC0000201), 4000}, b{tg::IpAddr::v4(0xC0000201), 4000};
  CHECK_TRUE(a == b);
  CHECK_EQUAL(tg::hash_endpoint(a), tg::hash_endpoint(b));
  b.port = 4002;
  CHECK_FALSE(a == b);
}
