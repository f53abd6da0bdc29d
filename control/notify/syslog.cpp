#include "control/notify/syslog.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "control/notify/format.hpp"

namespace tg::notify {

namespace {
bool split_remote(const std::string& remote, std::string& scheme, std::string& host, int& port) {
  size_t p = remote.find("://");
  if (p == std::string::npos) return false;
  scheme = remote.substr(0, p);
  std::string rest = remote.substr(p + 3);
  if (scheme != "udp" && scheme != "tcp") return false;
  port = 514;
  size_t colon = rest.rfind(':');
  if (colon != std::string::npos && rest.find(']') == std::string::npos) {
    port = atoi(rest.c_str() + colon + 1);
    rest = rest.substr(0, colon);
  } else if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string::npos) return false;
    if (close + 1 < rest.size() && rest[close + 1] == ':') port = atoi(rest.c_str() + close + 2);
    rest = rest.substr(1, close - 1);
  }
  host = rest;
  return !host.empty() && port > 0 && port < 65536;
}
}  // namespace

std::string validate(const SyslogOptions& o) {
  if (syslog_facility_code(o.facility) < 0) return "unknown syslog facility '" + o.facility + "'";
  std::string s, h;
  int p;
  if (!o.remote.empty() && !split_remote(o.remote, s, h, p))
    return "syslog remote must be udp://HOST[:PORT] or tcp://HOST[:PORT]";
  return "";
}

SyslogSender::SyslogSender(SyslogOptions o) : o_(std::move(o)) {
  if (o_.hostname.empty()) {
    char h[256] = "";
    gethostname(h, sizeof h - 1);
    o_.hostname = h;
  }
  if (!o_.remote.empty()) split_remote(o_.remote, scheme_, host_, port_);
}

SyslogSender::~SyslogSender() { close_socket(); }

void SyslogSender::close_socket() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

bool SyslogSender::connect_socket(std::string& error) {
  if (fd_ >= 0) return true;
  if (o_.remote.empty()) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    strncpy(sa.sun_path, o_.local_socket.c_str(), sizeof sa.sun_path - 1);
    if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
      error = o_.local_socket + ": " + strerror(errno);
      close_socket();
      return false;
    }
    return true;
  }
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = scheme_ == "tcp" ? SOCK_STREAM : SOCK_DGRAM;
  int rc = getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &res);
  if (rc != 0) {
    error = o_.remote + ": " + gai_strerror(rc);
    return false;
  }
  fd_ = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, res->ai_protocol);
  if (fd_ < 0) {
    error = o_.remote + ": " + strerror(errno);
    freeaddrinfo(res);
    return false;
  }
  rc = connect(fd_, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (rc < 0 && errno == EINPROGRESS) {
    pollfd p{fd_, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    if (poll(&p, 1, o_.timeout_ms) != 1 || getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
      error = o_.remote + ": connect: " + (err ? strerror(err) : "timeout");
      close_socket();
      return false;
    }
  } else if (rc < 0) {
    error = o_.remote + ": connect: " + strerror(errno);
    close_socket();
    return false;
  }
  return true;
}

SendOutcome SyslogSender::send(const std::vector<Delivery>& due, WallMs now) {
  SendOutcome out;
  if (std::string bad = validate(o_); !bad.empty()) {
    out.error = bad;
    return out;
  }
  if (!available(now, out.error)) return out;
  int facility = syslog_facility_code(o_.facility);
  for (const Delivery& d : due) {
    std::string error;
    std::string line = format_syslog(d.notice, facility, o_.hostname, o_.app_name, int(getpid()));
    if (!connect_socket(error) || !write_line(std::move(line), error)) {
      failed(now, error);
      out.error = deferred_;
      return out;
    }
    out.delivered.push_back(d.notice.id);
  }
  backoff_ms_ = retry_at_ = 0;
  return out;
}

bool SyslogSender::available(WallMs now, std::string& error) const {
  if (backoff_ms_ == 0 || now >= retry_at_) return true;
  error = deferred_;
  return false;
}

void SyslogSender::failed(WallMs now, const std::string& error) {
  backoff_ms_ = backoff_ms_ == 0 ? o_.retry_initial_ms : std::min(backoff_ms_ * 2, o_.retry_max_ms);
  retry_at_ = now + backoff_ms_;
  // The same text for the whole outage (no attempt count or times in it),
  // so whoever logs delivery errors logs it once.
  deferred_ = error + " (syslog unavailable: deferred, retried with back-off)";
}

bool SyslogSender::write_line(std::string line, std::string& error) {
  if (scheme_ == "tcp") line = std::to_string(line.size()) + " " + line;  // RFC 6587 octet counting
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::send(fd_, line.data() + off, line.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += size_t(n);
      if (scheme_ != "tcp") break;  // one datagram
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      if (poll(&p, 1, o_.timeout_ms) == 1) continue;
    }
    error = (o_.remote.empty() ? o_.local_socket : o_.remote) + ": send: " + (n < 0 ? strerror(errno) : "timeout");
    close_socket();
    return false;
  }
  return true;
}

bool SyslogSender::log_event(WallMs time_ms, int severity, const std::string& msgid, const std::string& object,
                             const std::string& text, std::string& error) {
  if (std::string bad = validate(o_); !bad.empty()) {
    error = bad;
    return false;
  }
  if (!available(time_ms, error)) return false;
  std::string line = format_syslog_event(time_ms, syslog_facility_code(o_.facility), severity, o_.hostname,
                                         o_.app_name, int(getpid()), msgid, object, text);
  if (!connect_socket(error) || !write_line(std::move(line), error)) {
    failed(time_ms, error);
    error = deferred_;
    return false;
  }
  backoff_ms_ = retry_at_ = 0;
  return true;
}

}  // namespace tg::notify
