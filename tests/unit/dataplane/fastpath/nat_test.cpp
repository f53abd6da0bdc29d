// SNAT table: port preservation, parity-keeping fallback, reverse lookup,
// reservation, expiry with backward-shift deletion, capacity.
#include <map>

#include <CppUTest/TestHarness.h>

#include "dataplane/fastpath/nat.hpp"

using namespace tg;
using namespace tg::fastpath;

TEST_GROUP(Nat){};

TEST(Nat, PreservesPortAndFindsTheSameMappingAgain) {
  NatTable t(16);
  NatResult r;
  const NatEntry* e = t.outbound(NatProto::udp, 0xC000020A, 40000, 1, r);
  CHECK(r == NatResult::ok);
  LONGS_EQUAL(40000, e->ext_port);
  CHECK(t.outbound(NatProto::udp, 0xC000020A, 40000, 2, r) == e);
  LONGS_EQUAL(1, t.size());
  CHECK(t.inbound(NatProto::udp, 40000, 3) == e);
  CHECK(t.inbound(NatProto::tcp, 40000, 3) == nullptr);
  // Protocols have separate port spaces.
  LONGS_EQUAL(40000, t.outbound(NatProto::tcp, 0xC000020B, 40000, 1, r)->ext_port);
}

TEST(Nat, CollisionKeepsParityAndReservedPortsAreSkipped) {
  NatTable t(16);
  NatResult r;
  t.reserve(NatProto::icmp, 0x5447);
  LONGS_EQUAL(0x5447 + 2, t.outbound(NatProto::icmp, 1, 0x5447, 1, r)->ext_port);
  CHECK(t.inbound(NatProto::icmp, 0x5447, 1) == nullptr);
  t.outbound(NatProto::udp, 1, 40001, 1, r);
  LONGS_EQUAL(40003, t.outbound(NatProto::udp, 2, 40001, 1, r)->ext_port);
  // Well-known source ports move to the dynamic range.
  t.outbound(NatProto::udp, 1, 5060, 1, r);
  uint16_t p = t.outbound(NatProto::udp, 2, 5060, 1, r)->ext_port;
  CHECK(p >= 1024);
  LONGS_EQUAL(0, p % 2);
  // UDP port 0 is never used as an external port.
  CHECK(t.outbound(NatProto::udp, 3, 0, 1, r)->ext_port != 0);
}

TEST(Nat, FullTableRefusesAndExpiryFreesRoom) {
  NatTimeouts to;
  to.udp = 10;
  NatTable t(4, to);
  NatResult r;
  for (uint16_t i = 0; i < 4; ++i) CHECK(t.outbound(NatProto::udp, i, 2000, 100, r));
  CHECK(t.outbound(NatProto::udp, 9, 2000, 100, r) == nullptr);
  CHECK(r == NatResult::table_full);
  LONGS_EQUAL(0, t.expire(105, 100));  // not idle long enough
  t.outbound(NatProto::udp, 0, 2000, 108, r);  // refreshed
  LONGS_EQUAL(3, t.expire(115, 100));
  LONGS_EQUAL(1, t.size());
  CHECK(t.outbound(NatProto::udp, 0, 2000, 116, r) != nullptr);
  LONGS_EQUAL(1, t.size());
  CHECK(t.outbound(NatProto::udp, 9, 2000, 116, r) != nullptr);
}

TEST(Nat, ManyInsertsAndRemovalsKeepEveryMappingReachable) {
  NatTimeouts to;
  to.udp = 5;
  NatTable t(512, to);
  std::map<std::pair<uint32_t, uint16_t>, uint16_t> live;
  NatResult r;
  TimeNs now = 10;
  uint32_t seed = 1;
  for (int round = 0; round < 40; ++round) {
    for (int i = 0; i < 200; ++i) {
      seed = seed * 1103515245 + 12345;
      uint32_t ip = 0xC0000200 | (seed >> 24 & 0x3F);
      uint16_t port = uint16_t(1024 + (seed >> 8) % 64);
      const NatEntry* e = t.outbound(NatProto::udp, ip, port, now, r);
      if (!e) continue;
      live[{ip, port}] = e->ext_port;
    }
    now += 3;
    // Half-expire: entries untouched for a round go.
    t.expire(now + 3, 512);
    for (auto it = live.begin(); it != live.end();) {
      const NatEntry* e = t.inbound(NatProto::udp, it->second, now);
      if (e && e->lan_ip == it->first.first && e->lan_port == it->first.second) {
        const NatEntry* again = t.outbound(NatProto::udp, it->first.first, it->first.second, now, r);
        CHECK(again == e);
        ++it;
      } else {
        it = live.erase(it);
      }
    }
    LONGS_EQUAL(live.size(), t.size());
  }
  CHECK(t.memory_bytes() > 512 * sizeof(NatEntry));
}
