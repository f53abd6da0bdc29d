// tg-netlink: drive drivers/netlink from the shell. Every line printed is
// one JSON object; times are CLOCK_MONOTONIC ns so a caller can measure the
// delay between an action and the event it causes.
//
//   tg-netlink watch [--ifname NAME]... [--until-down NAME] [--until-up NAME]
//                    [--count N] [--timeout-ms MS] [--dump]
//   tg-netlink watch --uplinks IF0,IF1,... [--count N] [--timeout-ms MS]
//                    (carrier changes per uplink only, as the daemon sees them)
//   tg-netlink sync --active N [--bring-up IF]... --uplink IF,ADDR/LEN,GW|-,TABLE,PRIO[,ADDR6/LEN,GW6] ...
//   tg-netlink links
//   tg-netlink up|down IFNAME
//   tg-netlink addr-add|addr-del IFNAME PREFIX
//   tg-netlink route IFNAME GATEWAY|- TABLE
//   tg-netlink route-del 4|6 TABLE
//   tg-netlink rule|rule-del PRIORITY FROM-PREFIX TABLE
#include <poll.h>
#include <time.h>

#include <charconv>
#include <memory>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/core/json_text.hpp"
#include "drivers/netlink/link_watch.hpp"
#include "drivers/netlink/netlink.hpp"
#include "drivers/netlink/route_sync.hpp"

using namespace tg;
using namespace tg::netlink;

namespace {

uint64_t mono_now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}


void print_link(const char* event, const LinkState& l) {
  std::printf("{\"event\":\"%s\",\"ifindex\":%d,\"name\":%s,\"admin_up\":%s,\"carrier\":%s,\"removed\":%s,"
              "\"flags\":%u,\"mono_ns\":%llu}\n",
              event, l.ifindex, json::string(l.name).c_str(), l.admin_up ? "true" : "false", l.carrier ? "true" : "false",
              l.removed ? "true" : "false", l.flags, static_cast<unsigned long long>(l.mono_ns));
}

void print_carrier(const CarrierChange& c, const std::vector<std::string>& names) {
  std::printf("{\"event\":\"carrier\",\"uplink\":%u,\"name\":%s,\"up\":%s,\"mono_ns\":%llu}\n", c.uplink,
              json::string(names[c.uplink]).c_str(), c.up ? "true" : "false", static_cast<unsigned long long>(c.mono_ns));
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) return out;
    start = p + 1;
  }
}

int usage() {
  std::fprintf(stderr,
               "usage: tg-netlink watch [--ifname NAME]... [--until-down NAME] [--until-up NAME] [--count N]\n"
               "                        [--timeout-ms MS] [--dump]\n"
               "       tg-netlink watch --uplinks IF0,IF1,... [--count N] [--timeout-ms MS]\n"
               "       tg-netlink sync --active N [--bring-up IF]... --uplink IF,ADDR/LEN,GW|-,TABLE,PRIO[,ADDR6/LEN,GW6] ...\n"
               "       tg-netlink links | up IF | down IF | addr-add IF PREFIX | addr-del IF PREFIX\n"
               "       tg-netlink route IF GATEWAY|- TABLE | route-del 4|6 TABLE\n"
               "       tg-netlink rule PRIO FROM TABLE | rule-del PRIO FROM TABLE\n");
  return 64;
}

bool to_u32(const char* s, uint32_t& v) {
  auto [p, ec] = std::from_chars(s, s + std::strlen(s), v);
  return ec == std::errc() && *p == '\0';
}

int report(const char* op, bool ok, uint64_t t, const std::string& error) {
  std::printf("{\"op\":%s,\"ok\":%s,\"mono_ns\":%llu,\"error\":%s}\n", json::string(op).c_str(), ok ? "true" : "false",
              static_cast<unsigned long long>(t), json::string(error).c_str());
  return ok ? 0 : 1;
}

