// libFuzzer target: the RTP stream table as a state machine. The input is a
// script of operations on a small table (8 streams, 6 expectations, 8
// endpoints, so collisions, full tables and deletions happen constantly):
//   op 0: expect(endpoint, codecs/mux from the next byte)
//   op 1: a datagram (RTP, RTCP or junk: the record's bytes) src -> dst
//   op 2: expire(now, budget)      op 3: unexpect(endpoint)
//   op 4: advance(stream)          any op: time moves by a byte x 7 ms
// After every operation the table's invariants are checked: size within
// capacity, every live stream found again by its key, for_each agreeing
// with size(), statistics consistent.
#include <cstddef>
#include <cstdint>

#include "dataplane/core/stream_table.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace tg;
using tg::fuzz::require;

namespace {

Endpoint endpoint(uint8_t sel) {
  Endpoint e;
  e.addr = IpAddr::v4(0xC6336400u | (sel & 3));  // 198.51.100.0..3
  e.port = uint16_t(4000 + 2 * ((sel >> 2) & 1) + ((sel >> 3) & 1));  // RTP and RTCP ports
  return e;
}

void check(const StreamTable& t) {
  require(t.size() <= t.capacity());
  require(t.expect_size() <= t.config().expect_capacity);
  uint32_t n = 0;
  t.for_each([&](const RtpStream& s) {
    ++n;
    require(t.find(s.src, s.dst, s.ssrc) == &s);
    const WiresharkRtpStats& w = s.stats.wireshark();
    require(w.packets == s.stats.packets());
    require(s.stats.received() <= s.stats.packets());
    require(w.max_jitter_ms >= 0 && w.mean_jitter_ms >= 0 && w.max_delta_ms >= 0);
    require(s.stats.duplicates() + s.stats.late() <= s.stats.packets());
  });
  require(n == t.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  StreamTableConfig cfg;
  cfg.capacity = 8;
  cfg.expect_capacity = 6;
  cfg.stream_idle = 3 * kNsPerSec;
  cfg.expect_idle = 5 * kNsPerSec;
  cfg.heuristic = size > 0 && (data[0] & 1);
  StreamTable t(cfg);
  TimeNs now = kNsPerSec;
  size_t i = size > 0 ? 1 : 0;
  while (i + 3 <= size) {
    uint8_t op = data[i] % 5, a = data[i + 1], len = data[i + 2];
    i += 3;
    size_t n = len < size - i ? len : size - i;
    Bytes rec(data + i, n);
    i += n;
    now += TimeNs(a >> 4) * 7 * kNsPerMs;
    switch (op) {
      case 0: {
        RtpMediaInfo m;
        uint8_t b = n ? rec[0] : 0;
        m.add(0, Codec::pcmu, 8000);
        if (b & 1) m.add(111, Codec::opus, 48000);
        if (b & 2) m.add(101, Codec::telephone_event, 0);
        m.rtcp_mux = b & 4;
        m.direction = MediaDirection(b >> 3 & 3);
        if (b & 32) m.rtcp_port = uint16_t(4000 + (b >> 6));
        t.expect(endpoint(a), a, m, now);
        break;
      }
      case 1: {
        UdpMediaResult r = t.on_udp(endpoint(a), endpoint(uint8_t(a >> 4 | a << 4)), rec, now);
        if (r.kind == UdpMediaKind::rtp) require(t.get(r.stream) != nullptr);
        break;
      }
      case 2:
        t.expire(now, a % 16);
        break;
      case 3:
        t.unexpect(endpoint(a));
        break;
      case 4:
        t.advance(a % 10, now);
        break;
    }
    check(t);
  }
  t.for_each([&](const RtpStream& s) {
    (void)t.quality(s);
    (void)t.round_trip_ms(s);
  });
  return 0;
}
