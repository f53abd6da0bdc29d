// libFuzzer target: parse_rtp and parse_rtcp on the same bytes, as the
// inspector does on a port where RTP and RTCP are multiplexed.
#include <cstddef>
#include <cstdint>

#include "dataplane/core/rtp.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace tg;
using tg::fuzz::require;
using tg::fuzz::require_inside;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes in(data, size);
  (void)looks_like_rtcp(in);
  RtpHeader h;
  RtpStatus st = parse_rtp(in, h);
  require(size_t(st) < size_t(RtpStatus::count_));
  if (st == RtpStatus::ok) {
    require(size >= 12);
    require_inside(h.payload, in);
    require(h.payload_type < 128 && h.csrc_count < 16);
  }
  RtcpPacket r;
  RtpStatus rst = parse_rtcp(in, r);
  require(size_t(rst) < size_t(RtpStatus::count_));
  require(r.block_count <= kRtcpMaxBlocks);
  (void)rtp_status_name(st);
  return 0;
}
