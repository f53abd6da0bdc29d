// tg-controld: the control daemon. Loads and validates the configuration
// (a bad file is refused whole, with FILE:LINE for every error, and the
// daemon runs on the last good one, raising config_rejected), attaches to
// the fast path's shared memory when it is there, serves the management
// socket, logs to syslog, and exits cleanly on SIGTERM. SIGHUP re-reads the
// file (a bad file leaves the running configuration as it is).
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "control/config/schema.hpp"
#include "control/config/store.hpp"
#include "control/daemon/trunk_probing.hpp"
#include "control/daemon/call_records.hpp"
#include "control/daemon/capture_writer.hpp"
#include "control/daemon/controller.hpp"
#include "control/daemon/fastpath_link.hpp"
#include "control/daemon/kernel_sync.hpp"
#include "control/daemon/log.hpp"
#include "control/daemon/services.hpp"
#include "control/mgmt/server.hpp"
#include "drivers/service/service_notify.hpp"

#ifndef TG_VERSION
#define TG_VERSION "dev"
#endif

namespace po = boost::program_options;
using namespace tg;

namespace {

void print_schema() {
  for (const config::SectionSpec& s : config::schema()) {
    std::printf("[%s%s]  %s\n", s.name, s.named ? ".NAME" : "", s.help);
    if (s.named && s.name_choices) std::printf("    NAME: one of %s\n", s.name_choices);
    for (const config::OptionSpec& o : s.options) {
      std::string type = config::value_type_text(o.type);
      if (o.type == config::ValueType::choice) type = o.choices;
      if ((o.type == config::ValueType::integer || o.type == config::ValueType::real) && o.max != 0) {
        char buf[64];
        std::snprintf(buf, sizeof buf, " %g..%g", o.min, o.max);
        type += buf;
      }
      std::printf("  %-24s %s%s%s\n      %s\n", o.key, type.c_str(), o.required ? ", required" : "",
                  o.default_value && *o.default_value ? (std::string(", default ") + o.default_value).c_str() : "",
                  o.help);
    }
    std::printf("\n");
  }
}

// Held (flock) while the daemon runs: a second daemon on the same box fails.
int lock_pidfile(const std::string& path, std::string& why) {
  size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    std::string dir = path.substr(0, slash);
    for (size_t p = 1; p <= dir.size(); ++p)
      if (p == dir.size() || dir[p] == '/') ::mkdir(dir.substr(0, p).c_str(), 0755);
  }
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    why = path + ": " + std::strerror(errno);
    return -1;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    why = path + " is locked: another tg-controld is running";
    ::close(fd);
    return -1;
  }
  std::string pid = std::to_string(getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::write(fd, pid.data(), pid.size()) != ssize_t(pid.size())) {
    why = path + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path, socket_path, state_dir, shm_prefix, log_to, pidfile, board_dir;
  std::vector<std::string> sets;
  po::options_description desc("tg-controld: TrunkGuard control daemon\nOptions");
  desc.add_options()("help,h", "this text")("version", "print the version")(
      "config,c", po::value(&config_path)->default_value("/etc/trunkguard/trunkguard.conf"), "configuration file")(
      "set", po::value(&sets)->composing(), "override one option: SECTION.KEY=VALUE (repeatable)")(
      "socket", po::value(&socket_path), "management socket (overrides box.mgmt_socket)")(
      "state-dir", po::value(&state_dir), "state directory (overrides box.state_dir)")(
      "pidfile", po::value(&pidfile), "pid file (overrides box.pidfile)")(
      "log", po::value(&log_to), "stderr or syslog (overrides box.log)")(
      "shm-prefix", po::value(&shm_prefix)->default_value("/trunkguard"), "fast path shared-memory name prefix")(
      "board", po::value(&board_dir)->default_value("/etc/trunkguard/board"),
      "board directory (its ports file: the links watched, the taps routed; as tg-dataplane's --board)")(
      "check", "validate the configuration, print the errors and exit (0 = valid)")(
      "help-config", "print every configuration option with type, range and default");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "tg-controld: %s (try --help)\n", e.what());
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (vm.count("version")) {
    std::printf("tg-controld %s\n", TG_VERSION);
    return 0;
  }
  if (vm.count("help-config")) {
    print_schema();
    return 0;
  }
  std::vector<config::Override> overrides;
  for (const auto& s : sets) {
    config::Override o;
    std::string why;
    if (!config::parse_override(s, o, why)) {
      std::fprintf(stderr, "tg-controld: --set %s: %s\n", s.c_str(), why.c_str());
      return 2;
    }
    overrides.push_back(o);
  }
  if (!socket_path.empty()) overrides.push_back({"box", "mgmt_socket", socket_path});
  if (!state_dir.empty()) overrides.push_back({"box", "state_dir", state_dir});
  if (!pidfile.empty()) overrides.push_back({"box", "pidfile", pidfile});
  if (!log_to.empty()) overrides.push_back({"box", "log", log_to});

  if (vm.count("check")) {
    auto r = config::load_config_file(config_path, overrides);
    if (!r.ok()) {
      std::fputs(r.error_text().c_str(), stderr);
      std::fprintf(stderr, "%s: %zu error(s), configuration rejected\n", config_path.c_str(), r.errors.size());
      return 1;
    }
    std::printf("%s: valid\n", config_path.c_str());
    return 0;
  }

  controld::Logger log;
  config::ConfigStore store;
  auto loaded = store.open({config_path, "", overrides});
  // A file rejected at boot: the box still runs — probing, alarms, the
  // console — on the last good committed configuration (or the factory
  // defaults), and says so with config_rejected. The file is rejected whole;
  // nothing of it is used. (Error texts never quote a secret's value.)
  std::string rejected_at_boot;
  if (!loaded.ok()) {
    std::string source;
    auto fallback = store.open_last_good({config_path, "", overrides}, source);
    std::fputs(loaded.error_text().c_str(), stderr);
    rejected_at_boot = config_path + " rejected at start (" + std::to_string(loaded.errors.size()) +
                       " errors, first: " + loaded.errors.front().str() + "); running on " + source;
    std::fprintf(stderr, "tg-controld: %s\n", rejected_at_boot.c_str());
    if (!fallback.ok()) {
      std::fputs(fallback.error_text().c_str(), stderr);
      std::fprintf(stderr, "tg-controld: no configuration to run on, not starting\n");
      log.to_syslog("tg-controld", LOG_DAEMON);
      log(LOG_ERR, config_path + ": configuration rejected, no last good one, not starting; first: " +
                       loaded.errors.front().str());
      return 1;
    }
  }
  const config::Config& cfg = store.running();
  if (cfg.box.log == "syslog") log.to_syslog("tg-controld", controld::facility_from_name(cfg.syslog.facility));
  log.set_level(cfg.box.log_level);

  std::string why;
  int pid_fd = lock_pidfile(cfg.box.pidfile, why);
  if (pid_fd < 0) {
    log(LOG_ERR, why);
    std::fprintf(stderr, "tg-controld: %s\n", why.c_str());
    return 1;
  }
  const std::string pid_path = cfg.box.pidfile;

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  int sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

  controld::ShmFastPath fastpath(shm_prefix);
  controld::Controller controller(store, fastpath, controld::Clock::system(),
                                  [&log](int p, const std::string& m) { log(p, m); });
  controller.version = TG_VERSION;
  // Packet capture: the fast path's capture ring into pcap files ([capture]).
  controld::CaptureWriter capture_writer(
      api::capture_shm_name(shm_prefix),
      {cfg.capture.dir, uint64_t(cfg.capture.max_packets), uint64_t(cfg.capture.max_mb) << 20,
       uint32_t(cfg.capture.max_duration_s)});
  controller.capture_writer = &capture_writer;
  // Alarms, event store, notifications: each part that cannot be set up is
  // logged and its console commands say "not available" with the reason.
  controld::Services services(fastpath, controld::Clock::system().wall_ms,
                              [&log](int p, const std::string& m) { log(p, m); });
  services.open(store.running());
  services.install(controller);
  if (!rejected_at_boot.empty()) {
    log(LOG_ERR, rejected_at_boot);
    if (controller.hooks.on_config_rejected) controller.hooks.on_config_rejected(rejected_at_boot);
  }
  // SIP OPTIONS to every trunk over each of its uplinks (sofia-sip).
  controld::TrunkProbing trunk_probing([&log](int p, const std::string& m) { log(p, m); });
  trunk_probing.open(store.running());
  trunk_probing.install(controller, services.alarm_service() ? &services.alarm_service()->alarms() : nullptr);
  // Per-call records: CDR store and export, trunk ASR/SEER/ISA/busy, show calls, diagnose call.
  controld::ShmCallFeed call_feed(shm_prefix, fastpath);
  controld::CallRecords call_records(call_feed, controld::Clock::system(),
                                     [&log](int p, const std::string& m) { log(p, m); });
  if (auto* svc = services.alarm_service()) {
    call_records.set_store(&svc->event_store());
    call_records.set_alarms(&svc->alarms());
  } else {
    call_records.set_store(nullptr, "the event store is not running: " + services.error());
  }
  call_records.set_stats_source([&fastpath](api::StatsBody& b) { return fastpath.attached() && fastpath.read_stats(b); });
  call_records.configure(store.running());
  call_records.install(controller);

  // Kernel side (netlink): links of every port watched, the taps' routes
  // and rules following the active uplink, the LTE netdev up. Without a
  // board file or netlink the daemon runs on and says why.
  auto netlink = netlink::make_libnl_netlink();
  controld::KernelSync kernel_sync(*netlink, fastpath, controld::KernelSync::Clock::system(),
                                   [&log](int p, const std::string& m) { log(p, m); });
  {
    board::Board board;
    if (!board::load_board(board_dir + "/ports", board, why))
      log(LOG_WARNING, "kernel links and routes not managed: " + why);
    else if (kernel_sync.open(board, store.running()))
      kernel_sync.install(controller, services.alarm_service());
  }

  mgmt::Server server;
  const std::string socket_at = cfg.box.mgmt_socket;
  if (!server.listen(socket_at, why)) {
    log(LOG_ERR, "management socket: " + why);
    std::fprintf(stderr, "tg-controld: management socket: %s\n", why.c_str());
    ::unlink(pid_path.c_str());
    return 1;
  }
  auto set_policy = [&] {
    const auto& box = store.running().box;
    server.set_policy(mgmt::AccessPolicy::resolve(box.admin_group, box.operator_group));
    if (!server.policy().admin_gid_known)
      log(LOG_WARNING, "admin group '" + box.admin_group + "' does not exist: only root has admin access");
    if (box.mgmt_socket != socket_at || box.pidfile != pid_path)
      log(LOG_NOTICE, "box.mgmt_socket / box.pidfile changes take effect at the next start");
  };
  set_policy();
  controller.on_policy_change = set_policy;
  server.set_handler([&](const mgmt::Peer& p, mgmt::Role r, std::string_view line) {
    return controller.handle(p, r, line);
  });
  // Commands that wait (fast-path verdicts, OPTIONS tests) answer later;
  // the loop serves the console meanwhile.
  controller.defer_answer = [&server]() -> controld::Controller::Answer {
    mgmt::Server::Reply reply = server.defer();
    if (!reply) return nullptr;
    return [reply](const std::string& line) { reply(line); };
  };
  if (kernel_sync.event_fd() >= 0) server.watch(kernel_sync.event_fd(), [&] { kernel_sync.on_readable(); });
  bool stop = false;
  server.watch(sig_fd, [&] {
    signalfd_siginfo si;
    while (::read(sig_fd, &si, sizeof si) == ssize_t(sizeof si)) {
      if (si.ssi_signo == SIGHUP) {
        log(LOG_NOTICE, "SIGHUP: re-reading " + config_path);
        controller.reload();
      } else {
        log(LOG_NOTICE, std::string("received ") + strsignal(int(si.ssi_signo)) + ", stopping");
        stop = true;
      }
    }
  });

  log(LOG_NOTICE, std::string("started ") + TG_VERSION + ", config " + config_path + ", socket " + socket_at);
  controller.tick();
  // systemd (Type=notify, WatchdogSec=): ready once the socket serves; kicked
  // by the event loop below, so a loop that stops turning gets restarted.
  drivers::ServiceNotifier service;
  service.ready("serving " + socket_at);
  if (!fastpath.attached()) log(LOG_NOTICE, "fast path " + fastpath.status() + "; will attach when it starts");
  // 10 ms rounds: fast-path events (failovers) are logged and handed on
  // within one round; the management socket wakes the loop immediately.
  while (!stop) {
    if (!server.run_once(10)) {
      log(LOG_ERR, std::string("poll: ") + std::strerror(errno));
      break;
    }
    controller.tick();
    services.tick();
    trunk_probing.tick();
    call_records.tick();
    kernel_sync.tick();
    service.kick(uint64_t(std::chrono::nanoseconds(std::chrono::steady_clock::now().time_since_epoch()).count()));
  }
  service.stopping();
  server.close();
  ::unlink(pid_path.c_str());
  ::close(pid_fd);
  log(LOG_NOTICE, "stopped");
  return 0;
}
