// libFuzzer target: the call table as a state machine. The input is a script
// of operations on a small table (6 calls, so full tables, reuse and
// removals happen constantly):
//   op 0: a SIP message (the record's bytes) through parse_sip/parse_sdp,
//         PBX -> SBC or back (bit 0 of the argument)
//   op 1: expire(now, budget)   op 2: add_ssrc   op 3: touch   op 4: flush
// Time moves by argument x 7 ms on every op. After every operation the
// table's invariants are checked: records within capacity, each found again
// by its Call-ID, per-trunk counters consistent with each other.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/core/call_table.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace tg;
using tg::fuzz::require;

namespace {

void check(const CallTable& t) {
  require(t.active() <= t.capacity());
  uint32_t n = 0;
  t.for_each([&](const Call& c) {
    ++n;
    require(size_t(c.state) < kCallStateCount);
    require(c.ssrc_count <= kCallMaxSsrcs);
    require(c.from_len <= kCallUserBytes && c.to_len <= kCallUserBytes);
    require(c.transfer.target_len <= kCallTargetBytes);
    if (c.call_id_len <= kCallIdBytes) require(t.find(c.call_id_text()) == &c);
    require(t.get(t.ref_of(c)) == &c);
  });
  require(n == t.active());
  for (int i = 0; i < t.trunk_count(); ++i) {
    const TrunkCounters& k = t.trunk(i).counters;
    using C = TrunkCounter;
    require(k[C::settled] <= k[C::attempts]);
    require(k[C::answered] + k[C::busy] + k[C::failed] + k[C::timeouts] + k[C::rejected] + k[C::cancelled] +
                k[C::redirected] ==
            k[C::settled]);
    require(k[C::answered_200] <= k[C::answered]);
    require(k[C::seer_effective] <= k[C::settled] && k[C::isa_ineffective] <= k[C::settled]);
    require(k[C::completed] + k[C::expired] <= k[C::answered]);
    require(k[C::hangup_caller] + k[C::hangup_callee] == k[C::completed]);
    require(k[C::transfers_ok] + k[C::transfers_failed] <= k[C::transfers]);
    require(k[C::srd_count] <= k[C::attempts] && k[C::pdd_count] <= k[C::attempts]);
    require(k[C::options_answered] + k[C::options_timeouts] <= k[C::options_sent]);
    for (size_t c = 0; c < kTrunkCounterCount; ++c)
      require(t.trunk(i).direction[0].v[c] + t.trunk(i).direction[1].v[c] == k.v[c]);
  }
}

Endpoint endpoint(uint32_t host_order, uint16_t port) {
  Endpoint e;
  e.addr = IpAddr::v4(host_order);
  e.port = port;
  return e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CallTableConfig cfg;
  cfg.capacity = 6;
  cfg.no_response_timeout = 2 * kNsPerSec;
  cfg.ringing_timeout = 5 * kNsPerSec;
  cfg.linger = 1 * kNsPerSec;
  cfg.idle_timeout = 20 * kNsPerSec;
  cfg.options_timeout = 1 * kNsPerSec;
  cfg.auto_trunks = size > 0 && (data[0] & 1);
  CallTable t(cfg);
  const Endpoint pbx = endpoint(0xC6336402u, 5060);   // 198.51.100.2
  const Endpoint sbc = endpoint(0xCB00710Au, 5060);   // 203.0.113.10
  if (!(size > 0 && (data[0] & 2))) t.add_trunk("carrierA", sbc);
  TimeNs now = kNsPerSec;
  size_t i = size > 0 ? 1 : 0;
  while (i + 3 <= size) {
    uint8_t op = (data[i] & 0x0f) % 5, a = data[i + 1];
    size_t len = size_t(data[i + 2]) | size_t(data[i] & 0xf0) << 4;  // up to 4 KiB records
    i += 3;
    size_t n = len < size - i ? len : size - i;
    now += TimeNs(a) * 7 * kNsPerMs;
    switch (op) {
      case 0: {
        std::string_view text(reinterpret_cast<const char*>(data + i), n);
        SipMessage m;
        if (parse_sip(text, m) == SipStatus::ok) {
          SdpSession sdp;
          bool has_sdp = !m.body.empty() && parse_sdp(m.body, sdp) == SdpStatus::ok;
          bool up = a & 1;
          t.on_sip(m, has_sdp ? &sdp : nullptr, up ? pbx : sbc, up ? sbc : pbx, now);
        }
        i += n;
        break;
      }
      case 1: t.expire(now, a % 9); break;
      case 2: t.add_ssrc(t.ref_at(a % cfg.capacity), 0x1000u + a); break;
      case 3: t.touch(t.ref_at(a % cfg.capacity), now); break;
      case 4: if (a == 0xff) t.flush(); break;
    }
    check(t);
  }
  t.expire(now + 3600 * kNsPerSec);
  t.expire(now + 7200 * kNsPerSec);
  check(t);
  require(t.active() == 0);  // every call settles, lingers and goes
  return 0;
}
