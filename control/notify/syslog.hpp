// RFC 5424 syslog of every notice: to the local syslog socket (/dev/log),
// or to a remote collector over UDP (RFC 5426, fire and forget) or TCP
// (RFC 6587 octet counting; a refused or broken connection is a failed
// delivery, retried from the queue).
//
// A syslog that is not there (no /dev/log on a box without a syslog
// daemon, a collector down) is a deferred delivery, not an error storm:
// after a failed connect or send the sender waits (1 s, doubling to
// 5 min) before it touches a socket again. Until then send() fails at once
// with the same text (the queue keeps every notice and backs off, so
// nothing is lost and one log line covers the outage), and log_event()
// drops the best-effort event without a syscall.
#pragma once
#include <string>

#include "control/notify/sender.hpp"

namespace tg::notify {

struct SyslogOptions {
  std::string remote;             // "" = local /dev/log; udp://HOST[:PORT]; tcp://HOST[:PORT]
  std::string facility = "local0";
  std::string app_name = "trunkguard";
  std::string hostname;           // default: gethostname()
  std::string local_socket = "/dev/log";
  int timeout_ms = 2000;
  WallMs retry_initial_ms = 1000;   // wait after the first failure
  WallMs retry_max_ms = 300'000;    // doubling up to this
};

std::string validate(const SyslogOptions& o);

class SyslogSender : public Sender {
 public:
  explicit SyslogSender(SyslogOptions o);
  ~SyslogSender() override;
  const std::string& channel() const override { return channel_; }
  size_t batch_limit() const override { return 64; }
  SendOutcome send(const std::vector<Delivery>& due, WallMs now) override;
  // A plain event (failover, state change, config) that is not an alarm:
  // logged at once, not queued (syslog of events is best effort; alarms go
  // through the durable queue). msgid: RFC 5424 MSGID, e.g. "FAILOVER".
  bool log_event(WallMs time_ms, int severity, const std::string& msgid, const std::string& object,
                 const std::string& text, std::string& error);

 private:
  // Deferred after a failure: false (with the deferral text) until the
  // back-off has passed.
  bool available(WallMs now, std::string& error) const;
  void failed(WallMs now, const std::string& error);
  bool connect_socket(std::string& error);
  bool write_line(std::string line, std::string& error);
  void close_socket();
  SyslogOptions o_;
  std::string channel_ = "syslog";
  std::string scheme_, host_;
  int port_ = 514;
  int fd_ = -1;
  WallMs retry_at_ = 0, backoff_ms_ = 0;  // 0: available
  std::string deferred_;                  // why, while backing off
};

}  // namespace tg::notify
