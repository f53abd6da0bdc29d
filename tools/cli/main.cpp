// tg-cli: the technician's console. Interactive on a terminal (serial
// console via getty, or any tty): router-style commands, abbreviations, '?'
// help, TAB completion, history, paging, no colors. One-shot for scripts:
//   tg-cli -c "show uplinks" [--json]
// Talks to tg-controld's management socket; when the daemon is down it says
// so plainly and still shows what the fast path publishes in shared memory.
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "control/daemon/stats_json.hpp"
#include "control/mgmt/client.hpp"
#include "dataplane/ipc/channels.hpp"
#include "tools/cli/cli.hpp"
#include "tools/cli/line_editor.hpp"

namespace po = boost::program_options;
using namespace tg;

namespace {

class SocketBackend : public cli::Backend {
 public:
  SocketBackend(std::string path, std::string shm_prefix) : path_(std::move(path)), shm_prefix_(std::move(shm_prefix)) {}

  bool call(const std::string& cmd, const mgmt::Json& args, mgmt::Json& resp, std::string& why) override {
    // One reconnect: the daemon may have restarted since the last command.
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!client_.connected() && !client_.connect(path_, why)) {
        why = explain(why);
        return false;
      }
      if (client_.call(cmd, args, resp, why)) return true;
    }
    why = explain(why);
    return false;
  }
  bool fastpath_uplinks(mgmt::Json& out, std::string& why) override {
    ipc::StatsBody* s = read(why);
    if (!s) return false;
    out = controld::uplinks_from_stats(*s, now_ns());
    return true;
  }
  bool fastpath_counters(mgmt::Json& out, std::string& why) override {
    ipc::StatsBody* s = read(why);
    if (!s) return false;
    out = controld::counters_from_stats(*s);
    return true;
  }

 private:
  std::string explain(const std::string& why) const {
    if (why.find("No such file") != std::string::npos || why.find("Connection refused") != std::string::npos)
      return "tg-controld is not running (" + why + ")";
    return why;
  }
  static uint64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
  }
  ipc::StatsBody* read(std::string& why) {
    ipc::StatsReader reader;
    if (!reader.open(ipc::ChannelNames::with_prefix(shm_prefix_).stats, why)) return nullptr;
    if (!reader.read(body_)) {
      why = "fast path kept its stats busy";
      return nullptr;
    }
    return &body_;
  }
  std::string path_, shm_prefix_;
  mgmt::Client client_;
  ipc::StatsBody body_{};
};

void write_all(const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(STDOUT_FILENO, s.data() + done, s.size() - done);
    if (n <= 0) return;
    done += size_t(n);
  }
}

// Shows text a page at a time: SPACE next page, ENTER one more line, q stops.
void page(const std::string& text, int rows, bool interactive) {
  if (!interactive || rows <= 0) {
    write_all(text);
    return;
  }
  int per_page = rows - 1;
  int shown = 0;
  size_t pos = 0;
  termios saved{}, raw{};
  bool have_tty = tcgetattr(STDIN_FILENO, &saved) == 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string::npos ? text.size() : nl + 1;
    write_all(text.substr(pos, end - pos));
    pos = end;
    if (++shown < per_page || pos >= text.size() || !have_tty) continue;
    write_all("--More-- ");
    raw = saved;
    raw.c_lflag &= ~tcflag_t(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    char c = 'q';
    if (::read(STDIN_FILENO, &c, 1) != 1) c = 'q';
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    write_all("\r\x1b[K");
    if (c == 'q' || c == 'Q' || c == 3) break;
    shown = (c == '\r' || c == '\n') ? per_page - 1 : 0;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> commands;
  std::string socket_path, shm_prefix;
  po::options_description desc(
      "tg-cli: TrunkGuard console\n"
      "Interactive on a terminal; '?' lists what may come next, TAB completes.\nOptions");
  desc.add_options()("help,h", "this text")("command,c", po::value(&commands)->composing(),
                                            "run this command and exit (repeatable); exit status 0 ok, 1 failed, "
                                            "2 bad input, 3 daemon down")(
      "json", "show commands print the daemon's JSON")(
      "socket", po::value(&socket_path), "management socket (default $TG_MGMT_SOCKET or /run/trunkguard/mgmt.sock)")(
      "shm-prefix", po::value(&shm_prefix)->default_value("/trunkguard"), "fast path shared-memory prefix");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "tg-cli: %s (try --help)\n", e.what());
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (socket_path.empty()) {
    const char* env = std::getenv("TG_MGMT_SOCKET");
    socket_path = env && *env ? env : "/run/trunkguard/mgmt.sock";
  }
  SocketBackend backend(socket_path, shm_prefix);
  cli::Cli cli(backend);
  cli.json = vm.count("json") > 0;

  if (!commands.empty()) {
    int status = 0;
    for (const auto& c : commands) {
      std::string out;
      status = cli.execute(c, out);
      write_all(out);
      if (status != 0) break;
    }
    return status;
  }

  bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
  winsize ws{};
  int rows = 24, cols = 80;
  if (tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
    rows = ws.ws_row;
    cols = ws.ws_col;
  }
  cli.page_lines = tty ? rows : 0;
  {
    mgmt::Json resp;
    std::string why;
    if (backend.call("show.version", mgmt::Json::object(), resp, why) && resp.value("ok", false))
      cli.hostname = resp["result"].value("box", "tg");
    else if (tty)
      write_all("% " + why + "\n% read-only fast path figures are still shown by show uplinks / show counters\n");
  }
  cli::LineEditor editor(STDIN_FILENO, STDOUT_FILENO);
  editor.set_width(cols);
  editor.set_complete([&](const std::string& line, std::string& listing) { return cli.complete(line, listing); });
  editor.set_help([&](const std::string& line) { return cli.help(line); });
  cli.history_source = [&] { return editor.history(); };
  std::string hist_path;
  if (const char* home = std::getenv("HOME"); tty && home && *home) {
    hist_path = std::string(home) + "/.tg_cli_history";
    editor.load_history(hist_path);
  }
  int status = 0;
  while (!cli.quit) {
    std::string line;
    auto r = editor.read_line(tty ? cli.prompt() : "", line);
    if (r == cli::LineEditor::Result::eof) {
      if (!cli.in_config_mode()) break;
      std::string out;
      cli.execute("exit", out);  // Ctrl-D leaves config mode first
      write_all(out);
      continue;
    }
    if (r == cli::LineEditor::Result::interrupted) continue;
    editor.add_history(line);
    std::string out;
    status = cli.execute(line, out);
    page(out, cli.page_lines, tty);
  }
  if (!hist_path.empty()) editor.save_history(hist_path);
  return tty ? 0 : status;
}
