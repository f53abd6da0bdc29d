// The libpcap boundary: a source of captured frames (bytes, timestamp, link
// type). Real implementations read a pcap/pcapng file or capture live from an
// interface; MemorySource is the test double. Callers never see pcap headers.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/frame.hpp"

namespace tg {

enum class SourceResult { frame, end, idle, error };

class PacketSource {
 public:
  virtual ~PacketSource() = default;
  // frame: `out` filled (its bytes valid until the next call). end: no more frames (file end or live deadline).
  // idle: live capture timed out with nothing to read, call again.
  // error: error() says why; the source is finished.
  virtual SourceResult next(CapturedFrame& out) = 0;
  virtual const std::string& error() const = 0;
  // Frames the kernel dropped (live capture); 0 for files.
  virtual uint64_t dropped() const { return 0; }
};

// pcap or pcapng file, nanosecond timestamps. nullptr and `err` set if the
// file is missing, unreadable or not a capture.
std::unique_ptr<PacketSource> open_capture_file(const std::string& path, std::string& err);

// Live capture on `interface` for `duration_ms` (then next() returns end).
// nullptr and `err` set if the interface cannot be opened (name, permission).
std::unique_ptr<PacketSource> open_live_capture(const std::string& interface, uint64_t duration_ms,
                                                std::string& err);

// Maps a libpcap DLT_* value to the parser's link type; false if unsupported.
bool link_type_from_dlt(int dlt, LinkType& out);

// Test double: frames held in memory, replayed in order.
class MemorySource final : public PacketSource {
 public:
  void add(std::vector<uint8_t> frame, TimeNs ts, LinkType link = LinkType::ethernet);
  // Makes next() fail with `message` after the frames added so far.
  void fail_after_frames(std::string message);
  SourceResult next(CapturedFrame& out) override;
  const std::string& error() const override { return error_; }
  size_t size() const { return frames_.size(); }

 private:
  struct Stored {
    std::vector<uint8_t> bytes;
    TimeNs ts;
    LinkType link;
  };
  std::vector<Stored> frames_;
  size_t next_ = 0;
  bool fail_ = false;
  std::string fail_message_;
  std::string error_;
};

}  // namespace tg
