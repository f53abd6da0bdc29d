#include "control/mgmt/server.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "control/mgmt/protocol.hpp"

namespace tg::mgmt {

namespace {

bool fill_address(const std::string& path, sockaddr_un& addr, std::string& why) {
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    why = "socket path must be 1.." + std::to_string(sizeof addr.sun_path - 1) + " characters";
    return false;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  return true;
}

void make_parent(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return;
  std::string dir = path.substr(0, slash);
  for (size_t pos = 1; pos <= dir.size(); ++pos)
    if (pos == dir.size() || dir[pos] == '/') ::mkdir(dir.substr(0, pos).c_str(), 0755);
}

}  // namespace

Server::~Server() { close(); }

bool Server::listen(const std::string& path, std::string& why) {
  sockaddr_un addr;
  if (!fill_address(path, addr, why)) return false;
  make_parent(path);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      why = path + " exists and is not a socket";
      return false;
    }
    int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool live = probe >= 0 && ::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (probe >= 0) ::close(probe);
    if (live) {
      why = path + " is in use: another tg-controld is running";
      return false;
    }
    ::unlink(path.c_str());
  }
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) {
    why = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::chmod(path.c_str(), 0666) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    why = path + ": " + std::strerror(errno);
    ::close(listen_fd_);
    listen_fd_ = -1;
    return false;
  }
  path_ = path;
  return true;
}

void Server::close() {
  for (auto& c : clients_) ::close(c->fd);
  clients_.clear();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    ::unlink(path_.c_str());
  }
}

void Server::watch(int fd, std::function<void()> on_readable) { watches_.emplace_back(fd, std::move(on_readable)); }

Server::Reply Server::defer() {
  if (!handling_) return nullptr;
  handling_->awaiting = true;
  return [this, serial = handling_->serial](std::string line) {
    for (auto& c : clients_) {
      if (c->serial != serial || c->fd < 0) continue;
      c->out += line;
      c->awaiting = false;
      return;  // run_once answers what waited behind it and writes
    }
  };
}

bool Server::run_once(int timeout_ms) {
  // Requests that waited behind a deferred answer now given.
  for (auto& c : clients_)
    if (!c->awaiting && c->fd >= 0 && c->in.find('\n') != std::string::npos) answer_lines(*c);
  std::vector<pollfd> fds;
  fds.push_back({listen_fd_, POLLIN, 0});
  for (auto& [fd, fn] : watches_) fds.push_back({fd, POLLIN, 0});
  for (auto& c : clients_) {
    short ev = c->closing || c->awaiting ? 0 : POLLIN;
    if (!c->out.empty()) ev |= POLLOUT;
    fds.push_back({c->fd, ev, 0});
  }
  int n = ::poll(fds.data(), nfds_t(fds.size()), timeout_ms);
  if (n < 0) return errno == EINTR;
  if (n == 0) return true;
  size_t i = 1;
  for (size_t w = 0; w < watches_.size(); ++w, ++i)
    if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) watches_[w].second();
  // Clients in the same order as polled; accepting happens after so new
  // clients do not shift the indices.
  size_t count = clients_.size();
  for (size_t k = 0; k < count; ++k, ++i) {
    Client& c = *clients_[k];
    short re = fds[i].revents;
    if (re & (POLLIN | POLLHUP | POLLERR)) read_client(c);
    if (!c.out.empty() && (re & POLLOUT)) write_client(c);
  }
  if (fds[0].revents & POLLIN) accept_clients();
  std::erase_if(clients_, [](const std::unique_ptr<Client>& c) {
    if (c->fd >= 0 && !(c->closing && c->out.empty())) return false;
    if (c->fd >= 0) ::close(c->fd);
    return true;
  });
  return true;
}

void Server::accept_clients() {
  while (true) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    auto c = std::make_unique<Client>();
    c->fd = fd;
    c->serial = next_serial_++;
    std::string why;
    if (!peer_of(fd, c->peer, why)) {
      c->out = error_response(nullptr, {ErrorCode::internal, why, {}});
      c->closing = true;
    } else if (clients_.size() >= kMaxClients) {
      c->out = error_response(nullptr, {ErrorCode::busy,
                                        "too many management clients (" + std::to_string(kMaxClients) + ")", {}});
      c->closing = true;
    } else {
      c->role = policy_.role_of(c->peer);
      if (c->role == Role::none) {
        c->out = error_response(nullptr, {ErrorCode::permission_denied, policy_.refusal(c->peer), {}});
        c->closing = true;
      }
    }
    write_client(*c);
    clients_.push_back(std::move(c));
  }
}

void Server::read_client(Client& c) {
  char buf[16384];
  while (!c.closing) {
    ssize_t n = ::read(c.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) {
      // Peer closed (or error): answer nothing more.
      ::close(c.fd);
      c.fd = -1;
      return;
    }
    c.in.append(buf, size_t(n));
    answer_lines(c);
    if (c.awaiting) break;  // the rest waits in `in` behind the deferred answer
    if (c.in.size() > kMaxLineBytes) {
      c.out += error_response(nullptr, {ErrorCode::too_long,
                                        "no newline within " + std::to_string(kMaxLineBytes) + " bytes", {}});
      c.closing = true;
    }
    if (c.out.size() > kMaxPendingOutput) {
      ::close(c.fd);
      c.fd = -1;
      return;
    }
  }
  if (!c.out.empty()) write_client(c);
}

void Server::answer_lines(Client& c) {
  size_t start = 0, nl;
  while (!c.awaiting && (nl = c.in.find('\n', start)) != std::string::npos) {
    std::string line(c.in, start, nl - start);
    start = nl + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    handling_ = &c;
    std::string out = handler_(c.peer, c.role, line);
    handling_ = nullptr;
    c.out += out;
  }
  c.in.erase(0, start);
}

void Server::write_client(Client& c) {
  while (c.fd >= 0 && !c.out.empty()) {
    ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
      ::close(c.fd);
      c.fd = -1;
      return;
    }
    c.out.erase(0, size_t(n));
  }
}

}  // namespace tg::mgmt
