#include "board/board.hpp"

#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/net.hpp"

namespace tg::board {

uint8_t role_port(std::string_view role) {
  for (uint8_t i = 0; i < kRoleCount; ++i)
    if (role == kRoleNames[i]) return i;
  return kRoleCount;
}

namespace {

bool ip6_is_multicast(const Ip6& a) { return a[0] == 0xff; }
bool ip6_is_link_local(const Ip6& a) { return a[0] == 0xfe && (a[1] & 0xc0) == 0x80; }
bool ip6_is_unspecified(const Ip6& a) { return a == Ip6{}; }

bool parse_ipv4(std::string_view s, uint32_t& out) {
  IpAddr a;
  if (!a.parse(s) || a.family != 4) return false;
  out = a.v4_host_order();
  return true;
}

bool parse_ipv6(std::string_view s, Ip6& out) {
  IpAddr a;
  if (!a.parse(s) || a.family != 6) return false;
  std::memcpy(out.data(), a.bytes.data(), 16);
  return true;
}

bool parse_mac(std::string_view s, Mac& out) {
  if (s.size() != 17) return false;
  for (int i = 0; i < 6; ++i) {
    if (i < 5 && s[size_t(i) * 3 + 2] != ':') return false;
    auto* b = s.data() + i * 3;
    unsigned v = 0;
    auto r = std::from_chars(b, b + 2, v, 16);
    if (r.ec != std::errc() || r.ptr != b + 2) return false;
    out[size_t(i)] = uint8_t(v);
  }
  return true;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    size_t i = s.find(sep);
    out.push_back(s.substr(0, i));
    if (i == std::string_view::npos) break;
    s.remove_prefix(i + 1);
  }
  return out;
}

}  // namespace

bool parse_board(std::string_view text, const std::string& file, Board& out, std::string& error) {
  Board b;
  int line_no = 0;
  for (std::string_view line : split(text, '\n')) {
    ++line_no;
    auto fail = [&](const std::string& what) {
      error = file + ":" + std::to_string(line_no) + ": " + what;
      return false;
    };
    if (size_t h = line.find('#'); h != std::string_view::npos) line = line.substr(0, h);
    std::vector<std::string_view> words;
    for (std::string_view w : split(line, ' '))
      for (std::string_view t : split(w, '\t'))
        if (!t.empty() && t != "\r") words.push_back(t);
    if (words.empty()) continue;
    const uint8_t p = role_port(words[0]);
    if (p >= kRoleCount) return fail("unknown role '" + std::string(words[0]) + "' (lan, wan0, wan1, lte)");
    BoardPort& bp = b.ports[p];
    if (bp.present) return fail("port " + std::string(words[0]) + " declared twice");
    bp.present = true;
        for (size_t i = 1; i < words.size(); ++i) {
      std::string_view w = words[i];
      size_t eq = w.find('=');
      if (eq == std::string_view::npos || eq == 0) return fail("expected key=value, got '" + std::string(w) + "'");
      std::string_view key = w.substr(0, eq), val = w.substr(eq + 1);
      if (key == "dev") {
        bp.devargs = std::string(val);
      } else if (key == "addr") {
        size_t slash = val.find('/');
        unsigned len = 0;
        if (slash == std::string_view::npos || !parse_ipv4(val.substr(0, slash), bp.addr.ip) ||
            std::from_chars(val.data() + slash + 1, val.data() + val.size(), len).ec != std::errc() || len > 32 ||
            len == 0)
          return fail("addr needs A.B.C.D/LEN, got '" + std::string(val) + "'");
        bp.addr.prefix_len = uint8_t(len);
      } else if (key == "addr6") {
        size_t slash = val.find('/');
        unsigned len = 0;
        if (slash == std::string_view::npos || !parse_ipv6(val.substr(0, slash), bp.addr.ip6) ||
            std::from_chars(val.data() + slash + 1, val.data() + val.size(), len).ec != std::errc() || len > 128 ||
            len == 0)
          return fail("addr6 needs an IPv6 ADDRESS/LEN, got '" + std::string(val) + "'");
        if (ip6_is_multicast(bp.addr.ip6) || ip6_is_link_local(bp.addr.ip6) ||
            ip6_is_unspecified(bp.addr.ip6))
          return fail("addr6 must be a unicast global address (the link-local one comes from the MAC)");
        bp.addr.prefix6_len = uint8_t(len);
        bp.addr.has_ip6 = true;
      } else if (key == "gw6") {
        if (!parse_ipv6(val, bp.addr.gateway6) || ip6_is_multicast(bp.addr.gateway6) ||
            ip6_is_unspecified(bp.addr.gateway6))
          return fail("gw6 needs a unicast IPv6 address, got '" + std::string(val) + "'");
        bp.addr.has_gateway6 = true;
      } else if (key == "gw") {
        if (!parse_ipv4(val, bp.addr.gateway)) return fail("gw needs an IPv4 address, got '" + std::string(val) + "'");
      } else if (key == "gw_mac") {
        if (!parse_mac(val, bp.addr.gateway_mac)) return fail("gw_mac needs aa:bb:cc:dd:ee:ff");
        bp.addr.gateway_mac_static = true;
      } else if (key == "carrier") {
        bp.carrier_iface = std::string(val);
      } else if (key == "tap") {
        if (val.empty() || val.size() > 15 || val.find_first_of(",=/") != std::string_view::npos)
          return fail("tap needs an interface name (1..15 characters, no , = /)");
        bp.tap_iface = std::string(val);
      } else if (key == "probe") {
        for (std::string_view t : split(val, ',')) {
          uint32_t ip = 0;
          if (!parse_ipv4(t, ip)) return fail("probe needs IPv4 addresses, got '" + std::string(t) + "'");
          bp.probe_targets.push_back(ip);
        }
      } else if (key == "any_mac") {
        if (val != "0" && val != "1") return fail("any_mac is 0 or 1");
        bp.addr.accept_any_mac = val == "1";
      } else {
        return fail("unknown key '" + std::string(key) + "'");
      }
    }
    if (bp.devargs.empty()) return fail("port " + std::string(words[0]) + " has no dev=");
    if (p != kLanPort && bp.addr.ip != 0 && bp.addr.gateway == 0)
      return fail("uplink " + std::string(words[0]) + " has an address but no gw=");
    if (p == kLanPort && (bp.addr.gateway != 0 || !bp.probe_targets.empty() || bp.addr.has_gateway6))
      return fail("lan takes no gw=, gw6= or probe=");
    if (bp.addr.has_ip6 != bp.addr.has_gateway6 && p != kLanPort)
      return fail("uplink " + std::string(words[0]) + ": addr6= and gw6= go together");
  }
  if (!b.ports[kLanPort].present) return (error = file + ": no lan port", false);
  if (b.ports[kLanPort].addr.ip == 0) return (error = file + ": lan port needs addr=", false);
  out = std::move(b);
  return true;
}

bool load_board(const std::string& path, Board& out, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = path + ": cannot open";
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_board(ss.str(), path, out, error);
}

}  // namespace tg::board
