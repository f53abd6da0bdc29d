#include <algorithm>
#include <cstdint>

#include "control/notify/sender.hpp"

namespace tg::notify {

std::vector<std::string> Dispatcher::channels() const {
  std::vector<std::string> v;
  for (const auto& s : senders_) v.push_back(s->channel());
  return v;
}

bool Dispatcher::enqueue(const alarm::AlarmNotification& n, std::string& error) {
  return enqueue(notice_from(n), error);
}

bool Dispatcher::enqueue(const Notice& n, std::string& error) {
  return queue_.enqueue(n, channels(), clock_(), error);
}

Dispatcher::PassResult Dispatcher::run_once() {
  PassResult r;
  for (const auto& s : senders_) {
    WallMs now = clock_();
    // Back-off is per receiver: once any retry on a channel is due, try
    // everything pending there (a relay that is back gets one digest, not
    // notices trickling out on their own retry clocks).
    if (queue_.due(s->channel(), now, 1).empty()) continue;
    std::vector<Delivery> due = queue_.due(s->channel(), INT64_MAX, s->batch_limit());
    if (due.empty()) continue;
    SendOutcome out = s->send(due, now);
    WallMs done = clock_();
    if (!out.delivered.empty()) {
      if (!queue_.mark_delivered(s->channel(), out.delivered, done))
        r.errors.push_back(s->channel() + ": cannot record delivery: " + queue_.last_error());
      r.delivered += out.delivered.size();
    }
    if (!out.error.empty()) {
      std::vector<int64_t> failed;
      for (const Delivery& d : due)
        if (std::find(out.delivered.begin(), out.delivered.end(), d.notice.id) == out.delivered.end())
          failed.push_back(d.notice.id);
      queue_.mark_failed(s->channel(), failed, done, out.error);
      r.failed += failed.size();
      r.errors.push_back(s->channel() + ": " + out.error);
    }
  }
  return r;
}

}  // namespace tg::notify
