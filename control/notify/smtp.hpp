// Alarm mail over SMTP (libcurl): STARTTLS none/opportunistic/required or
// smtps://, optional AUTH, a list of recipients. Mail is paced: the first
// alarm goes at once, what follows within group_window_s of the last mail
// goes out together as one digest, and a token bucket keeps to
// rate_limit_per_hour; what the limit holds back goes out as one digest when
// the next token comes (alarm storms). With group_window_s = 0, notices that
// queued up meanwhile go one mail each while the bucket has a token for each.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "control/notify/format.hpp"
#include "control/notify/sender.hpp"

namespace tg::notify {

struct SmtpOptions {
  std::string url;                   // smtp://HOST[:PORT] | smtps://HOST[:PORT]
  std::string starttls = "required"; // none | opportunistic | required (smtp:// only)
  std::string user, password;        // AUTH when user is set
  std::string ca_file;               // PEM CA bundle for the relay's certificate; "" = system CAs
  std::string from;
  std::vector<std::string> recipients;
  int rate_limit_per_hour = 30;
  int burst = 5;                     // mails that may go back to back
  int group_window_s = 60;
  int timeout_ms = 15000;
  std::string box_name = "trunkguard";
};

std::string validate(const SmtpOptions& o);

// The wire: real libcurl, or a fake in unit tests.
class MailTransport {
 public:
  virtual ~MailTransport() = default;
  // Sends one RFC 5322 message; "" on success, else why.
  virtual std::string send(const SmtpOptions& o, const std::string& message) = 0;
};
std::unique_ptr<MailTransport> make_curl_transport();

class SmtpSender : public Sender {
 public:
  SmtpSender(SmtpOptions o, std::unique_ptr<MailTransport> transport = make_curl_transport());
  const std::string& channel() const override { return channel_; }
  size_t batch_limit() const override { return 200; }
  SendOutcome send(const std::vector<Delivery>& due, WallMs now) override;
  double tokens() const { return tokens_; }
  size_t mails_sent() const { return mails_; }

 private:
  void refill(WallMs now);
  SmtpOptions o_;
  std::unique_ptr<MailTransport> transport_;
  std::string channel_ = "email";
  double tokens_;
  WallMs refilled_ms_ = 0;
  WallMs last_mail_ms_ = 0;
  size_t mails_ = 0;
};

}  // namespace tg::notify
