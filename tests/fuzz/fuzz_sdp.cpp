// libFuzzer target: parse_sdp on arbitrary bodies.
#include <cstddef>
#include <cstdint>

#include "dataplane/core/sdp.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace tg;
using tg::fuzz::require;
using tg::fuzz::require_inside;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  SdpSession s;
  SdpStatus st = parse_sdp(body, s);
  require(size_t(st) < kSdpStatusCount);
  require(s.media_count <= kSdpMaxMedia);
  require_inside(s.origin_user, body);
  require_inside(s.session_id, body);
  require_inside(s.session_version, body);
  for (uint8_t i = 0; i < s.media_count; ++i) {
    const SdpMedia& m = s.media[i];
    require(m.format_count <= kSdpMaxFormats && m.rtpmap_count <= kSdpMaxFormats);
    require_inside(m.type, body);
    require_inside(m.proto, body);
    for (uint8_t j = 0; j < m.rtpmap_count; ++j) {
      require_inside(m.rtpmaps[j].encoding, body);
      require(m.rtpmaps[j].clock_rate > 0 && m.rtpmaps[j].channels > 0);
    }
    for (unsigned pt = 0; pt < 128; ++pt) {
      const RtpMap* map = m.find_rtpmap(uint8_t(pt));
      require(!map || map->payload_type == pt);
    }
    require(m.connection.family == 0 || m.connection.family == 4 || m.connection.family == 6);
  }
  (void)s.on_hold();
  (void)sdp_status_name(st);
  return 0;
}
