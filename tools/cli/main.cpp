// tg-cli: the technician's console. Login shell on the serial console (via
// getty), a command on any terminal, or one-shot: tg-cli -c "show uplinks".
// It talks to tg-controld over the management socket; when the daemon is
// down it says so plainly and still shows what the fast path publishes in
// shared memory (uplinks, counters).
#include <poll.h>
#include <pwd.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "control/diagnose/call_view.hpp"
#include "control/diagnose/diagnose.hpp"
#include "control/mgmt/client.hpp"
#include "dataplane/api/call_export.hpp"
#include "dataplane/api/channels.hpp"
#include "dataplane/api/uplink.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/line_editor.hpp"
#include "tools/cli/render.hpp"

namespace po = boost::program_options;
using namespace tg::cli;

namespace {

constexpr const char* kDefaultSocket = "/run/trunkguard/mgmt.sock";

struct Options {
  std::string socket = kDefaultSocket;
  std::string shm_prefix = "/trunkguard";
  std::string command;
  bool json = false;
  bool pager = true;
};

// Exit codes for one-shot use in scripts.
enum Exit { kOk = 0, kFailed = 1, kBadCommand = 2, kDaemonDown = 3 };

struct Reply {
  bool transport_ok = false;  // the daemon answered
  std::string transport_error;
  bool ok = false;
  OrderedJson result;
  std::string error_code, error_message;
  std::vector<std::string> details;
};

class Session {
 public:
  explicit Session(Options o) : opt_(std::move(o)) {}

  Reply call(const std::string& cmd, const tg::mgmt::Json& args) {
    Reply r;
    if (!client_.connected() && !client_.connect(opt_.socket, r.transport_error, 2000)) return r;
    std::string line, why;
    // Above the longest answer the daemon may owe: `test trunk` waits up to
    // options_timeout_ms (32 s at most) + 0.5 s.
    if (!client_.raw(tg::mgmt::request_line(next_id_++, cmd, args), line, why, 40000)) {
      r.transport_error = why;
      client_.close();
      return r;
    }
    OrderedJson j = OrderedJson::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      r.transport_error = "the daemon sent something that is not JSON";
      return r;
    }
    r.transport_ok = true;
    r.ok = j.value("ok", false);
    if (r.ok) {
      r.result = j.contains("result") ? j["result"] : OrderedJson::object();
    } else if (j.contains("error") && j["error"].is_object()) {
      auto& e = j["error"];
      r.error_code = e.value("code", "error");
      r.error_message = e.value("message", "");
      if (e.contains("details") && e["details"].is_array())
        for (auto& d : e["details"]) r.details.push_back(d.is_string() ? d.get<std::string>() : d.dump());
    }
    return r;
  }

