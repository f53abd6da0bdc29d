// A small line editor over termios for the console: works on a plain serial
// terminal (VT100 subset, no colors, no mouse), keeps the cursor on one
// line (long input scrolls horizontally inside the terminal width), history
// with up/down, emacs keys, and two hooks the router-style CLI needs: TAB
// completes, '?' shows help immediately without consuming the line.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace tg::cli {

class LineEditor {
 public:
  enum class Result { line, eof, interrupted };

  // Returns the replacement line (completion) and may print a list; the
  // editor redraws the prompt and line afterwards.
  using CompleteFn = std::function<std::string(const std::string& line, std::string& listing)>;
  using HelpFn = std::function<std::string(const std::string& line)>;  // text to print

  LineEditor(int in_fd, int out_fd) : in_(in_fd), out_(out_fd) {}
  ~LineEditor() { restore(); }

  void set_complete(CompleteFn f) { complete_ = std::move(f); }
  void set_help(HelpFn f) { help_ = std::move(f); }
  void set_width(int cols) { width_ = cols > 20 ? cols : 80; }

  // Reads one line in raw mode (the terminal is restored before returning).
  Result read_line(const std::string& prompt, std::string& out);

  // Key handling without a terminal (tests): feed bytes, get state.
  void begin(const std::string& prompt);
  // Returns true when the line is finished (Enter, Ctrl-D on empty, Ctrl-C).
  bool feed(char c, Result& result);
  const std::string& buffer() const { return buf_; }
  size_t cursor() const { return pos_; }

  void add_history(const std::string& line);
  const std::vector<std::string>& history() const { return history_; }
  void load_history(const std::string& path);
  void save_history(const std::string& path) const;
  static constexpr size_t kMaxHistory = 500;

 private:
  bool raw();
  void restore();
  void write(const std::string& s);
  void redraw();
  bool handle_escape(Result& r);

  int in_, out_;
  bool raw_ = false;
  struct termios_holder;
  std::vector<unsigned char> saved_;  // struct termios bytes
  CompleteFn complete_;
  HelpFn help_;
  int width_ = 80;
  std::string prompt_, buf_;
  size_t pos_ = 0;
  std::vector<std::string> history_;
  size_t hist_index_ = 0;
  std::string hist_saved_;
  std::string esc_;  // pending escape sequence
};

}  // namespace tg::cli
