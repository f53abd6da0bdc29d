#include "tools/analyze/call_log.hpp"

#include <algorithm>

namespace tg::analyze {

void CallLog::attach(Inspector& in) {
  in.set_call_removed_hook([](const Call& c, CallRef ref, void* self) { static_cast<CallLog*>(self)->add(c, ref); },
                           this);
}

void CallLog::add(const Call& c, CallRef ref) {
  by_ref_[key_(ref)] = calls_.size();  // a reused slot has a new generation
  calls_.push_back(c);
}

std::vector<const Call*> CallLog::sorted() const {
  std::vector<const Call*> v;
  v.reserve(calls_.size());
  for (const Call& c : calls_) v.push_back(&c);
  std::stable_sort(v.begin(), v.end(), [](const Call* a, const Call* b) {
    if (a->t_invite != b->t_invite) return a->t_invite < b->t_invite;
    return a->call_id_text() < b->call_id_text();
  });
  return v;
}

const Call* CallLog::find(CallRef ref) const {
  if (!ref.valid()) return nullptr;
  auto it = by_ref_.find(key_(ref));
  return it == by_ref_.end() ? nullptr : &calls_[it->second];
}

}  // namespace tg::analyze