  // Facts the fast path publishes, for when the daemon cannot answer.
  bool fastpath_facts(const std::string& request, const tg::mgmt::Json& args, OrderedJson& out, std::string& why) {
    // The fast path only copies packets; the daemon turns them into a file.
    if (request.rfind("capture.", 0) == 0 || request == "show.capture")
      return why = "capture needs tg-controld: it writes the pcap file (start the daemon, then capture again)", false;
    tg::api::StatsReader reader;
    auto names = tg::api::ChannelNames::with_prefix(opt_.shm_prefix);
    if (!reader.open(names.stats, why)) return false;
    tg::api::StatsBody b{};
    if (!reader.read(b)) return why = "the fast path kept its statistics busy", false;
    if (request == "show.uplinks") {
      OrderedJson ups = OrderedJson::array();
      for (int i = 0; i < b.uplink_count && i < int(tg::api::kMaxUplinks); ++i) {
        auto& u = b.uplinks[i];
        char loss[16], rtt[16], jit[16];
        std::snprintf(loss, sizeof loss, "%.2f", double(u.probe.loss_ppm) / 1e4);
        std::snprintf(rtt, sizeof rtt, "%.1f", double(u.probe.rtt_avg_us) / 1e3);
        std::snprintf(jit, sizeof jit, "%.1f", double(u.probe.jitter_us) / 1e3);
        char mos[16];
        std::snprintf(mos, sizeof mos, "%.2f", double(u.media.mos_avg_x100) / 100.0);
        ups.push_back({{"uplink", std::string(u.name, strnlen(u.name, sizeof u.name))},
                       {"active", b.active_uplink == i ? "*" : ""},
                       {"state", tg::api::uplink_state_name(u.state)},
                       {"link", u.link_up ? "up" : "down"},
                       {"rtt_ms", rtt},
                       {"loss_pct", loss},
                       {"jitter_ms", jit},
                       {"mos", u.media.rated ? mos : "-"},
                       {"calls", u.active_calls},
                       {"flaps", u.flaps_total}});
      }
      out = {{"source", "fast path (tg-controld is not answering)"},
             {"mode", b.forced_uplink == tg::api::kNoUplink ? "auto" : "forced"},
             {"switches", b.switches_total},
             {"uplinks", ups}};
      return true;
    }
    if (request == "show.counters" || request == "show.interfaces") {
      OrderedJson ups = OrderedJson::array();
      for (int i = 0; i < b.uplink_count && i < int(tg::api::kMaxUplinks); ++i) {
        auto& u = b.uplinks[i];
        ups.push_back({{"uplink", std::string(u.name, strnlen(u.name, sizeof u.name))},
                       {"rx_packets", u.rx_packets},
                       {"tx_packets", u.tx_packets},
                       {"rx_bytes", u.rx_bytes},
                       {"tx_bytes", u.tx_bytes},
                       {"streams", u.active_streams}});
      }
      out = {{"source", "fast path (tg-controld is not answering)"},
             {"switches", b.switches_total},
             {"events_dropped", b.events_dropped},
             {"uplinks", ups}};
      return true;
    }
    if (request == "show.calls" || request == "diagnose.call") return live_call_facts(request, args, b, out, why);
    why = "only uplinks, counters and live calls are published by the fast path";
    return false;
  }

  // show calls / diagnose call from the fast path's live-calls table.
  bool live_call_facts(const std::string& request, const tg::mgmt::Json& args, const tg::api::StatsBody& b,
                       OrderedJson& out, std::string& why) {
    tg::api::LiveCallsReader reader;
    auto names = tg::api::ChannelNames::with_prefix(opt_.shm_prefix);
    if (!reader.open(names.calls, why)) return false;
    std::vector<tg::api::CallRecordWire> live;
    tg::api::LiveCallsInfo info;
    if (!reader.read(live, &info)) return why = "the fast path kept its live-calls table busy", false;
    tg::diag::ViewContext v;
    v.trunk_name = [&b](uint8_t i) {
      return i < b.trunk_count && i < tg::api::kMaxTrunks
                 ? std::string(b.trunks[i].name, strnlen(b.trunks[i].name, sizeof b.trunks[i].name))
                 : std::string();
    };
    v.uplink_name = [&b](uint8_t i) {
      return i < b.uplink_count && i < tg::api::kMaxUplinks
                 ? std::string(b.uplinks[i].name, strnlen(b.uplinks[i].name, sizeof b.uplinks[i].name))
                 : std::string();
    };
    v.now_ns = info.updated_ns;  // the records' clock is the fast path's, not ours
    if (info.publish_count == 0) return why = "the fast path has not published its live calls yet", false;
    std::sort(live.begin(), live.end(), [](const auto& a, const auto& c) { return a.invite_ns < c.invite_ns; });
    const std::string source = "fast path live table; tg-controld is not answering";
    if (request == "show.calls") {
      OrderedJson list = OrderedJson::array();
      for (const auto& r : live) list.push_back(OrderedJson::parse(tg::diag::call_json(r, v).dump()));
      out = {{"calls", list}, {"count", live.size()}, {"source", source}};
      return true;
    }
    std::string id = args.value("call_id", "");
    id = id.substr(0, sizeof(tg::api::CallRecordWire::call_id) - 1);
    for (const auto& r : live) {
      if (std::string(r.call_id, strnlen(r.call_id, sizeof r.call_id)) != id) continue;
      tg::diag::Options o;
      o.now_ns = v.now_ns;
      tg::diag::Diagnosis d = tg::diag::diagnose(r, o);
      out = OrderedJson::parse(tg::diag::diagnosis_json(d, &r, v).dump());
      out["source"] = source;
      return true;
    }
    why = "no live call '" + id + "'; finished calls are in the store (tg-store --db PATH export calls)";
    return false;
  }
  bool fastpath_facts(const std::string& request, OrderedJson& out, std::string& why) {
    return fastpath_facts(request, tg::mgmt::Json::object(), out, why);
  }

