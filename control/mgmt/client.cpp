#include "control/mgmt/client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tg::mgmt {

namespace {
int64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}
}  // namespace

bool Client::connect(const std::string& path, std::string& why, int timeout_ms) {
  close();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    why = "bad socket path '" + path + "'";
    return false;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    why = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    why = path + ": " + std::strerror(errno);
    close();
    return false;
  }
  return true;
}

void Client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  in_.clear();
}

bool Client::read_line(std::string& line, std::string& why, int timeout_ms) {
  int64_t deadline = now_ms() + timeout_ms;
  while (true) {
    size_t nl = in_.find('\n');
    if (nl != std::string::npos) {
      line = in_.substr(0, nl);
      in_.erase(0, nl + 1);
      return true;
    }
    int64_t left = deadline - now_ms();
    if (left <= 0) {
      why = "no answer from tg-controld within " + std::to_string(timeout_ms) + " ms";
      close();
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    int n = ::poll(&p, 1, int(left));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    char buf[16384];
    ssize_t r = ::read(fd_, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      why = r == 0 ? "tg-controld closed the connection" : std::string("read: ") + std::strerror(errno);
      close();
      return false;
    }
    in_.append(buf, size_t(r));
    if (in_.size() > 64 * kMaxLineBytes) {
      why = "response too long";
      close();
      return false;
    }
  }
}

bool Client::raw(const std::string& line, std::string& response_line, std::string& why, int timeout_ms) {
  if (fd_ < 0) {
    why = "not connected";
    return false;
  }
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::send(fd_, line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // The server may have refused us and closed: its reason is readable.
      if (read_line(response_line, why, 200)) return true;
      why = std::string("send: ") + std::strerror(errno);
      close();
      return false;
    }
    done += size_t(n);
  }
  return read_line(response_line, why, timeout_ms);
}

bool Client::call(const std::string& cmd, const Json& args, Json& response, std::string& why, int timeout_ms) {
  std::string line;
  if (!raw(request_line(next_id_++, cmd, args), line, why, timeout_ms)) return false;
  response = Json::parse(line, nullptr, false);
  if (response.is_discarded() || !response.is_object()) {
    why = "tg-controld sent a line that is not JSON";
    close();
    return false;
  }
  return true;
}

}  // namespace tg::mgmt
