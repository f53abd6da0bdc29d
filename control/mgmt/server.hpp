// The management socket: a unix stream socket, one JSON request per line,
// one response line each, served from the daemon's single poll loop (no
// threads: handlers see a consistent daemon state without locks). A request
// whose answer waits on the network (an OPTIONS test) or the fast path is
// answered later through defer(); the loop serves everyone else meanwhile.
#pragma once
#include <poll.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "control/mgmt/access.hpp"

namespace tg::mgmt {

class Server {
 public:
  // Returns the response line (with newline) for one request line.
  using Handler = std::function<std::string(const Peer&, Role, std::string_view line)>;
  // The response line of a deferred request; dropped if the client has gone.
  using Reply = std::function<void(std::string line)>;

  static constexpr size_t kMaxClients = 16;
  static constexpr size_t kMaxPendingOutput = 1 << 20;  // a client that stops reading is dropped

  ~Server();
  // Creates the socket (and its directory). A stale socket file left by a
  // crashed daemon is replaced; a live one (another daemon answers) is an
  // error. Mode 0666: access is decided by SO_PEERCRED, with a clear message,
  // not by a bare EACCES from the file system.
  bool listen(const std::string& path, std::string& why);
  void close();
  void set_policy(AccessPolicy p) { policy_ = std::move(p); }
  const AccessPolicy& policy() const { return policy_; }
  void set_handler(Handler h) { handler_ = std::move(h); }
  // Called by a handler that answers later: it then returns "" and calls
  // the Reply once (from the loop, or at once). That client's further
  // requests wait behind it, so its answers keep their order.
  Reply defer();
  // Extra descriptors served by the same loop (signalfd, timers).
  void watch(int fd, std::function<void()> on_readable);

  // One poll round: accepts, reads, answers, writes. Returns after at most
  // timeout_ms. False if poll itself failed (not EINTR).
  bool run_once(int timeout_ms);
  size_t clients() const { return clients_.size(); }
  const std::string& path() const { return path_; }

 private:
  struct Client {
    int fd = -1;
    Peer peer;
    Role role = Role::none;
    std::string in, out;
    bool closing = false;  // close once `out` is flushed
    uint64_t serial = 0;   // names the client for a deferred Reply
    bool awaiting = false; // a deferred answer is outstanding
  };
  void accept_clients();
  void read_client(Client& c);
  void answer_lines(Client& c);
  void write_client(Client& c);

  int listen_fd_ = -1;
  std::string path_;
  AccessPolicy policy_;
  Handler handler_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<std::pair<int, std::function<void()>>> watches_;
  uint64_t next_serial_ = 1;
  Client* handling_ = nullptr;  // the client whose request the handler is answering
};

}  // namespace tg::mgmt