  std::string hostname() {
    Reply r = call("show.version", tg::mgmt::Json::object());
    for (const char* k : {"box", "name"})
      if (r.ok && r.result.contains(k) && r.result[k].is_string()) return r.result[k];
    char h[64] = "trunkguard";
    gethostname(h, sizeof h - 1);
    return h;
  }

  const Options& options() const { return opt_; }

 private:
  Options opt_;
  tg::mgmt::Client client_;
  uint64_t next_id_ = 1;
};

void split_into(const std::string& text, std::vector<std::string>& out) {
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string l = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (!l.empty() && l.back() == '\r') l.pop_back();
    out.push_back(l);
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
}

// A result as text: the commands with their own layout, the rest generic.
void render_result(const std::string& request, const OrderedJson& result, std::vector<std::string>& out) {
  std::vector<std::string> lines = request == "show.calls"      ? render_calls(result)
                                   : request == "diagnose.call" ? render_diagnosis(result)
                                                                : render(result);
  out.insert(out.end(), lines.begin(), lines.end());
}

// Runs one parsed command; prints to `out`. Returns an Exit code.
int execute(Session& s, const Parsed& p, std::vector<std::string>& out, bool json) {
  tg::mgmt::Json args = tg::mgmt::Json::parse(p.args.dump());
  Reply r = s.call(p.request, args);
  if (!r.transport_ok) {
    out.push_back("% tg-controld is not answering (" + s.options().socket + ": " + r.transport_error + ")");
    OrderedJson facts;
    std::string why;
    if (s.fastpath_facts(p.request, args, facts, why)) {
      if (json) out.push_back(facts.dump(2));
      else render_result(p.request, facts, out);
      return kDaemonDown;
    }
    out.push_back(why.rfind("capture needs", 0) == 0 ? "% " + why : "% and the fast path cannot tell either: " + why);
    return kDaemonDown;
  }
  if (!r.ok) {
    out.push_back("% " + (r.error_message.empty() ? r.error_code : r.error_message));
    for (auto& d : r.details) out.push_back("  " + d);
    return kFailed;
  }
  if (p.request == "export.calls" && r.result.contains("data") && r.result["data"].is_string()) {
    // The export itself (CSV or JSON), not a rendering of it.
    split_into(r.result["data"].get<std::string>(), out);
    if (r.result.value("more", false))
      out.push_back("% more records than one answer holds: export again with 'since' after the last one");
    return kOk;
  }
  if (json) {
    std::string dumped = r.result.dump(2);
    size_t start = 0;
    while (start < dumped.size()) {
      size_t nl = dumped.find('\n', start);
      out.push_back(dumped.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
  } else {
    render_result(p.request, r.result, out);
  }
  return kOk;
}

struct Terminal {
  bool raw = false;
  termios saved{};
  bool enter_raw() {
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved) != 0) return false;
    termios t = saved;
    t.c_lflag &= ~(ICANON | ECHO | ISIG | IEXTEN);
    t.c_iflag &= ~(IXON | ICRNL | INLCR);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
    return raw;
  }
  void leave() {
    if (raw) tcsetattr(STDIN_FILENO, TCSANOW, &saved), raw = false;
  }
  ~Terminal() { leave(); }
};

