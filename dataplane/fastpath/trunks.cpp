#include "dataplane/fastpath/trunks.hpp"

#include <algorithm>
#include <cstdlib>

namespace tg::fastpath {

bool parse_trunk_spec(const std::string& spec, std::string& name, Endpoint& sbc, std::string& error) {
  const size_t eq = spec.find('=');
  if (eq == 0 || eq == std::string::npos || eq > 31)
    return error = "--trunk " + spec + ": want NAME=ADDR[:PORT] with a name of 1-31 characters", false;
  name = spec.substr(0, eq);
  std::string addr = spec.substr(eq + 1), port;
  if (!addr.empty() && addr[0] == '[') {
    const size_t close = addr.find(']');
    if (close == std::string::npos) return error = "--trunk " + spec + ": unterminated [IPv6 address]", false;
    if (close + 1 < addr.size()) {
      if (addr[close + 1] != ':') return error = "--trunk " + spec + ": want [V6]:PORT", false;
      port = addr.substr(close + 2);
    }
    addr = addr.substr(1, close - 1);
  } else if (std::count(addr.begin(), addr.end(), ':') == 1) {
    port = addr.substr(addr.find(':') + 1);
    addr = addr.substr(0, addr.find(':'));
  }
  sbc = Endpoint{};
  if (!sbc.addr.parse(addr)) return error = "--trunk " + spec + ": '" + addr + "' is not an IP address", false;
  if (!port.empty()) {
    char* end = nullptr;
    const unsigned long p = std::strtoul(port.c_str(), &end, 10);
    if (*end || p == 0 || p > 65535) return error = "--trunk " + spec + ": port '" + port + "' not within 1-65535", false;
    sbc.port = uint16_t(p);
  }
  return true;
}

}  // namespace tg::fastpath
