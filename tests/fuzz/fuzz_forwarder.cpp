// libFuzzer target: the fast path's per-packet decisions (ARP, ND with its
// options, IPv4/IPv6 with extension headers, SNAT both ways, echo) on a
// sequence of frames through one Forwarder, so learned neighbours and NAT
// mappings from earlier frames shape later ones. Input: records of
// [port & active uplink byte][length hi][length lo][frame]. Checks: every
// verdict is well formed, an answer never outgrows the room it was given,
// and a packet whose checksums were valid still has valid ones after the
// rewrite (incremental updates are exact). One Forwarder serves every input
// (its preallocated tables cost ~2 MB to build, which would dominate the run
// time): state carries over between inputs as it does between bursts, and
// the clock only moves forward.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "dataplane/fastpath/checksum.hpp"
#include "dataplane/fastpath/forwarder.hpp"
#include "dataplane/fastpath/frame.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace tg;
using namespace tg::fastpath;
using tg::fuzz::require;

namespace {

Ip6 v6(uint16_t net, uint8_t host) {
  Ip6 a{0x20, 0x01, 0x0d, 0xb8};
  a[4] = uint8_t(net >> 8);
  a[5] = uint8_t(net);
  a[15] = host;
  return a;
}

ForwarderConfig config() {
  ForwarderConfig c;
  c.nat_capacity = 32;
  c.nat6_capacity = 32;
  c.kernel_port_lo = 61000;
  c.kernel_port_hi = 65535;
  const uint32_t ip4[] = {0xC0000201, 0xC6336402, 0xC6336412, 0xC6336422};
  const uint32_t gw4[] = {0, 0xC6336401, 0xC6336411, 0xC6336421};
  for (uint8_t p = 0; p < 4; ++p) {
    Interface& i = c.ports[p];
    i.present = true;
    i.mac = Mac{0x02, 0, 0, 0, 0, uint8_t(p + 1)};
    i.ip = ip4[p];
    i.prefix_len = p == 0 ? 26 : 28;
    i.gateway = gw4[p];
    i.has_tap = p == 1;  // one port with an exception path, the others without
    if (p == 3) continue;  // LTE: no IPv6
    i.has_ip6 = true;
    i.ip6 = v6(uint16_t(p == 0 ? 1 : 0x100 * p), 1);
    i.prefix6_len = 64;
    if (p != 0) {
      i.has_gateway6 = true;
      i.gateway6 = v6(uint16_t(0x100 * p), 2);
    }
  }
  return c;
}

// L4 checksum state of an Ethernet frame: 1 valid, 0 invalid, -1 not checked
// (not IPv4/IPv6 UDP/TCP/ICMP without options or extension headers).
int checksums_ok(const uint8_t* f, size_t len) {
  if (len < kEthHdr) return -1;
  const uint16_t type = load_be16(f + 12);
  const uint8_t* ip = f + kEthHdr;
  const size_t avail = len - kEthHdr;
  if (type == kEtherIpv4) {
    if (avail < 20 || ip[0] != 0x45) return -1;
    const uint16_t total = load_be16(ip + 2);
    if (total < 28 || total > avail || (load_be16(ip + 6) & 0x3FFF)) return -1;
    if (csum(ip, 20) != 0) return 0;
    const uint8_t proto = ip[9];
    const uint16_t l4len = uint16_t(total - 20);
    if (proto == kProtoIcmp) return csum(ip + 20, l4len) == 0;
    if (proto != kProtoUdp && proto != kProtoTcp) return -1;
    if (proto == kProtoUdp && load_be16(ip + 26) == 0) return -1;
    if (proto == kProtoTcp && l4len < 20) return -1;
    uint32_t sum = csum_partial(ip + 12, 8) + proto + l4len;
    return csum(ip + 20, l4len, sum) == 0;
  }
  if (type == kEtherIpv6) {
    if (avail < kIp6Hdr || (ip[0] >> 4) != 6) return -1;
    const uint32_t l4len = load_be16(ip + 4);
    if (kIp6Hdr + l4len > avail || l4len < 8) return -1;
    const uint8_t nh = ip[6];
    if (nh != kProtoUdp && nh != kProtoTcp && nh != kProtoIcmp6) return -1;
    if (nh == kProtoTcp && l4len < 20) return -1;
    return ip6_l4_checksum(ip, ip + kIp6Hdr, l4len, nh) == 0;
  }
  return -1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto fwd = std::make_unique<Forwarder>(config());
  static TimeNs now = kNsPerSec;
  std::vector<uint8_t> buf;
  for (size_t off = 0; off + 3 <= size;) {
    const uint8_t sel = data[off];
    const size_t want = size_t(data[off + 1]) << 8 | data[off + 2];
    off += 3;
    const size_t len = want < size - off ? want : size - off;
    const uint8_t port = sel & 3, active = (sel >> 2) & 3;
    // Room as an mbuf gives: some tailroom past the frame.
    buf.assign(data + off, data + off + len);
    buf.resize(len + 128, 0xA5);
    off += len;
    const int before = checksums_ok(buf.data(), len);
    const Verdict v = fwd->on_rx(port, buf.data(), uint16_t(len), active, now, uint16_t(buf.size()));
    require(size_t(v.why) < kDispositionCount);
    require(v.out < kMaxPorts);
    require(v.len <= buf.size());
    if (v.len) require(v.action == Action::reply);
    if (v.action == Action::forward || v.action == Action::reply) {
      const size_t out_len = v.len ? v.len : len;
      // Rewrites keep valid checksums valid; answers we built are valid.
      if (before == 1 || v.len) require(checksums_ok(buf.data(), out_len) != 0);
    }
    ArpWant aw[8];
    NdWant nw[8];
    require(fwd->take_arp_wants(aw, 8, now) <= 8);
    require(fwd->take_nd_wants(nw, 8, now) <= 8);
    now += 7 * kNsPerMs;
    // Let mappings age out now and then, so full tables do not stay full.
    if ((sel & 0x80) != 0) {
      now += 400 * kNsPerSec;
      fwd->nat().expire(now, 64);
      fwd->nat6().expire(now, 64);
    }
  }
  return 0;
}