int watch(Netlink& nl, int argc, char** argv) {
  std::vector<std::string> names, uplinks;
  std::string until_down, until_up;
  uint32_t count = 0, timeout_ms = 0;
  bool dump = false;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--dump") {
      dump = true;
    } else if (a == "--uplinks" && (v = next())) {
      uplinks = split(v, ',');
    } else if (a == "--ifname" && (v = next())) {
      names.push_back(v);
    } else if (a == "--until-down" && (v = next())) {
      until_down = v;
    } else if (a == "--until-up" && (v = next())) {
      until_up = v;
    } else if (a == "--count" && (v = next()) && to_u32(v, count)) {
    } else if (a == "--timeout-ms" && (v = next()) && to_u32(v, timeout_ms)) {
    } else {
      return usage();
    }
  }
  std::string err;
  std::vector<LinkState> links;
  if (dump) {
    if (!nl.dump_links(links, err)) return report("dump", false, mono_now(), err);
    for (const LinkState& l : links) print_link("dump", l);
    links.clear();
  }
  std::unique_ptr<LinkWatch> lw;
  std::vector<CarrierChange> changes;
  if (!uplinks.empty()) {
    lw = std::make_unique<LinkWatch>(uplinks);
    if (!nl.dump_links(links, err)) return report("dump", false, mono_now(), err);
    lw->load(links, changes);
    for (const auto& c : changes) print_carrier(c, uplinks);
    links.clear();
  }
  // Subscribed before "ready": a caller may act as soon as it reads this line.
  std::printf("{\"event\":\"ready\",\"mono_ns\":%llu}\n", static_cast<unsigned long long>(mono_now()));
  std::fflush(stdout);
  const uint64_t deadline = timeout_ms ? mono_now() + uint64_t(timeout_ms) * 1'000'000 : 0;
  uint32_t seen = 0;
  for (;;) {
    int wait_ms = -1;
    if (deadline) {
      const uint64_t now = mono_now();
      if (now >= deadline) {
        std::printf("{\"event\":\"timeout\",\"mono_ns\":%llu}\n", static_cast<unsigned long long>(now));
        return 2;
      }
      wait_ms = int((deadline - now) / 1'000'000) + 1;
    }
    pollfd pfd{nl.event_fd(), POLLIN, 0};
    if (poll(&pfd, 1, wait_ms) < 0 && errno != EINTR) return report("poll", false, mono_now(), std::strerror(errno));
    links.clear();
    if (!nl.read_events(links, err)) report("read", false, mono_now(), err);  // keep watching
    if (lw) {
      changes.clear();
      lw->feed(links, changes);
      for (const auto& c : changes) {
        print_carrier(c, uplinks);
        if (count && ++seen >= count) {
          std::fflush(stdout);
          return 0;
        }
      }
      links.clear();
    }
    for (const LinkState& l : links) {
      bool wanted = names.empty();
      for (const auto& n : names) wanted |= n == l.name;
      if (!wanted) continue;
      print_link("link", l);
      ++seen;
      const bool done = (count && seen >= count) || (!until_down.empty() && l.name == until_down && !l.operational()) ||
                        (!until_up.empty() && l.name == until_up && l.operational());
      if (done) {
        std::fflush(stdout);
        return 0;
      }
    }
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string cmd = argv[1];
  auto nl = make_libnl_netlink();
  std::string err;
  if (!nl->open(err)) return report("open", false, mono_now(), err);
  if (cmd == "watch") return watch(*nl, argc - 2, argv + 2);
  if (cmd == "sync") {
    RouteSyncConfig cfg;
    uint32_t active = 0xFF;
    for (int i = 2; i < argc; ++i) {
      std::string a = argv[i];
      if (i + 1 >= argc) return usage();
      std::string v = argv[++i];
      if (a == "--active") {
        if (!to_u32(v.c_str(), active)) return usage();
      } else if (a == "--bring-up") {
        cfg.bring_up.push_back(v);
      } else if (a == "--uplink") {
        auto f = split(v, ',');
        UplinkRoute r;
        if ((f.size() != 5 && f.size() != 7) || !r.address.parse(f[1]) || (f[2] != "-" && !r.gateway.parse(f[2])) ||
            !to_u32(f[3].c_str(), r.table) || !to_u32(f[4].c_str(), r.rule_priority) ||
            (f.size() == 7 && (!r.address6.parse(f[5]) || !r.gateway6.parse(f[6]))))
          return report("sync", false, mono_now(),
                        "bad --uplink " + v + " (IF,ADDR/LEN,GW|-,TABLE,PRIO[,ADDR6/LEN,GW6])");
        r.ifname = f[0];
        cfg.uplinks.push_back(r);
      } else {
        return usage();
      }
    }
    if (!validate(cfg, err)) return report("sync", false, mono_now(), err);
    RouteSync sync(*nl, cfg);
    const uint64_t t = mono_now();
    const bool ok = sync.apply(uint8_t(active > 0xFF ? 0xFF : active), err);
    std::printf("{\"op\":\"sync\",\"ok\":%s,\"mono_ns\":%llu,\"operations\":%llu,\"error\":%s}\n", ok ? "true" : "false",
                static_cast<unsigned long long>(t), static_cast<unsigned long long>(sync.operations()), json::string(err).c_str());
    return ok ? 0 : 1;
  }
  if (cmd == "links" && argc == 2) {
    std::vector<LinkState> links;
    if (!nl->dump_links(links, err)) return report("links", false, mono_now(), err);
    for (const LinkState& l : links) print_link("dump", l);
    return 0;
  }
  if ((cmd == "up" || cmd == "down") && argc == 3) {
    const uint64_t t = mono_now();
    return report(cmd.c_str(), nl->set_link_up(argv[2], cmd == "up", err), t, err);
  }
  if ((cmd == "addr-add" || cmd == "addr-del") && argc == 4) {
    Prefix p;
    if (!p.parse(argv[3])) return report(cmd.c_str(), false, mono_now(), std::string("bad prefix: ") + argv[3]);
    const uint64_t t = mono_now();
    const bool ok = cmd == "addr-add" ? nl->add_address(argv[2], p, err) : nl->del_address(argv[2], p, err);
    return report(cmd.c_str(), ok, t, err);
  }
  if (cmd == "route" && argc == 5) {
    IpAddr gw;
    uint32_t table;
    if (std::strcmp(argv[3], "-") != 0 && !gw.parse(argv[3]))
      return report("route", false, mono_now(), std::string("bad gateway: ") + argv[3]);
    if (!to_u32(argv[4], table)) return report("route", false, mono_now(), "bad table");
    const uint64_t t = mono_now();
    return report("route", nl->set_default_route(argv[2], gw, table, err), t, err);
  }
  if (cmd == "route-del" && argc == 4) {
    uint32_t family, table;
    if (!to_u32(argv[2], family) || (family != 4 && family != 6) || !to_u32(argv[3], table))
      return report("route-del", false, mono_now(), "usage: route-del 4|6 TABLE");
    const uint64_t t = mono_now();
    return report("route-del", nl->del_default_route(int(family), table, err), t, err);
  }
  if ((cmd == "rule" || cmd == "rule-del") && argc == 5) {
    uint32_t prio, table;
    Prefix src;
    if (!to_u32(argv[2], prio) || !src.parse(argv[3]) || !to_u32(argv[4], table))
      return report(cmd.c_str(), false, mono_now(), "usage: rule PRIO FROM TABLE");
    const uint64_t t = mono_now();
    const bool ok = cmd == "rule" ? nl->add_rule(prio, src, table, err) : nl->del_rule(prio, src, table, err);
    return report(cmd.c_str(), ok, t, err);
  }
  return usage();
}
