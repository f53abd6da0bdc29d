// Test frames for the inspection core and what sits on it: Ethernet + IPv4 +
// UDP/TCP around a payload (lengths filled in, checksums zero), and G.711
// RTP packets, RTCP SR/RR. Shared by the core's and the fast path's tests.
#pragma once
#include <cstdint>
#include <vector>

#include "dataplane/core/packet.hpp"

namespace tg::test {

inline void put16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(uint8_t(v >> 8));
  b.push_back(uint8_t(v));
}
inline void put32(std::vector<uint8_t>& b, uint32_t v) {
  put16(b, uint16_t(v >> 16));
  put16(b, uint16_t(v));
}

// proto kIpProtoUdp or kIpProtoTcp.
inline std::vector<uint8_t> frame(uint8_t proto, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                                  const std::vector<uint8_t>& payload, uint16_t frag = 0) {
  std::vector<uint8_t> b = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00};
  const bool udp = proto == kIpProtoUdp;
  const size_t l4 = udp ? 8 : 20;
  b.push_back(0x45);
  b.push_back(0);
  put16(b, uint16_t(20 + l4 + payload.size()));
  put16(b, 1);
  put16(b, frag);
  b.push_back(64);
  b.push_back(proto);
  put16(b, 0);
  put32(b, src);
  put32(b, dst);
  put16(b, sport);
  put16(b, dport);
  if (udp) {
    put16(b, uint16_t(8 + payload.size()));
    put16(b, 0);
  } else {
    put32(b, 1000);
    put32(b, 0);
    b.push_back(0x50);
    b.push_back(0x18);
    put16(b, 65535);
    put32(b, 0);
  }
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

// 20 ms of G.711 (160 bytes), or one comfort-noise byte for PT 13.
inline std::vector<uint8_t> rtp(uint16_t seq, uint32_t ts, uint32_t ssrc, uint8_t pt = 0, bool marker = false) {
  std::vector<uint8_t> b = {0x80, uint8_t((marker ? 0x80 : 0) | pt)};
  put16(b, seq);
  put32(b, ts);
  put32(b, ssrc);
  b.insert(b.end(), pt == 13 ? 1 : 160, 0xD5);
  return b;
}

// RTCP sender and receiver reports (one report block), network order by hand.
struct Rtcp {
  std::vector<uint8_t> b;
  Rtcp& u8(uint8_t v) { b.push_back(v); return *this; }
  Rtcp& u16(uint16_t v) { put16(b, v); return *this; }
  Rtcp& u32(uint32_t v) { put32(b, v); return *this; }
  Rtcp& sr(uint32_t ssrc, uint64_t ntp) {
    u8(0x80).u8(200).u16(6).u32(ssrc).u32(uint32_t(ntp >> 32)).u32(uint32_t(ntp));
    return u32(0).u32(0).u32(0);
  }
  Rtcp& rr(uint32_t ssrc, uint32_t about, uint32_t lsr, uint32_t dlsr) {
    u8(0x81).u8(201).u16(7).u32(ssrc);
    return u32(about).u32(0).u32(0).u32(0).u32(lsr).u32(dlsr);
  }
  Bytes bytes() const { return {b.data(), b.size()}; }
};

}  // namespace tg::test
