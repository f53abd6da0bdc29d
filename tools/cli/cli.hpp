// tg-cli's commands: the router-style grammar wired to the management
// socket, with text formatting for an 80-column terminal and --json output.
// Terminal handling (line editor, pager) lives in main.cpp; this part is
// plain text in, text out, so it is unit-tested with a fake backend.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "control/mgmt/protocol.hpp"
#include "tools/cli/grammar.hpp"

namespace tg::cli {

using mgmt::Json;

class Backend {
 public:
  virtual ~Backend() = default;
  // One request to tg-controld; false + why if it cannot be reached.
  virtual bool call(const std::string& cmd, const Json& args, Json& response, std::string& why) = 0;
  // The fast path's shared-memory figures, read directly (daemon down).
  virtual bool fastpath_uplinks(Json& out, std::string& why) = 0;
  virtual bool fastpath_counters(Json& out, std::string& why) = 0;
};

// Exit statuses of one command (and of `tg-cli -c`).
enum Status { kOk = 0, kCommandFailed = 1, kBadInput = 2, kDaemonDown = 3 };

class Cli {
 public:
  explicit Cli(Backend& backend);
  // Runs one line (with an optional "| include WORD" filter). Output lines
  // end with "\n". Returns a Status.
  int execute(const std::string& line, std::string& out);
  std::string help(const std::string& partial);  // for '?', lines end "\r\n"
  std::string complete(const std::string& partial, std::string& listing);
  std::string prompt() const;
  bool in_config_mode() const { return config_mode_; }

  bool json = false;             // --json: show commands print the daemon's JSON
  bool quit = false;             // "exit" at the top level
  int page_lines = 24;           // "terminal length N"; 0 = no paging
  std::string hostname = "tg";
  std::function<std::vector<std::string>()> history_source;

 private:
  void build();
  void add_show(Node& parent);
  void add_config_verbs(Node& parent);
  void add_exec(Node& root);
  // Sends cmd; formats with fmt, or prints JSON; handles errors.
  int request(const std::string& cmd, const Json& args, const std::function<void(const Json&)>& fmt);
  void say(const std::string& line) { out_ += line + "\n"; }
  std::vector<std::pair<std::string, std::string>> section_candidates();
  std::vector<std::pair<std::string, std::string>> key_candidates(const std::string& section);
  std::vector<std::pair<std::string, std::string>> uplink_candidates();
  std::vector<std::pair<std::string, std::string>> trunk_candidates();

  Backend& backend_;
  Node exec_root_, config_root_;
  bool config_mode_ = false;
  std::string out_;
  int status_ = kOk;
  std::vector<std::string> trunk_cache_;
  bool trunk_cache_valid_ = false;
};

// Formatting helpers (also used by tests).
std::string human_duration(double seconds);  // 45s, 12m03s, 3h12m, 2d04h
std::string fit(const std::string& s, size_t width);  // pad or cut with '~'
// Word-wraps to `width` columns; continuation lines start with `indent`.
std::string wrap(const std::string& text, size_t width, const std::string& indent);

}  // namespace tg::cli
