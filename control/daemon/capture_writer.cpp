#include "control/daemon/capture_writer.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/names.hpp"

namespace tg::controld {

namespace {
constexpr uint64_t kPcapFileHeader = 24, kPcapRecordHeader = 16;
// Slots moved per drain(): the daemon's loop stays responsive; at 10 ms
// rounds that is 400k packets/s, far above a gateway's SIP/RTP rate.
constexpr int kDrainBatch = 4096;

bool mkdirs(const std::string& dir, std::string& why) {
  for (size_t p = 1; p <= dir.size(); ++p) {
    if (p != dir.size() && dir[p] != '/') continue;
    const std::string part = dir.substr(0, p);
    if (::mkdir(part.c_str(), 0750) != 0 && errno != EEXIST) {
      why = part + ": " + std::strerror(errno);
      return false;
    }
  }
  return true;
}

// UTC wall time in a strftime format, to the second.
std::string utc_text(int64_t wall_ms, const char* format) {
  time_t t = time_t(wall_ms / 1000);
  tm tmv{};
  gmtime_r(&t, &tmv);
  char buf[32];
  std::strftime(buf, sizeof buf, format, &tmv);
  return buf;
}
}  // namespace

const char* capture_end_name(CaptureEnd e) {
  static const char* const t[] = {TG_CAPTURE_END_REASONS(TG_NAME_OF)};
  return pick_name(t, size_t(e));
}
const char* capture_end_text(CaptureEnd e) {
  static const char* const t[] = {TG_CAPTURE_END_REASONS(TG_TEXT_OF)};
  return pick_name(t, size_t(e));
}

std::string CaptureSpec::filter_text() const {
  std::string s = classes == api::kCaptureClassAll ? "sip+rtp"
                  : classes == api::kCaptureClassSip ? "sip"
                  : classes == api::kCaptureClassRtp ? "rtp"
                                                     : "all";
  if (uplink != "all") s += " uplink " + uplink;
  if (!host.empty()) s += " host " + host;
  return s;
}

CaptureWriter::~CaptureWriter() {
  if (dumper_) pcap_dump_close(dumper_);
  if (dead_) pcap_close(dead_);
}

bool CaptureWriter::check(CaptureSpec& s, std::string& why) const {
  auto bound = [&why](auto& v, auto cap, const char* what, const char* unit, const char* key) {
    if (v == 0) v = cap;
    if (v > cap) {
      why = std::string(what) + " " + std::to_string(v) + unit + " is above the limit " + std::to_string(cap) + unit +
            " (capture." + key + ")";
      return false;
    }
    return true;
  };
  if (!bound(s.duration_s, caps_.max_duration_s, "duration", " s", "max_duration_s")) return false;
  if (!bound(s.packets, caps_.max_packets, "packets", "", "max_packets")) return false;
  if (!bound(s.bytes, caps_.max_bytes, "bytes", "", "max_mb")) return false;
  if (s.snaplen == 0 || s.snaplen > api::kCaptureMaxSnap)
    return why = "snaplen " + std::to_string(s.snaplen) + " outside 1.." + std::to_string(api::kCaptureMaxSnap), false;
  if (s.bytes < kPcapFileHeader + kPcapRecordHeader + 1)
    return why = "bytes " + std::to_string(s.bytes) + " leaves no room for a packet", false;
  return true;
}

bool CaptureWriter::begin(const CaptureSpec& spec, uint32_t capture_id, uint64_t now_ns, int64_t wall_ms,
                          std::string& why) {
  if (running()) return why = "a capture is already running (" + path_ + ")", false;
  if (capture_id == 0) return why = "capture id 0", false;
  api::CaptureHeader* ring = fixed_ring_;
  if (!ring) {
    if (!region_.open(shm_name_, why)) return why = "fast path capture ring: " + why, false;
    ring = region_.header();
  }
  if (!mkdirs(caps_.dir, why)) return why = "capture directory " + why, false;
  const std::string path = caps_.dir + "/capture-" + utc_text(wall_ms, "%Y%m%dT%H%M%SZ") + "-" + std::to_string(capture_id) + ".pcap";
  // Calls' audio is in there: not world-readable.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return why = path + ": " + std::strerror(errno), false;
  FILE* f = ::fdopen(fd, "wb");
  if (!f) {
    why = path + ": " + std::strerror(errno);
    ::close(fd);
    ::unlink(path.c_str());
    return false;
  }
  if (!dead_) dead_ = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, int(api::kCaptureMaxSnap), PCAP_TSTAMP_PRECISION_NANO);
  pcap_dumper_t* d = dead_ ? pcap_dump_fopen(dead_, f) : nullptr;
  if (!d) {
    why = path + ": " + (dead_ ? pcap_geterr(dead_) : "pcap_open_dead failed");
    std::fclose(f);
    ::unlink(path.c_str());
    return false;
  }
  ring_ = ring;
  consumer_.bind(ring_);
  // Whatever an earlier capture left unread is not ours.
  while (consumer_.peek()) consumer_.release();
  dumper_ = d;
  spec_ = spec;
  path_ = path;
  id_ = capture_id;
  ever_ = true;
  started_ns_ = now_ns;
  ended_ns_ = 0;
  started_wall_ms_ = wall_ms;
  packets_ = over_limit_ = skipped_stale_ = 0;
  matched_ = ring_drops_ = truncated_ = 0;
  file_bytes_ = kPcapFileHeader;
  limit_ = end_ = CaptureEnd::running;
  return true;
}

