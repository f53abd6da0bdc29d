#include "dataplane/api/stats.hpp"

#include <cstring>

#include "dataplane/api/word_copy.hpp"

namespace tg::api {
namespace {
constexpr size_t kBodyWords = sizeof(StatsBody) / sizeof(uint64_t);
static_assert(sizeof(StatsHeader) % alignof(uint64_t) == 0);
}  // namespace

void StatsWriter::init(void* mem, uint64_t pid, TimeNs now_ns) {
  h_ = static_cast<StatsHeader*>(mem);
  body_ = reinterpret_cast<StatsBody*>(static_cast<uint8_t*>(mem) + sizeof(StatsHeader));
  h_->version = kStatsVersion;
  h_->body_size = sizeof(StatsBody);
  h_->creator_pid = pid;
  h_->created_ns = now_ns;
  h_->heartbeat.store(0, std::memory_order_relaxed);
  h_->heartbeat_ns.store(now_ns, std::memory_order_relaxed);
  h_->seq.store(0, std::memory_order_relaxed);
  h_->magic.store(kStatsMagic, std::memory_order_release);
}

void StatsWriter::publish(const StatsBody& body) {
  uint64_t s = h_->seq.load(std::memory_order_relaxed);
  h_->seq.store(s + 1, std::memory_order_relaxed);  // odd: write in progress
  std::atomic_thread_fence(std::memory_order_release);
  alignas(8) uint64_t words[kBodyWords];
  std::memcpy(words, &body, sizeof(StatsBody));
  relaxed_store_words(reinterpret_cast<uint64_t*>(body_), words, kBodyWords);
  h_->seq.store(s + 2, std::memory_order_release);
}

bool StatsReader::attach(void* mem, size_t size, std::string& error) {
  h_ = nullptr;
  body_ = nullptr;
  if (size < sizeof(StatsHeader)) return error = "stats region too small (" + std::to_string(size) + " bytes)", false;
  auto* h = static_cast<const StatsHeader*>(mem);
  if (h->magic.load(std::memory_order_acquire) != kStatsMagic)
    return error = "stats region magic mismatch (not a TrunkGuard stats region, or not initialised)", false;
  if (h->version != kStatsVersion)
    return error = "stats region version " + std::to_string(h->version) + ", this build reads version " +
                   std::to_string(kStatsVersion) + ": restart with matching tg-dataplane/tg-controld",
           false;
  if (h->body_size != sizeof(StatsBody) || size < sizeof(StatsHeader) + h->body_size)
    return error = "stats body size " + std::to_string(h->body_size) + " != " + std::to_string(sizeof(StatsBody)) +
                   " (region " + std::to_string(size) + " bytes)",
           false;
  h_ = h;
  body_ = reinterpret_cast<const StatsBody*>(static_cast<const uint8_t*>(mem) + sizeof(StatsHeader));
  return true;
}

bool StatsReader::open(const std::string& shm_name, std::string& error) {
  h_ = nullptr;
  body_ = nullptr;
  if (!shm_.open(shm_name, error)) return false;
  if (!attach(shm_.data(), shm_.size(), error)) {
    error = shm_name + ": " + error;
    shm_.close();
    return false;
  }
  return true;
}

bool StatsReader::read(StatsBody& out, int max_tries) const {
  alignas(8) uint64_t words[kBodyWords];
  for (int i = 0; i < max_tries; ++i) {
    uint64_t s1 = h_->seq.load(std::memory_order_acquire);
    if (s1 & 1) continue;
    relaxed_load_words(words, reinterpret_cast<const uint64_t*>(body_), kBodyWords);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (h_->seq.load(std::memory_order_relaxed) == s1) {
      std::memcpy(&out, words, sizeof(StatsBody));
      return true;
    }
  }
  return false;
}

}  // namespace tg::api
