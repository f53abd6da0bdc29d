// In-memory PacketSource: the test double for the capture boundary.
#include "drivers/capture/packet_source.hpp"

namespace tg {

void MemorySource::add(std::vector<uint8_t> frame, TimeNs ts, LinkType link) {
  frames_.push_back({std::move(frame), ts, link});
}

void MemorySource::fail_after_frames(std::string message) {
  fail_ = true;
  fail_message_ = std::move(message);
}

SourceResult MemorySource::next(CapturedFrame& out) {
  if (next_ < frames_.size()) {
    const Stored& s = frames_[next_++];
    out.data = Bytes(s.bytes.data(), s.bytes.size());
    out.ts = s.ts;
    out.link = s.link;
    out.wire_length = uint32_t(s.bytes.size());
    return SourceResult::frame;
  }
  if (fail_) {
    error_ = fail_message_;
    return SourceResult::error;
  }
  return SourceResult::end;
}

}  // namespace tg
