// A delivery channel (one SNMP receiver, the mail relay, syslog) and the
// Dispatcher that moves notices from the durable queue to the channels.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "control/notify/queue.hpp"

namespace tg::notify {

struct SendOutcome {
  std::vector<int64_t> delivered;  // notice ids the receiver took
  std::string error;               // non-empty: the rest of the batch failed (backed off)
};

class Sender {
 public:
  virtual ~Sender() = default;
  // Queue channel name, stable across restarts: "snmp:HOST:PORT", "email", "syslog".
  virtual const std::string& channel() const = 0;
  // Most notices handed to one send().
  virtual size_t batch_limit() const { return 32; }
  // Delivers what it can of `due` (oldest first). With an empty error, the
  // notices not delivered stay pending untouched (rate limit, grouping
  // window); with an error, all of them are retried after back-off.
  virtual SendOutcome send(const std::vector<Delivery>& due, WallMs now) = 0;
};

// Moves notices from the queue to the senders. run_once() blocks for at
// most the senders' own timeouts, so the daemon runs it on its own thread
// or in a loop that tolerates that.
class Dispatcher {
 public:
  Dispatcher(NotifyQueue& queue, alarm::Clock clock) : queue_(queue), clock_(std::move(clock)) {}
  void add(std::unique_ptr<Sender> sender) { senders_.push_back(std::move(sender)); }
  std::vector<std::string> channels() const;

  // Writes the alarm notification to disk for every channel (call from the
  // alarm manager's sink). false only if the disk write failed.
  bool enqueue(const alarm::AlarmNotification& n, std::string& error);
  bool enqueue(const Notice& n, std::string& error);

  struct PassResult {
    size_t delivered = 0, failed = 0;
    std::vector<std::string> errors;  // "channel: why"
  };
  // One pass over every channel.
  PassResult run_once();

 private:
  NotifyQueue& queue_;
  alarm::Clock clock_;
  std::vector<std::unique_ptr<Sender>> senders_;
};

}  // namespace tg::notify
