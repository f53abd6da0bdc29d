#include "tools/cli/line_editor.hpp"

#include <algorithm>

namespace tg::cli {

std::string format_choices(const std::vector<Choice>& choices) {
  size_t w = 0;
  for (auto& c : choices) w = std::max(w, c.word.size());
  std::string o;
  for (auto& c : choices) o += "  " + c.word + std::string(w - c.word.size() + 2, ' ') + c.help + "\r\n";
  return o;
}

void LineEditor::begin(const std::string& prompt, std::string& out) {
  prompt_ = prompt;
  line_.clear();
  draft_.clear();
  cursor_ = 0;
  in_escape_ = false;
  esc_.clear();
  hist_pos_ = history_.size();
  out += prompt_;
}

void LineEditor::remember(const std::string& line) {
  if (line.empty() || (!history_.empty() && history_.back() == line)) return;
  history_.push_back(line);
  if (history_.size() > kHistoryMax) history_.erase(history_.begin());
}

// Whole-line redraw: CR, prompt, text, clear to end, cursor back. Plain
// VT100, so it works on any serial terminal.
void LineEditor::redraw(std::string& out) const {
  out += "\r" + prompt_ + line_ + "\x1b[K";
  if (cursor_ < line_.size()) out += "\x1b[" + std::to_string(line_.size() - cursor_) + "D";
}

void LineEditor::set_line(std::string s, std::string& out) {
  line_ = std::move(s);
  cursor_ = line_.size();
  redraw(out);
}

void LineEditor::show_choices(const std::vector<Choice>& choices, std::string& out) {
  out += "\r\n";
  out += choices.empty() ? "% no command matches\r\n" : format_choices(choices);
  out += prompt_ + line_;
  if (cursor_ < line_.size()) out += "\x1b[" + std::to_string(line_.size() - cursor_) + "D";
}

LineEditor::Status LineEditor::feed(char byte, std::string& out) {
  if (in_escape_) {
    esc_ += byte;
    // ESC [ A..D / H / F, ESC [ n ~, ESC O H/F: complete when a final byte arrives
    bool final_byte = esc_.size() >= 2 && ((byte >= 'A' && byte <= 'Z') || byte == '~');
    if (esc_.size() == 1 && byte != '[' && byte != 'O') final_byte = true;  // lone ESC + key: drop
    if (final_byte || esc_.size() > 6) {
      escape_done(out);
      in_escape_ = false;
      esc_.clear();
    }
    return Status::editing;
  }
  return key(byte, out);
}

void LineEditor::escape_done(std::string& out) {
  auto history_step = [&](int dir) {
    if (history_.empty()) return;
    if (dir < 0 && hist_pos_ == 0) return;
    if (dir > 0 && hist_pos_ >= history_.size()) return;
    if (hist_pos_ == history_.size()) draft_ = line_;
    hist_pos_ = size_t(int(hist_pos_) + dir);
    set_line(hist_pos_ == history_.size() ? draft_ : history_[hist_pos_], out);
  };
  if (esc_ == "[A") history_step(-1);
  else if (esc_ == "[B") history_step(+1);
  else if (esc_ == "[C") { if (cursor_ < line_.size()) ++cursor_, out += "\x1b[C"; }
  else if (esc_ == "[D") { if (cursor_ > 0) --cursor_, out += "\x1b[D"; }
  else if (esc_ == "[H" || esc_ == "OH" || esc_ == "[1~") cursor_ = 0, redraw(out);
  else if (esc_ == "[F" || esc_ == "OF" || esc_ == "[4~") cursor_ = line_.size(), redraw(out);
  else if (esc_ == "[3~") { if (cursor_ < line_.size()) line_.erase(cursor_, 1), redraw(out); }
}

LineEditor::Status LineEditor::key(char c, std::string& out) {
  switch (c) {
    case '\r':
    case '\n':
      out += "\r\n";
      return Status::done;
    case 0x03:  // Ctrl-C: drop the line
      out += "^C\r\n";
      line_.clear();
      return Status::cancelled;
    case 0x04:  // Ctrl-D: leave on an empty line, else delete under cursor
      if (line_.empty()) {
        out += "\r\n";
        return Status::eof;
      }
      if (cursor_ < line_.size()) line_.erase(cursor_, 1), redraw(out);
      return Status::editing;
    case 0x1b:
      in_escape_ = true;
      esc_.clear();
      return Status::editing;
    case 0x7f:
    case 0x08:
      if (cursor_ > 0) line_.erase(--cursor_, 1), redraw(out);
      return Status::editing;
    case 0x01: cursor_ = 0, redraw(out); return Status::editing;
    case 0x05: cursor_ = line_.size(), redraw(out); return Status::editing;
    case 0x02: if (cursor_ > 0) --cursor_, out += "\x1b[D"; return Status::editing;
    case 0x06: if (cursor_ < line_.size()) ++cursor_, out += "\x1b[C"; return Status::editing;
    case 0x0b: line_.erase(cursor_), redraw(out); return Status::editing;
    case 0x15: line_.erase(0, cursor_), cursor_ = 0, redraw(out); return Status::editing;
    case 0x17: {  // Ctrl-W: the word before the cursor
      size_t s = cursor_;
      while (s > 0 && line_[s - 1] == ' ') --s;
      while (s > 0 && line_[s - 1] != ' ') --s;
      line_.erase(s, cursor_ - s);
      cursor_ = s;
      redraw(out);
      return Status::editing;
    }
    case 0x0c: out += "\x1b[H\x1b[2J", redraw(out); return Status::editing;
    case 0x10: esc_ = "[A"; escape_done(out); esc_.clear(); return Status::editing;
    case 0x0e: esc_ = "[B"; escape_done(out); esc_.clear(); return Status::editing;
    case '\t': {
      std::vector<Choice> choices;
      std::string done = complete_(std::string_view(line_).substr(0, cursor_), choices);
      if (done.size() > cursor_) {
        line_ = done + line_.substr(cursor_);
        cursor_ = done.size();
        redraw(out);
      } else if (!choices.empty()) {
        show_choices(choices, out);
      }
      return Status::editing;
    }
    case '?':
      // Help, not text (router consoles): show what may come here.
      show_choices(help_(std::string_view(line_).substr(0, cursor_)), out);
      return Status::editing;
    default:
      if (static_cast<unsigned char>(c) < 0x20) return Status::editing;  // other controls ignored
      line_.insert(cursor_++, 1, c);
      if (cursor_ == line_.size()) out += c;
      else redraw(out);
      return Status::editing;
  }
}

}  // namespace tg::cli
