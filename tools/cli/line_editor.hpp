// Line editing for the console, as a byte-fed state machine (so tests drive
// it without a terminal): VT100 keys only (arrows, Home/End, Delete), emacs
// control keys, history, `?` help and Tab completion through hooks. The
// owner writes `out` to the terminal after each feed().
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/cli/commands.hpp"

namespace tg::cli {

class LineEditor {
 public:
  enum class Status { editing, done, cancelled, eof };
  using HelpHook = std::function<std::vector<Choice>(std::string_view line)>;
  using CompleteHook = std::function<std::string(std::string_view line, std::vector<Choice>& choices)>;

  LineEditor(HelpHook help, CompleteHook complete) : help_(std::move(help)), complete_(std::move(complete)) {}

  // Starts a new line (prints the prompt into `out`).
  void begin(const std::string& prompt, std::string& out);
  Status feed(char byte, std::string& out);
  const std::string& line() const { return line_; }

  // History: the caller adds accepted lines; bounded.
  void remember(const std::string& line);
  const std::vector<std::string>& history() const { return history_; }
  static constexpr size_t kHistoryMax = 500;

 private:
  void redraw(std::string& out) const;
  void set_line(std::string s, std::string& out);
  void show_choices(const std::vector<Choice>& choices, std::string& out);
  Status key(char c, std::string& out);
  void escape_done(std::string& out);

  HelpHook help_;
  CompleteHook complete_;
  std::string prompt_, line_, draft_, esc_;
  size_t cursor_ = 0;
  bool in_escape_ = false;
  std::vector<std::string> history_;
  size_t hist_pos_ = 0;  // == history_.size(): the line being typed
};

// Choices formatted for the terminal: "  word      help" lines.
std::string format_choices(const std::vector<Choice>& choices);

}  // namespace tg::cli
