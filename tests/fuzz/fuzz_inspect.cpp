// The whole per-packet path with state: the input is a sequence of frames
// (2-byte big-endian length, then the Ethernet frame), fed 20 ms apart to
// one Inspector, so SIP dialogs, SDP expectations and RTP streams build up
// across frames. Then timers, the media-activity view and both reports run
// over whatever was learned (arbitrary Call-IDs and URIs reach the JSON
// writer). Must never crash, leak or read out of bounds; the report must
// stay a complete JSON document.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>

#include "dataplane/core/inspector.hpp"
#include "tools/analyze/call_log.hpp"
#include "tools/analyze/report.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tg::InspectorConfig cfg;
  cfg.streams.capacity = 32;
  cfg.streams.expect_capacity = 32;
  cfg.streams.heuristic = size > 0 && (data[0] & 1);
  cfg.calls.capacity = 8;
  tg::Inspector in(cfg);
  tg::analyze::CallLog calls;
  calls.attach(in);
  tg::TimeNs now = 1'000 * tg::kNsPerSec;
  size_t frames = 0;
  while (size >= 2) {
    size_t len = size_t(data[0]) << 8 | data[1];
    data += 2;
    size -= 2;
    if (len > size) len = size;
    in.inspect(tg::Bytes(data, len), tg::LinkType::ethernet, now, uint8_t(frames & 3));
    data += len;
    size -= len;
    now += 20 * tg::kNsPerMs;
    if (++frames % 64 == 0) in.tick(now, 4);
  }
  uint64_t outcomes = 0;
  for (size_t i = 0; i < tg::kInspectOutcomeCount; ++i) outcomes += in.outcome(tg::InspectOutcome(i));
  if (outcomes != in.frames()) std::abort();  // every frame has exactly one outcome
  in.for_each_activity([&](const tg::StreamActivityView& v) {
    if (v.stream >= cfg.streams.capacity) std::abort();
  });
  in.finish(now);
  tg::analyze::ReportInfo info;
  info.source = "fuzz";
  tg::analyze::JsonWriter w;
  tg::analyze::write_json(in, calls, info, w);
  if (!w.complete()) std::abort();
  std::ostringstream text;
  tg::analyze::write_text(in, calls, info, text);
  return 0;
}
