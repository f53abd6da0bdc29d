#include "dataplane/fastpath/trunks.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "control/config/ini.hpp"

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

bool parse_trunks_ini(std::string_view text, const std::string& file, std::vector<TrunkSbc>& out, std::string& error) {
  // tg-controld's own reader of this file: the same syntax rules, FILE:LINE.
  std::vector<config::ConfigError> errors;
  const config::IniDocument doc = config::IniDocument::parse(text, file, errors);
  if (!errors.empty()) return error = errors.front().str(), false;
  std::vector<TrunkSbc> trunks;
  for (const std::string& section : doc.sections()) {
    if (section.rfind("trunk.", 0) != 0) continue;
    const std::string name = section.substr(6);
    const std::string at = file + ":" + std::to_string(doc.section_line(section)) + ": ";
    if (name.empty() || name.size() > 31) return error = at + "trunk name must be 1-31 characters", false;
    const std::optional<std::string> address = doc.get(section, "sbc_address"), port = doc.get(section, "sbc_port");
    if (!address || address->empty()) return error = at + "[" + section + "] has no sbc_address", false;
    const bool v6 = address->find(':') != std::string::npos;
    const std::string spec = name + "=" + (v6 ? "[" + *address + "]" : *address) + (port ? ":" + *port : "");
    std::string parsed_name, why;
    Endpoint sbc;
    if (!parse_trunk_spec(spec, parsed_name, sbc, why)) return error = at + "[" + section + "]: " + why, false;
    trunks.emplace_back(name, sbc);
  }
  out.insert(out.end(), trunks.begin(), trunks.end());
  return true;
}

bool load_trunks_ini(const std::string& path, std::vector<TrunkSbc>& out, std::string& error) {
  std::ifstream in(path);
  if (!in) return error = path + ": cannot read", false;
  std::ostringstream text;
  text << in.rdbuf();
  return parse_trunks_ini(text.str(), path, out, error);
}

}  // namespace tg::fastpath