void CaptureWriter::write(const api::CaptureSlot& s) {
  if (limit_ != CaptureEnd::running) {
    ++over_limit_;
    return;
  }
  const uint64_t need = kPcapRecordHeader + s.h.cap_len;
  if (file_bytes_ + need > spec_.bytes) {
    limit_ = CaptureEnd::bytes;
    ++over_limit_;
    return;
  }
  const int64_t wall = int64_t(s.h.time_ns) + ring_->wall_offset_ns.load(std::memory_order_relaxed);
  pcap_pkthdr h{};
  h.ts.tv_sec = time_t(wall / 1'000'000'000);
  h.ts.tv_usec = suseconds_t(wall % 1'000'000'000);  // nanoseconds: the file says so in its magic
  h.caplen = s.h.cap_len;
  h.len = s.h.orig_len;
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &h, s.data);
  file_bytes_ += need;
  if (++packets_ >= spec_.packets) limit_ = CaptureEnd::packets;
}

int CaptureWriter::move_slots(int max) {
  int n = 0;
  for (; n < max; ++n) {
    const api::CaptureSlot* s = consumer_.peek();
    if (!s) break;
    if (s->h.capture_id == id_) write(*s);
    else ++skipped_stale_;
    consumer_.release();
  }
  return n;
}

bool CaptureWriter::drain(uint64_t now_ns) {
  if (!running()) return false;
  move_slots(kDrainBatch);
  pcap_dump_flush(dumper_);
  if (limit_ == CaptureEnd::running && now_ns - started_ns_ >= uint64_t(spec_.duration_s) * 1'000'000'000ull)
    limit_ = CaptureEnd::duration;
  return limit_ != CaptureEnd::running;
}

bool CaptureWriter::fastpath_capturing() const {
  return ring_ && ring_->capture_id.load(std::memory_order_acquire) == id_;
}

void CaptureWriter::finish(uint64_t now_ns, CaptureEnd why) {
  if (!running()) return;
  const CaptureEnd limit = limit_;
  // Slots written before the fast path stopped are all visible now.
  while (move_slots(kDrainBatch) > 0) {
  }
  if (ring_->last_capture_id.load(std::memory_order_acquire) == id_) {
    matched_ = ring_->matched.load(std::memory_order_relaxed);
    ring_drops_ = ring_->dropped.load(std::memory_order_relaxed);
    truncated_ = ring_->truncated.load(std::memory_order_relaxed);
  }
  pcap_dump_close(dumper_);
  dumper_ = nullptr;
  ended_ns_ = now_ns;
  // A bound that was reached is the reason, even if the stop came later.
  end_ = limit != CaptureEnd::running && why != CaptureEnd::fastpath_gone ? limit : why;
  limit_ = end_;
}

void CaptureWriter::abandon() {
  if (!running()) return;
  pcap_dump_close(dumper_);
  dumper_ = nullptr;
  ::unlink(path_.c_str());
  ever_ = false;
}

nlohmann::json CaptureWriter::status(uint64_t now_ns) const {
  nlohmann::json j;
  if (!ever_) {
    j["state"] = "none";
    j["dir"] = caps_.dir;
    j["limits"] = {{"max_packets", caps_.max_packets}, {"max_bytes", caps_.max_bytes},
                   {"max_duration_s", caps_.max_duration_s}};
    return j;
  }
  const bool live = running();
  uint64_t matched = matched_, drops = ring_drops_, truncated = truncated_;
  if (live && ring_ && ring_->last_capture_id.load(std::memory_order_acquire) == id_) {
    matched = ring_->matched.load(std::memory_order_relaxed);
    drops = ring_->dropped.load(std::memory_order_relaxed);
    truncated = ring_->truncated.load(std::memory_order_relaxed);
  }
  const uint64_t end = live ? now_ns : ended_ns_;
  j["state"] = live ? "running" : "stopped";
  j["file"] = path_;
  j["id"] = id_;
  j["filter"] = spec_.filter_text();
  j["started"] = utc_text(started_wall_ms_, "%Y-%m-%dT%H:%M:%SZ");
  j["elapsed_s"] = double((end - started_ns_) / 1'000'000) / 1000.0;
  j["packets"] = packets_;
  j["bytes"] = file_bytes_;
  j["drops"] = drops;            // ring full: the writer fell behind
  j["matched"] = matched;        // packets the fast path selected
  j["truncated"] = truncated;    // cut to snaplen
  j["over_limit"] = over_limit_; // selected after a bound was reached
  j["snaplen"] = spec_.snaplen;
  j["limits"] = {{"packets", spec_.packets}, {"bytes", spec_.bytes}, {"duration_s", spec_.duration_s}};
  if (!live) {
    j["end"] = capture_end_name(end_);
    j["end_text"] = capture_end_text(end_);
  }
  return j;
}

}  // namespace tg::controld
