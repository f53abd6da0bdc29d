#include "dataplane/fastpath/trunks.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

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

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

struct Section {
  std::string name;
  int line = 0;
  std::string address, port;
};

}  // namespace

bool parse_trunks_ini(std::string_view text, const std::string& file, std::vector<TrunkSbc>& out, std::string& error) {
  std::vector<Section> sections;
  bool in_trunk = false;
  int line_no = 0;
  auto at = [&](int line) { return file + ":" + std::to_string(line) + ": "; };
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') return error = at(line_no) + "unterminated section header", false;
      const std::string_view sec = trim(line.substr(1, line.size() - 2));
      in_trunk = sec.substr(0, 6) == "trunk.";
      if (in_trunk) {
        const std::string_view name = sec.substr(6);
        if (name.empty() || name.size() > 31) return error = at(line_no) + "trunk name must be 1-31 characters", false;
        sections.push_back({std::string(name), line_no, {}, {}});
      }
      continue;
    }
    if (!in_trunk) continue;
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) return error = at(line_no) + "want key = value", false;
    const std::string_view key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    if (key == "sbc_address") sections.back().address = value;
    if (key == "sbc_port") sections.back().port = value;
  }
  std::vector<TrunkSbc> trunks;
  for (const Section& s : sections) {
    if (s.address.empty()) return error = at(s.line) + "[trunk." + s.name + "] has no sbc_address", false;
    const bool v6 = s.address.find(':') != std::string::npos;
    const std::string spec = s.name + "=" + (v6 ? "[" + s.address + "]" : s.address) + (s.port.empty() ? "" : ":" + s.port);
    std::string name, why;
    Endpoint sbc;
    if (!parse_trunk_spec(spec, name, sbc, why)) return error = at(s.line) + "[trunk." + s.name + "]: " + why, false;
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
