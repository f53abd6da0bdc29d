// Call records kept for tg-analyze's report. The call table frees a record
// some time after the call settles (and flushes the rest at the end of the
// input); the inspector's call-removed hook hands each one here first, so
// the report covers every call of the capture, however long. Allocates
// (grows a vector): fine in the offline analyzer, never in the fast path.
#pragma once
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "dataplane/core/call_table.hpp"
#include "dataplane/core/inspector.hpp"

namespace tg::analyze {

class CallLog {
 public:
  // Registers with the inspector; the log must outlive its use.
  void attach(Inspector& in);
  void add(const Call& c, CallRef ref);

  // Every call, ordered by first INVITE (then by Call-ID).
  std::vector<const Call*> sorted() const;
  // The call a stream's CallRef names, or nullptr.
  const Call* find(CallRef ref) const;
  size_t size() const { return calls_.size(); }

 private:
  static uint64_t key_(CallRef r) { return uint64_t(r.slot) << 32 | r.generation; }
  std::vector<Call> calls_;
  std::unordered_map<uint64_t, size_t> by_ref_;
};

}  // namespace tg::analyze
