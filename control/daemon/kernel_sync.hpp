// The daemon's kernel side (drivers/netlink): watches the links of every
// port of the board (each port's kernel netdev, whose carrier is the cable,
// and its exception-path tap), keeps every uplink tap's address, its own
// routing table and "from ADDRESS lookup TABLE" rule (the box's sockets
// bound to an uplink leave by it: OPTIONS per uplink), moves the main
// default route to the active uplink's tap, and brings the LTE netdev up.
// Uplinks with addr6=/gw6= in the ports file get all of it for IPv6 too
// (same table number and rule priority); the main IPv6 default route
// follows the active uplink, and is removed while that one has no IPv6.
//
//   active uplink   <- the fast path: switch events (hook) at once, its stats
//                      every kActivePollNs as a backstop (attach, lost events)
//   link events     <- netlink, read as soon as the socket is readable: log,
//                      `show interfaces` (links), event store, link_down alarm
//   routes flushed  <- a tap set down/up or re-created (tg-dataplane restart):
//                      its table, rule target and main route are sent again
//   drift           <- everything re-sent every kResyncNs (idempotent)
//
// Single threaded: called from the daemon's poll loop. Control path only.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "control/config/config.hpp"
#include "control/daemon/controller.hpp"
#include "board/board.hpp"
#include "drivers/netlink/link_watch.hpp"
#include "drivers/netlink/route_sync.hpp"

namespace tg::alarmsvc {
class AlarmService;
}

namespace tg::controld {

// Routing table and rule priority of uplink port p (wan0 = port 1 -> 101):
// below the main table's rule (32766), one per port, stable across restarts.
constexpr uint32_t kUplinkTableBase = 100;

struct WatchedLink {
  std::string ifname;
  std::string port;  // board role: lan, wan0, wan1, lte
  std::string kind;  // "port": the port's kernel netdev (its carrier is the link); "tap": exception path
  friend bool operator==(const WatchedLink&, const WatchedLink&) = default;
};

struct KernelSyncConfig {
  std::vector<WatchedLink> links;
  netlink::RouteSyncConfig routes;         // uplinks[i] is uplink route_uplinks[i]
  std::vector<std::string> route_uplinks;  // uplink (= board role) names
  std::map<std::string, std::string> labels;  // uplink -> carrier, for alarm texts
};

// From the board's ports file (ports, their carrier netdevs, taps and
// addresses) and the configuration (the LTE uplink's device is brought up
// and watched). False + error if the result is not valid.
bool kernel_sync_config(const board::Board& board, const config::Config& c, KernelSyncConfig& out,
                        std::string& error);

struct LinkEvent {
  WatchedLink link;
  bool up = false;        // admin up and carrier
  uint64_t mono_ns = 0;   // when the kernel's message was read
  int64_t wall_us = 0;    // the same instant, wall clock
};

class KernelSync {
 public:
  using Log = Controller::Log;
  struct Clock {
    std::function<uint64_t()> mono_ns;  // CLOCK_MONOTONIC, as netlink messages are stamped
    std::function<int64_t()> wall_us;   // CLOCK_REALTIME
    static Clock system();
  };
  static constexpr uint64_t kActivePollNs = 500'000'000;
  static constexpr uint64_t kRetryNs = 1'000'000'000;
  static constexpr uint64_t kResyncNs = 30'000'000'000;

  KernelSync(netlink::Netlink& nl, FastPath& fp, Clock clock, Log log);

  // Opens netlink, loads the links and applies the routes. False (logged,
  // error() says why) if netlink cannot be opened or the config is bad;
  // the daemon then runs without it.
  bool open(KernelSyncConfig cfg);
  // The same from the board and the configuration; the board is kept for
  // configuration changes (install() follows them).
  bool open(const board::Board& board, const config::Config& c);
  // A new configuration (same netlink socket): re-dump, re-apply.
  bool reconfigure(KernelSyncConfig cfg);
  // Switch events -> active uplink; `show interfaces` gets "links"; link
  // events go to the event store and alarms when the service runs.
  void install(Controller& ctl, alarmsvc::AlarmService* alarms);

  int event_fd() const { return open_ ? nl_.event_fd() : -1; }
  void on_readable();  // netlink messages are pending
  void tick();         // each loop round: stats backstop, retries, resync
  void set_active(const std::string& uplink);  // "none" / unknown: leave the main route

  bool enabled() const { return open_; }
  const std::string& error() const { return error_; }
  const std::string& active() const { return active_; }
  bool routes_done() const { return routes_ && routes_->done() && applied_ok_; }
  uint64_t link_events() const { return link_events_; }
  uint64_t resyncs() const { return resyncs_; }
  Json links_json() const;

  std::function<void(const LinkEvent&)> on_link_event;  // set by install() when alarms run

 private:
  struct LinkRecord {
    bool known = false, up = false;
    int ifindex = 0;
    uint64_t changes = 0;
    uint64_t last_mono_ns = 0;
    int64_t last_wall_us = 0;
  };
  void load_dump();
  void changed(const std::vector<netlink::CarrierChange>& changes, bool report);
  void watch_ifindex();
  void apply();
  int route_index(const std::string& port) const;
  int64_t wall_us_at(uint64_t mono_ns) const;

  netlink::Netlink& nl_;
  FastPath& fp_;
  Clock clock_;
  Log log_;
  bool open_ = false;
  std::string error_;
  KernelSyncConfig cfg_;
  std::unique_ptr<netlink::LinkWatch> watch_;
  std::unique_ptr<netlink::RouteSync> routes_;
  std::vector<LinkRecord> records_;
  std::vector<netlink::LinkState> msgs_;
  std::vector<netlink::CarrierChange> changes_;
  std::unique_ptr<api::StatsBody> stats_;
  board::Board board_;
  bool have_board_ = false;
  std::set<std::string> raised_;  // uplinks whose link_down alarm came from here
  std::string active_ = "none";
  bool applied_ok_ = false;
  std::string last_apply_error_;
  uint64_t next_poll_ns_ = 0, next_retry_ns_ = 0, next_resync_ns_ = 0;
  uint64_t link_events_ = 0, resyncs_ = 0;
  int64_t main_changed_wall_us_ = 0;  // when the main default route last moved
  uint8_t main_uplink_ = 0xFF;        // where it goes
  uint8_t main6_uplink_ = 0xFF;       // the IPv6 one (an uplink without IPv6: none)
};

}  // namespace tg::controld
