#include "control/notify/smtp.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace tg::notify {

std::string validate(const SmtpOptions& o) {
  if (o.url.rfind("smtp://", 0) != 0 && o.url.rfind("smtps://", 0) != 0)
    return "smtp_url must start with smtp:// or smtps://";
  if (o.starttls != "none" && o.starttls != "opportunistic" && o.starttls != "required")
    return "starttls must be none, opportunistic or required";
  if (o.from.empty()) return "no from address";
  if (o.recipients.empty()) return "no recipients";
  if (o.rate_limit_per_hour < 1) return "rate_limit_per_hour must be at least 1";
  if (o.group_window_s < 0) return "group_window_s must not be negative";
  if (!o.user.empty() && o.password.empty()) return "user without password";
  return "";
}

namespace {

class CurlTransport : public MailTransport {
 public:
  CurlTransport() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }
  std::string send(const SmtpOptions& o, const std::string& message) override {
    CURL* c = curl_easy_init();
    if (!c) return "curl_easy_init failed";
    Reader rd{message, 0};
    curl_slist* rcpt = nullptr;
    for (const auto& r : o.recipients) rcpt = curl_slist_append(rcpt, ("<" + r + ">").c_str());
    std::string from = "<" + o.from + ">";
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, o.url.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, &Reader::read);
    curl_easy_setopt(c, CURLOPT_READDATA, &rd);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, long(o.timeout_ms));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, long(std::min(o.timeout_ms, 5000)));
    if (o.url.rfind("smtp://", 0) == 0) {
      if (o.starttls == "required") curl_easy_setopt(c, CURLOPT_USE_SSL, long(CURLUSESSL_ALL));
      if (o.starttls == "opportunistic") curl_easy_setopt(c, CURLOPT_USE_SSL, long(CURLUSESSL_TRY));
    }
    if (!o.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, o.ca_file.c_str());
    if (!o.user.empty()) {
      curl_easy_setopt(c, CURLOPT_USERNAME, o.user.c_str());
      curl_easy_setopt(c, CURLOPT_PASSWORD, o.password.c_str());
    }
    CURLcode rc = curl_easy_perform(c);
    std::string err;
    if (rc != CURLE_OK) err = o.url + ": " + (errbuf[0] ? errbuf : curl_easy_strerror(rc));
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);
    return err;
  }

 private:
  struct Reader {
    const std::string& data;
    size_t pos;
    static size_t read(char* buf, size_t size, size_t n, void* user) {
      auto* r = static_cast<Reader*>(user);
      size_t take = std::min(size * n, r->data.size() - r->pos);
      memcpy(buf, r->data.data() + r->pos, take);
      r->pos += take;
      return take;
    }
  };
};

}  // namespace

std::unique_ptr<MailTransport> make_curl_transport() { return std::make_unique<CurlTransport>(); }

SmtpSender::SmtpSender(SmtpOptions o, std::unique_ptr<MailTransport> transport)
    : o_(std::move(o)), transport_(std::move(transport)), tokens_(std::max(1, o_.burst)) {}

void SmtpSender::refill(WallMs now) {
  if (refilled_ms_ == 0) refilled_ms_ = now;
  double per_ms = double(std::max(1, o_.rate_limit_per_hour)) / 3'600'000.0;
  tokens_ = std::min(double(std::max(1, o_.burst)), tokens_ + double(now - refilled_ms_) * per_ms);
  refilled_ms_ = now;
}

SendOutcome SmtpSender::send(const std::vector<Delivery>& due, WallMs now) {
  SendOutcome out;
  if (due.empty()) return out;
  if (std::string bad = validate(o_); !bad.empty()) {
    out.error = bad;
    return out;
  }
  bool retry = false;
  for (const Delivery& d : due) retry = retry || d.attempts > 0;
  // The first alarm goes at once; what follows within group_window_s of the
  // last mail waits and goes together (retries go at once: they waited already).
  if (!retry && last_mail_ms_ && now < last_mail_ms_ + WallMs(o_.group_window_s) * 1000) return out;
  refill(now);
  if (tokens_ < 1.0) return out;  // rate limit: wait, the next mail will be a digest

  // Without a group window every notice gets its own mail (its subject and
  // X.733 fields are what the NOC's mail rules match), also when several
  // came while the last mail was on the wire. One digest only when grouping
  // was asked for, when the rate limit has not a token for each, or for a
  // retry (a relay that is back gets one mail, not a trickle).
  const bool each_alone = o_.group_window_s == 0 && !retry && tokens_ >= double(due.size());
  std::vector<std::vector<Notice>> mails;
  for (const Delivery& d : due) {
    if (each_alone || mails.empty()) mails.emplace_back();
    mails.back().push_back(d.notice);
  }
  for (const std::vector<Notice>& notices : mails) {
    MailMessage m = format_mail(notices, o_.box_name);
    std::string err = transport_->send(o_, render_mail(m, o_.from, o_.recipients, now));
    if (!err.empty()) {
      out.error = err;  // what went before stays delivered; the rest is retried
      return out;
    }
    tokens_ -= 1.0;
    ++mails_;
    last_mail_ms_ = now;
    for (const Notice& n : notices) out.delivered.push_back(n.id);
  }
  return out;
}

}  // namespace tg::notify
