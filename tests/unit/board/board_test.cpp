// Board port file: a valid file and each kind of error with file:line.
#include <CppUTest/TestHarness.h>

#include "board/board.hpp"

using namespace tg::board;

TEST_GROUP(Board) {
  Board b;
  std::string err;
  bool parse(const char* text) { return parse_board(text, "ports", b, err); }
};

TEST(Board, ParsesRolesAddressesAndOptions) {
  CHECK_TRUE(parse(
      "# comment\n"
      "lan  dev=net_af_packet0,iface=lan addr=192.0.2.1/26\n"
      "\n"
      "wan0\tdev=net_null0 addr=198.51.100.2/28 gw=198.51.100.1 gw_mac=02:00:00:00:00:2a carrier=wan0 "
      "probe=203.0.113.10,203.0.113.11  # trailing\n"
      "lte dev=net_null1\n"));
  CHECK(b.ports[0].present);
  STRCMP_EQUAL("net_af_packet0,iface=lan", b.ports[0].devargs.c_str());
  LONGS_EQUAL(0xC0000201, b.ports[0].addr.ip);
  LONGS_EQUAL(26, b.ports[0].addr.prefix_len);
  LONGS_EQUAL(0xC6336401, b.ports[1].addr.gateway);
  CHECK(b.ports[1].addr.gateway_mac_static);
  LONGS_EQUAL(0x2a, b.ports[1].addr.gateway_mac[5]);
  STRCMP_EQUAL("wan0", b.ports[1].carrier_iface.c_str());
  LONGS_EQUAL(2, b.ports[1].probe_targets.size());
  CHECK_FALSE(b.ports[2].present);
  CHECK(b.ports[3].present);
  LONGS_EQUAL(0, b.ports[3].addr.ip);
}

TEST(Board, ParsesIpv6AddressesAndGateways) {
  CHECK_TRUE(parse(
      "lan  dev=a addr=192.0.2.1/26 addr6=2001:db8:1::1/64\n"
      "wan0 dev=b addr=198.51.100.2/28 gw=198.51.100.1 addr6=2001:db8:100::2/64 gw6=2001:db8:100::1\n"
      "wan1 dev=c addr=198.51.100.18/28 gw=198.51.100.17 addr6=2001:db8:200::2/127 gw6=fe80::1\n"
      "lte  dev=d addr=198.51.100.34/28 gw=198.51.100.33\n"));
  const PortAddresses& lan = b.ports[0].addr;
  CHECK(lan.has_ip6);
  CHECK_FALSE(lan.has_gateway6);
  LONGS_EQUAL(64, lan.prefix6_len);
  LONGS_EQUAL(0x20, lan.ip6[0]);
  LONGS_EQUAL(0x01, lan.ip6[5]);
  LONGS_EQUAL(0x01, lan.ip6[15]);
  const PortAddresses& w0 = b.ports[1].addr;
  CHECK(w0.has_ip6 && w0.has_gateway6);
  LONGS_EQUAL(0x02, w0.ip6[15]);
  LONGS_EQUAL(0x01, w0.gateway6[15]);
  LONGS_EQUAL(0x01, w0.gateway6[4]);
  const PortAddresses& w1 = b.ports[2].addr;
  LONGS_EQUAL(127, w1.prefix6_len);
  LONGS_EQUAL(0xfe, w1.gateway6[0]);  // a link-local next hop is fine
  CHECK_FALSE(b.ports[3].addr.has_ip6);
}

TEST(Board, RejectsWithFileAndLine) {
  const char* base = "lan dev=x addr=192.0.2.1/26\n";
  struct Case {
    std::string text;
    const char* want;
  } cases[] = {
      {std::string(base) + "wan9 dev=y\n", "ports:2: unknown role 'wan9'"},
      {std::string(base) + "wan0 addr=198.51.100.2/28 gw=198.51.100.1\n", "ports:2: port wan0 has no dev="},
      {std::string(base) + "wan0 dev=y addr=198.51.100.2\n", "ports:2: addr needs"},
      {std::string(base) + "wan0 dev=y addr=198.51.100.2/33 gw=1.2.3.4\n", "ports:2: addr needs"},
      {std::string(base) + "wan0 dev=y addr=198.51.100.2/28\n", "ports:2: uplink wan0 has an address but no gw="},
      {std::string(base) + "wan0 dev=y gw=nope\n", "ports:2: gw needs"},
      {std::string(base) + "wan0 dev=y gw_mac=02:00:00:00:00\n", "ports:2: gw_mac needs"},
      {std::string(base) + "wan0 dev=y probe=1.2.3.4,x\n", "ports:2: probe needs"},
      {std::string(base) + "wan0 dev=y colour=blue\n", "ports:2: unknown key 'colour'"},
      {std::string(base) + "wan0 dev=y junk\n", "ports:2: expected key=value"},
      {std::string(base) + "lan dev=z addr=192.0.2.1/26\n", "ports:2: port lan declared twice"},
      {"wan0 dev=y\n", "ports: no lan port"},
      {"lan dev=y\n", "ports: lan port needs addr="},
      {"lan dev=y addr=192.0.2.1/26 gw=192.0.2.2\n", "ports:1: lan takes no gw="},
      {"lan dev=y addr=192.0.2.1/26 gw6=2001:db8:1::2\n", "ports:1: lan takes no gw="},
      {std::string(base) + "wan0 dev=y addr6=2001:db8::2\n", "ports:2: addr6 needs"},
      {std::string(base) + "wan0 dev=y addr6=2001:db8::2/129 gw6=2001:db8::1\n", "ports:2: addr6 needs"},
      {std::string(base) + "wan0 dev=y addr6=198.51.100.2/28 gw6=2001:db8::1\n", "ports:2: addr6 needs"},
      {std::string(base) + "wan0 dev=y addr6=fe80::2/64 gw6=fe80::1\n", "ports:2: addr6 must be a unicast global"},
      {std::string(base) + "wan0 dev=y addr6=ff02::2/64 gw6=fe80::1\n", "ports:2: addr6 must be a unicast global"},
      {std::string(base) + "wan0 dev=y addr6=2001:db8::2/64 gw6=ff02::1\n", "ports:2: gw6 needs"},
      {std::string(base) + "wan0 dev=y addr6=2001:db8::2/64\n", "ports:2: uplink wan0: addr6= and gw6= go together"},
      {std::string(base) + "wan0 dev=y gw6=2001:db8::1\n", "ports:2: uplink wan0: addr6= and gw6= go together"},
  };
  for (auto& c : cases) {
    Board keep;
    keep.ports[0].devargs = "untouched";
    b = std::move(keep);
    err.clear();
    CHECK_FALSE(parse(c.text.c_str()));
    if (err.rfind(c.want, 0) != 0) FAIL((c.text + " -> " + err).c_str());
    STRCMP_EQUAL("untouched", b.ports[0].devargs.c_str());  // rejected whole
  }
}
