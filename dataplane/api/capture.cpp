#include "dataplane/api/capture.hpp"

#include <unistd.h>

#include "common/names.hpp"

namespace tg::api {

namespace {
uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }
}  // namespace

const char* capture_class_name(CaptureClass c) {
  static const char* const t[] = {TG_CAPTURE_CLASSES(TG_NAME_OF)};
  return pick_name(t, size_t(c));
}

std::string capture_shm_name(std::string_view prefix) { return std::string(prefix) + "-capture"; }

CaptureHeader* CaptureLayout::init(void* mem, uint32_t capacity, uint64_t pid, uint64_t now_ns) {
  auto* h = static_cast<CaptureHeader*>(mem);
  h->layout_version = kCaptureLayoutVersion;
  h->slot_size = kCaptureSlotSize;
  h->capacity = capacity;
  h->creator_pid = pid;
  h->created_ns = now_ns;
  h->magic.store(kCaptureMagic, std::memory_order_release);
  return h;
}

CaptureHeader* CaptureLayout::attach(void* mem, size_t size, std::string& error) {
  if (size < sizeof(CaptureHeader)) return error = "capture region too small", nullptr;
  auto* h = static_cast<CaptureHeader*>(mem);
  if (h->magic.load(std::memory_order_acquire) != kCaptureMagic)
    return error = "capture region magic mismatch (not initialised?)", nullptr;
  if (h->layout_version != kCaptureLayoutVersion)
    return error = "capture layout version " + std::to_string(h->layout_version) + " != " +
                   std::to_string(kCaptureLayoutVersion),
           nullptr;
  if (h->slot_size != kCaptureSlotSize)
    return error = "capture slot size " + std::to_string(h->slot_size) + " != " + std::to_string(kCaptureSlotSize), nullptr;
  if (!valid_capacity(h->capacity) || bytes_for(h->capacity) > size)
    return error = "capture capacity inconsistent with region size", nullptr;
  return h;
}

bool capture_matches(const CaptureFilter& f, const uint8_t* frame, uint16_t len, uint8_t uplink,
                     CaptureDirection dir, CaptureClass klass) {
  if (f.uplink != kNoUplink && f.uplink != uplink) return false;
  if (f.directions && !(f.directions & (dir == CaptureDirection::outbound ? kCaptureDirOut : kCaptureDirIn))) return false;
  if (f.classes) {
    const uint8_t bit = klass == CaptureClass::sip ? kCaptureClassSip : klass == CaptureClass::rtp ? kCaptureClassRtp : 0;
    if (!(f.classes & bit)) return false;
  }
  if (f.host_v4 == 0) return true;
  if (len < 14) return false;
  size_t off = 12;
  uint16_t type = be16(frame + off);
  if (type == 0x8100) {  // one VLAN tag
    if (len < 18) return false;
    off += 4;
    type = be16(frame + off);
  }
  off += 2;
  if (type != 0x0800 || len < off + 20) return false;
  return be32(frame + off + 12) == f.host_v4 || be32(frame + off + 16) == f.host_v4;
}

CommandResult capture_check(const Command& c, uint8_t uplink_count) {
  if (c.kind != CommandKind::capture_start) return CommandResult::ok;
  const CaptureFilterWire& w = c.capture;
  if (c.uplink != kNoUplink && c.uplink >= uplink_count) return CommandResult::bad_uplink;
  if (w.capture_id == 0 || w.snaplen == 0 || w.snaplen > kCaptureMaxSnap || (w.classes & ~kCaptureClassAll) ||
      (w.directions & ~(kCaptureDirOut | kCaptureDirIn)))
    return CommandResult::bad_capture;
  return CommandResult::ok;
}

void CaptureProducer::bind(CaptureHeader* h) {
  h_ = h;
  slots_ = CaptureLayout::slots(h);
  mask_ = h->capacity - 1;
  head_ = h->head.load(std::memory_order_relaxed);
  tail_cache_ = h->tail.load(std::memory_order_acquire);
}

CommandResult CaptureProducer::apply(const Command& c, TimeNs now, int64_t wall_ns, uint8_t uplink_count) {
  if (c.version != kMessageVersion) return CommandResult::bad_version;
  if (c.kind != CommandKind::capture_start && c.kind != CommandKind::capture_stop) return CommandResult::bad_kind;
  if (!h_) return CommandResult::no_capture;
  if (c.kind == CommandKind::capture_stop) {
    if (active_) stop(now);
    return CommandResult::ok;
  }
  const CommandResult r = capture_check(c, uplink_count);
  if (r != CommandResult::ok) return r;
  const CaptureFilterWire& w = c.capture;
  filter_.host_v4 = w.host_v4;
  filter_.uplink = c.uplink;
  filter_.classes = w.classes;
  filter_.directions = w.directions;
  snaplen_ = w.snaplen;
  id_ = w.capture_id;
  stop_at_ = w.max_duration_ms ? now + TimeNs(w.max_duration_ms) * 1'000'000ull : 0;
  // Counters belong to one capture: reset before the id says it runs.
  h_->matched.store(0, std::memory_order_relaxed);
  h_->captured.store(0, std::memory_order_relaxed);
  h_->dropped.store(0, std::memory_order_relaxed);
  h_->truncated.store(0, std::memory_order_relaxed);
  h_->stopped_ns.store(0, std::memory_order_relaxed);
  h_->wall_offset_ns.store(wall_ns - int64_t(now), std::memory_order_relaxed);
  h_->last_capture_id.store(id_, std::memory_order_relaxed);
  h_->capture_id.store(id_, std::memory_order_release);
  active_ = true;
  return CommandResult::ok;
}

void CaptureProducer::stop(TimeNs now) {
  active_ = false;
  h_->stopped_ns.store(now ? now : 1, std::memory_order_relaxed);
  h_->capture_id.store(0, std::memory_order_release);
}

bool CaptureProducer::expire(TimeNs now) {
  if (!active_ || stop_at_ == 0 || now < stop_at_) return false;
  stop(now);
  return true;
}

void CaptureConsumer::bind(CaptureHeader* h) {
  h_ = h;
  slots_ = CaptureLayout::slots(h);
  mask_ = h->capacity - 1;
  tail_ = h->tail.load(std::memory_order_relaxed);
  head_cache_ = h->head.load(std::memory_order_acquire);
}

bool CaptureRegion::create(const std::string& name, uint32_t capacity, uint64_t now_ns, std::string& error) {
  if (!CaptureLayout::valid_capacity(capacity)) return error = "capture slots must be a power of two >= 2", false;
  if (!shm_.create(name, CaptureLayout::bytes_for(capacity), error)) return false;
  h_ = CaptureLayout::init(shm_.data(), capacity, uint64_t(getpid()), now_ns);
  return true;
}

bool CaptureRegion::open(const std::string& name, std::string& error) {
  h_ = nullptr;
  if (!shm_.open(name, error)) return false;
  h_ = CaptureLayout::attach(shm_.data(), shm_.size(), error);
  if (!h_) return error = name + ": " + error, false;
  return true;
}

}  // namespace tg::api
