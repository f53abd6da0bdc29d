// Client side of the management socket (tg-cli, tests): connect, send one
// request, read one response line, with a deadline on every step.
#pragma once
#include <string>

#include "control/mgmt/protocol.hpp"

namespace tg::mgmt {

class Client {
 public:
  ~Client() { close(); }
  // False with why ("... : No such file or directory" when the daemon is not
  // running, "connection refused" when it died and left the socket).
  bool connect(const std::string& path, std::string& why, int timeout_ms = 2000);
  void close();
  bool connected() const { return fd_ >= 0; }
  // Sends the request and waits for its response line. False with why if
  // the connection failed or timed out (then the client is closed).
  bool call(const std::string& cmd, const Json& args, Json& response, std::string& why, int timeout_ms = 10000);
  // Sends a raw line (tests: malformed requests) and reads one line back.
  bool raw(const std::string& line, std::string& response_line, std::string& why, int timeout_ms = 10000);
  // A response that arrived without a request (refusal on connect).
  bool read_line(std::string& line, std::string& why, int timeout_ms);

 private:
  int fd_ = -1;
  uint64_t next_id_ = 1;
  std::string in_;
};

}  // namespace tg::mgmt
