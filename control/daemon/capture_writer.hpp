// The daemon's end of a packet capture: drains the fast path's capture ring
// (dataplane/api/capture.hpp) into a pcap file (libpcap, Ethernet,
// nanosecond timestamps) and ends the capture when a bound is reached
// (packets, file bytes, duration). Time comes from the caller (tests use a
// fake clock); the ring can be the fast path's shared memory or any
// in-memory CaptureHeader (tests).
#pragma once
#include <pcap/pcap.h>

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "dataplane/api/capture.hpp"

namespace tg::controld {

// Upper bounds from the configuration ([capture]); a request may ask less.
struct CaptureCaps {
  std::string dir;                 // where the files go (created if missing)
  uint64_t max_packets = 1'000'000;
  uint64_t max_bytes = 100ull << 20;
  uint32_t max_duration_s = 600;
};

// One capture as the console asked for it, checked against the caps.
struct CaptureSpec {
  std::string uplink = "all";      // uplink name or "all"
  uint8_t uplink_index = api::kNoUplink;
  uint8_t classes = 0;             // api::kCaptureClass* mask, 0 = every forwarded packet
  std::string host;                // IPv4 text or empty
  uint32_t host_v4 = 0;
  uint32_t duration_s = 0;
  uint64_t packets = 0;
  uint64_t bytes = 0;              // pcap file size bound
  uint32_t snaplen = api::kCaptureMaxSnap;
  std::string filter_text() const;  // "sip+rtp uplink wan0 host 192.0.2.10"
};

// Why a capture ended.
#define TG_CAPTURE_END_REASONS(X)                                        \
  X(running, "still running")                                           \
  X(stopped, "stopped from the console")                                \
  X(packets, "packet limit reached")                                    \
  X(bytes, "file size limit reached")                                   \
  X(duration, "duration reached")                                       \
  X(fastpath_gone, "the fast path stopped or restarted")                \
  X(fastpath_stopped, "the fast path ended it (its own duration guard)")

enum class CaptureEnd : uint8_t {
#define TG_X(name, text) name,
  TG_CAPTURE_END_REASONS(TG_X)
#undef TG_X
      count_
};
const char* capture_end_name(CaptureEnd);
const char* capture_end_text(CaptureEnd);

class CaptureWriter {
 public:
  // shm_name: the fast path's "<prefix>-capture", opened at each begin()
  // (it is new after a fast-path restart). Empty: use attach().
  CaptureWriter(std::string shm_name, CaptureCaps caps) : shm_name_(std::move(shm_name)), caps_(std::move(caps)) {}
  ~CaptureWriter();
  CaptureWriter(const CaptureWriter&) = delete;
  CaptureWriter& operator=(const CaptureWriter&) = delete;

  void attach(api::CaptureHeader* ring) { fixed_ring_ = ring; }
  const CaptureCaps& caps() const { return caps_; }

  // Checks the bounds against the caps (0 = the cap). False + why.
  bool check(CaptureSpec& spec, std::string& why) const;
  // Opens the ring and a new file named after wall_ms and id; slots of
  // other captures are skipped from now on. False + why; nothing changes.
  bool begin(const CaptureSpec& spec, uint32_t capture_id, uint64_t now_ns, int64_t wall_ms, std::string& why);
  // Moves waiting slots to the file. True once a bound is reached: the
  // caller then stops the fast path's capture and calls finish().
  bool drain(uint64_t now_ns);
  // Last drain and close. Keeps the summary for status().
  void finish(uint64_t now_ns, CaptureEnd why);
  // Removes the file of a capture the fast path refused.
  void abandon();

  bool running() const { return dumper_ != nullptr; }
  CaptureEnd limit() const { return limit_; }
  uint32_t capture_id() const { return id_; }
  // Whether the fast path still runs this capture (false: acknowledged stop).
  bool fastpath_capturing() const;
  // running / last capture: file, packets, bytes, drops, filter, times.
  nlohmann::json status(uint64_t now_ns) const;

 private:
  void write(const api::CaptureSlot& s);
  int move_slots(int max);  // slots consumed

  std::string shm_name_;
  CaptureCaps caps_;
  api::CaptureHeader* fixed_ring_ = nullptr;
  api::CaptureRegion region_;
  api::CaptureHeader* ring_ = nullptr;
  api::CaptureConsumer consumer_;
  pcap_t* dead_ = nullptr;
  pcap_dumper_t* dumper_ = nullptr;
  CaptureSpec spec_;
  std::string path_;
  uint32_t id_ = 0;
  bool ever_ = false;
  uint64_t started_ns_ = 0, ended_ns_ = 0;
  int64_t started_wall_ms_ = 0;
  uint64_t packets_ = 0, file_bytes_ = 0, skipped_stale_ = 0, over_limit_ = 0;
  // The fast path's counters of this capture, kept at finish().
  uint64_t matched_ = 0, ring_drops_ = 0, truncated_ = 0;
  CaptureEnd limit_ = CaptureEnd::running;
  CaptureEnd end_ = CaptureEnd::running;
};

}  // namespace tg::controld
