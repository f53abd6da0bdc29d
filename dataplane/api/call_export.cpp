#include "dataplane/api/call_export.hpp"

#include <cstring>

#include "dataplane/api/word_copy.hpp"

namespace tg::api {
namespace {
constexpr size_t kRecordWords = sizeof(CallRecordWire) / sizeof(uint64_t);
static_assert(sizeof(CallsHeader) % alignof(CallRecordWire) == 0);

// Whole records through a word buffer (the caller's records need not be
// 8-byte aligned as words), each word copied relaxed (word_copy.hpp).
void store_records(CallRecordWire* dst, const CallRecordWire* src, uint32_t n) {
  auto* d = reinterpret_cast<uint64_t*>(dst);
  for (uint32_t r = 0; r < n; ++r) {
    alignas(8) uint64_t words[kRecordWords];
    std::memcpy(words, &src[r], sizeof(CallRecordWire));
    relaxed_store_words(&d[r * kRecordWords], words, kRecordWords);
  }
}
void load_records(CallRecordWire* dst, const CallRecordWire* src, uint32_t n) {
  const auto* s = reinterpret_cast<const uint64_t*>(src);
  for (uint32_t r = 0; r < n; ++r) {
    alignas(8) uint64_t words[kRecordWords];
    relaxed_load_words(words, &s[r * kRecordWords], kRecordWords);
    std::memcpy(&dst[r], words, sizeof(CallRecordWire));
  }
}
}  // namespace

void LiveCallsWriter::init(void* mem, uint64_t pid, TimeNs now_ns) {
  h_ = static_cast<CallsHeader*>(mem);
  records_ = reinterpret_cast<CallRecordWire*>(static_cast<uint8_t*>(mem) + sizeof(CallsHeader));
  h_->layout_version = kCallsLayoutVersion;
  h_->record_version = kCallRecordVersion;
  h_->record_size = sizeof(CallRecordWire);
  h_->capacity = kMaxLiveCallsExported;
  h_->creator_pid = pid;
  h_->created_ns = now_ns;
  h_->seq.store(0, std::memory_order_relaxed);
  h_->count.store(0, std::memory_order_relaxed);
  h_->live_total.store(0, std::memory_order_relaxed);
  h_->updated_ns.store(0, std::memory_order_relaxed);
  h_->publish_count.store(0, std::memory_order_relaxed);
  h_->magic.store(kCallsMagic, std::memory_order_release);
}

void LiveCallsWriter::publish(const CallRecordWire* records, uint32_t count, uint32_t live_total, TimeNs now_ns) {
  if (count > h_->capacity) count = h_->capacity;
  const uint64_t s = h_->seq.load(std::memory_order_relaxed);
  h_->seq.store(s + 1, std::memory_order_relaxed);  // odd: write in progress
  std::atomic_thread_fence(std::memory_order_release);
  store_records(records_, records, count);
  h_->count.store(count, std::memory_order_relaxed);
  h_->live_total.store(live_total, std::memory_order_relaxed);
  h_->updated_ns.store(now_ns, std::memory_order_relaxed);
  h_->publish_count.store(h_->publish_count.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  h_->seq.store(s + 2, std::memory_order_release);
}

bool LiveCallsReader::attach(void* mem, size_t size, std::string& error) {
  h_ = nullptr;
  records_ = nullptr;
  if (size < sizeof(CallsHeader)) return error = "calls region too small (" + std::to_string(size) + " bytes)", false;
  auto* h = static_cast<const CallsHeader*>(mem);
  if (h->magic.load(std::memory_order_acquire) != kCallsMagic)
    return error = "calls region magic mismatch (not a TrunkGuard live-calls table, or not initialised)", false;
  if (h->layout_version != kCallsLayoutVersion)
    return error = "calls region layout version " + std::to_string(h->layout_version) + " != " +
                   std::to_string(kCallsLayoutVersion),
           false;
  if (h->record_version != kCallRecordVersion)
    return error = "call record version " + std::to_string(h->record_version) + ", this build reads version " +
                   std::to_string(kCallRecordVersion) + ": restart with matching tg-dataplane/tg-controld/tg-cli",
           false;
  if (h->record_size != sizeof(CallRecordWire))
    return error = "call record size " + std::to_string(h->record_size) + " != " + std::to_string(sizeof(CallRecordWire)),
           false;
  if (h->capacity == 0 || sizeof(CallsHeader) + size_t(h->capacity) * sizeof(CallRecordWire) > size)
    return error = "calls region capacity " + std::to_string(h->capacity) + " inconsistent with region size " +
                   std::to_string(size),
           false;
  h_ = h;
  records_ = reinterpret_cast<const CallRecordWire*>(static_cast<const uint8_t*>(mem) + sizeof(CallsHeader));
  return true;
}

bool LiveCallsReader::open(const std::string& shm_name, std::string& error) {
  close();
  if (!shm_.open(shm_name, error)) return false;
  if (!attach(shm_.data(), shm_.size(), error)) {
    error = shm_name + ": " + error;
    shm_.close();
    return false;
  }
  return true;
}

void LiveCallsReader::close() {
  h_ = nullptr;
  records_ = nullptr;
  shm_.close();
}

bool LiveCallsReader::read(std::vector<CallRecordWire>& out, LiveCallsInfo* info, int max_tries) const {
  out.clear();
  out.reserve(h_->capacity);  // no reallocation inside the retry loop
  for (int i = 0; i < max_tries; ++i) {
    const uint64_t s1 = h_->seq.load(std::memory_order_acquire);
    if (s1 & 1) continue;
    uint32_t count = h_->count.load(std::memory_order_relaxed);
    if (count > h_->capacity) continue;  // torn: the sequence check below would fail too
    const uint32_t live_total = h_->live_total.load(std::memory_order_relaxed);
    const uint64_t updated = h_->updated_ns.load(std::memory_order_relaxed);
    const uint64_t published = h_->publish_count.load(std::memory_order_relaxed);
    out.resize(count);
    load_records(out.data(), records_, count);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (h_->seq.load(std::memory_order_relaxed) == s1) {
      if (info) *info = {live_total, updated, published};
      return true;
    }
  }
  out.clear();
  return false;
}

bool CdrReader::open(const std::string& shm_name, std::string& error) {
  close();
  if (!shm_.open(shm_name, error)) return false;
  RingHeader* h = RingLayout<CallRecordWire>::attach(shm_.data(), shm_.size(), kCallRecordVersion, error);
  if (!h) {
    error = shm_name + ": " + error;
    shm_.close();
    return false;
  }
  ring_.bind(h);
  creator_pid_ = h->creator_pid;
  return true;
}

void CdrReader::close() {
  ring_ = CdrConsumer{};
  creator_pid_ = 0;
  shm_.close();
}

}  // namespace tg::api