size_t terminal_rows() {
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 2) return ws.ws_row;
  return 24;  // a serial line says nothing: assume the classic screen
}

void write_all(const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(STDOUT_FILENO, s.data() + off, s.size() - off);
    if (n <= 0) return;
    off += size_t(n);
  }
}

// Pages long output on an interactive terminal: space a page, Enter a line,
// q stops. Lines are written with CRLF (the terminal is in raw mode).
void page(const std::vector<std::string>& lines, bool interactive, bool pager) {
  size_t rows = terminal_rows() - 1;
  size_t shown = 0, budget = rows;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (interactive && pager && shown == budget) {
      write_all("--More-- ");
      char c = 0;
      if (::read(STDIN_FILENO, &c, 1) != 1) c = 'q';
      write_all("\r\x1b[K");
      if (c == 'q' || c == 'Q' || c == 0x03) return;
      budget = shown + (c == '\r' || c == '\n' ? 1 : rows);
    }
    write_all(lines[i] + (interactive ? "\r\n" : "\n"));
    ++shown;
  }
}

std::string history_path() {
  const char* home = getenv("HOME");
  if (!home || !*home) {
    passwd* pw = getpwuid(getuid());
    home = pw ? pw->pw_dir : nullptr;
  }
  return home ? std::string(home) + "/.tg_cli_history" : "";
}

int one_shot(Session& s, const std::string& line, bool json) {
  Parsed p = parse(line, Mode::exec);
  if (!p.ok) {
    std::cerr << line << "\n";
    for (auto& l : error_lines(line, p.error_pos, p.error, 0)) std::cerr << l << "\n";
    return kBadCommand;
  }
  std::vector<std::string> out;
  int rc = kOk;
  if (p.local == Local::help) {
    for (auto& c : all_commands(Mode::exec)) out.push_back(format_choices({c}).substr(0, format_choices({c}).size() - 2));
  } else if (p.local != Local::none) {
    std::cerr << "% '" << p.canonical << "' only makes sense in an interactive session\n";
    return kBadCommand;
  } else {
    rc = execute(s, p, out, json);
  }
  if (rc == kOk || rc == kDaemonDown) out = apply_filters(out, p.filters);
  for (auto& l : out) (rc == kOk || rc == kDaemonDown ? std::cout : std::cerr) << l << "\n";
  return rc;
}

int interactive(Session& s) {
  Terminal term;
  bool tty = term.enter_raw();
  Mode mode = Mode::exec;
  LineEditor ed([&](std::string_view l) { return help_at(l, mode); },
                [&](std::string_view l, std::vector<Choice>& c) { return complete(l, mode, c); });
  std::string hist = history_path();
  if (!hist.empty()) {
    std::ifstream in(hist);
    for (std::string l; std::getline(in, l);) ed.remember(l);
  }
  std::string host = s.hostname();
  if (tty) write_all("TrunkGuard console. '?' lists what you may type, Tab completes, 'help' lists all.\r\n");
  int last = kOk;
  for (;;) {
    std::string prompt = host + (mode == Mode::configure ? "(config)# " : "> ");
    std::string line;
    if (tty) {
      std::string out;
      ed.begin(prompt, out);
      write_all(out);
      LineEditor::Status st = LineEditor::Status::editing;
      while (st == LineEditor::Status::editing) {
        char c;
        if (::read(STDIN_FILENO, &c, 1) != 1) {
          st = LineEditor::Status::eof;
          break;
        }
        out.clear();
        st = ed.feed(c, out);
        write_all(out);
      }
      if (st == LineEditor::Status::eof) break;
      if (st == LineEditor::Status::cancelled) continue;
      line = ed.line();
    } else {
      std::cout << prompt << std::flush;
      if (!std::getline(std::cin, line)) break;
    }
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    ed.remember(line);
    Parsed p = parse(line, mode);
    std::vector<std::string> out;
    if (!p.ok) {
      out = error_lines(line, p.error_pos, p.error, prompt.size());
      last = kBadCommand;
    } else if (p.local == Local::quit) {
      break;
    } else if (p.local == Local::help) {
      std::string text = format_choices(all_commands(mode));
      size_t start = 0;
      while (start < text.size()) {
        size_t nl = text.find("\r\n", start);
        out.push_back(text.substr(start, nl - start));
        start = nl + 2;
      }
    } else if (p.local == Local::enter_configure) {
      mode = Mode::configure;
      out.push_back("Editing the candidate. 'show config diff' shows changes, 'commit' applies, 'end' leaves.");
    } else if (p.local == Local::leave_configure) {
      mode = Mode::exec;
    } else {
      last = execute(s, p, out, false);
      if (last == kOk || last == kDaemonDown) out = apply_filters(out, p.filters);
    }
    page(out, tty, s.options().pager);
  }
  if (!hist.empty()) {
    std::ofstream o(hist, std::ios::trunc);
    for (auto& l : ed.history()) o << l << "\n";
  }
  return last == kBadCommand ? kOk : last;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (const char* env = getenv("TG_MGMT_SOCKET")) o.socket = env;
  po::options_description desc(
      "tg-cli: TrunkGuard console\n"
      "  tg-cli                      interactive (serial console, any terminal)\n"
      "  tg-cli -c \"show uplinks\"    one command, then exit (scripts: add --json)\nOptions");
  std::vector<std::string> words;
  std::string since;
  bool csv = false;
  desc.add_options()("help,h", "this help")
      ("command,c", po::value(&o.command), "run one command and exit")
      ("csv", po::bool_switch(&csv), "export calls: CSV (the default; --json for JSON)")
      ("since", po::value(&since), "export calls: from this time (15m, 2h, 1d ago, or 2026-11-23T10:00:00Z)")
      ("json", po::bool_switch(&o.json), "with -c: the daemon's answer as JSON")
      ("socket", po::value(&o.socket), "management socket (default /run/trunkguard/mgmt.sock, or $TG_MGMT_SOCKET)")
      ("shm-prefix", po::value(&o.shm_prefix), "fast path shared memory prefix (default /trunkguard)")
      ("no-pager", "do not page long output");
  po::variables_map vm;
  try {
    po::options_description hidden;
    hidden.add_options()("words", po::value(&words)->multitoken());
    po::options_description all;
    all.add(desc).add(hidden);
    po::positional_options_description pos;
    pos.add("words", -1);
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    if (vm.count("help")) return std::cout << desc << "\n", 0;
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "tg-cli: " << e.what() << "\n" << desc << "\n";
    return kBadCommand;
  }
  o.pager = !vm.count("no-pager");
  // "tg-cli export calls --csv --since 1h", "tg-cli show calls": the words
  // are the command (as with -c).
  if (!words.empty()) {
    if (!o.command.empty()) {
      std::cerr << "tg-cli: give the command either with -c or as words, not both\n";
      return kBadCommand;
    }
    for (auto& w : words) o.command += (o.command.empty() ? "" : " ") + w;
    if (words.size() == 2 && words[0] == "export" && words[1] == "calls") {
      o.command += o.json ? " json" : " csv";
      if (!since.empty()) o.command += " since " + since;
    }
  }
  if ((csv || !since.empty()) && o.command.rfind("export calls", 0) != 0) {
    std::cerr << "tg-cli: --csv and --since go with 'export calls'\n";
    return kBadCommand;
  }
  Session s(o);
  if (!o.command.empty()) return one_shot(s, o.command, o.json);
  return interactive(s);
}
