#include "tools/cli/line_editor.hpp"

#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

namespace tg::cli {

bool LineEditor::raw() {
  termios t{};
  if (::tcgetattr(in_, &t) != 0) return false;
  saved_.assign(reinterpret_cast<unsigned char*>(&t), reinterpret_cast<unsigned char*>(&t) + sizeof t);
  termios r = t;
  r.c_iflag &= ~tcflag_t(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
  r.c_oflag |= OPOST | ONLCR;  // keep "\n" -> "\r\n" for output
  r.c_cflag |= CS8;
  r.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN | ISIG);
  r.c_cc[VMIN] = 1;
  r.c_cc[VTIME] = 0;
  if (::tcsetattr(in_, TCSAFLUSH, &r) != 0) return false;
  raw_ = true;
  return true;
}

void LineEditor::restore() {
  if (!raw_) return;
  termios t{};
  std::memcpy(&t, saved_.data(), sizeof t);
  ::tcsetattr(in_, TCSAFLUSH, &t);
  raw_ = false;
}

void LineEditor::write(const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(out_, s.data() + done, s.size() - done);
    if (n <= 0) return;
    done += size_t(n);
  }
}

// Prompt + the part of the line that fits, cursor placed; long lines scroll
// so the cursor stays visible (a serial terminal may not wrap sanely).
void LineEditor::redraw() {
  size_t avail = size_t(width_) - 1 > prompt_.size() + 8 ? size_t(width_) - 1 - prompt_.size() : 8;
  size_t start = 0;
  if (pos_ > avail - 1) start = pos_ - (avail - 1);
  std::string visible = buf_.substr(start, avail);
  if (start > 0) visible[0] = '<';
  if (start + avail < buf_.size() && !visible.empty()) visible.back() = '>';
  std::string s = "\r" + prompt_ + visible + "\x1b[K";
  size_t back = visible.size() - (pos_ - start);
  if (back > 0) s += "\x1b[" + std::to_string(back) + "D";
  write(s);
}

void LineEditor::begin(const std::string& prompt) {
  prompt_ = prompt;
  buf_.clear();
  pos_ = 0;
  esc_.clear();
  hist_index_ = history_.size();
  hist_saved_.clear();
}

bool LineEditor::handle_escape(Result&) {
  // esc_ holds "\x1b[..." so far; act once complete.
  if (esc_.size() < 2) return false;
  if (esc_[1] != '[' && esc_[1] != 'O') {
    esc_.clear();
    return false;
  }
  char last = esc_.back();
  if (esc_.size() == 2 || (last >= '0' && last <= '9') || last == ';') return false;  // incomplete
  std::string seq = esc_.substr(2);
  esc_.clear();
  auto recall = [&](size_t idx) {
    if (hist_index_ == history_.size()) hist_saved_ = buf_;
    hist_index_ = idx;
    buf_ = idx == history_.size() ? hist_saved_ : history_[idx];
    pos_ = buf_.size();
  };
  if (seq == "A") {
    if (hist_index_ > 0) recall(hist_index_ - 1);
  } else if (seq == "B") {
    if (hist_index_ < history_.size()) recall(hist_index_ + 1);
  } else if (seq == "C") {
    if (pos_ < buf_.size()) ++pos_;
  } else if (seq == "D") {
    if (pos_ > 0) --pos_;
  } else if (seq == "H" || seq == "1~") {
    pos_ = 0;
  } else if (seq == "F" || seq == "4~") {
    pos_ = buf_.size();
  } else if (seq == "3~") {
    if (pos_ < buf_.size()) buf_.erase(pos_, 1);
  }
  redraw();
  return false;
}

bool LineEditor::feed(char c, Result& result) {
  if (!esc_.empty()) {
    esc_ += c;
    return handle_escape(result);
  }
  switch (c) {
    case '\r':
    case '\n':
      write("\r\n");
      result = Result::line;
      return true;
    case 3:  // Ctrl-C: abandon the line
      write("^C\r\n");
      buf_.clear();
      pos_ = 0;
      result = Result::interrupted;
      return true;
    case 4:  // Ctrl-D: end of input on an empty line, else delete
      if (buf_.empty()) {
        write("\r\n");
        result = Result::eof;
        return true;
      }
      if (pos_ < buf_.size()) buf_.erase(pos_, 1);
      break;
    case 127:
    case 8:
      if (pos_ > 0) buf_.erase(--pos_, 1);
      break;
    case 1: pos_ = 0; break;                                // Ctrl-A
    case 5: pos_ = buf_.size(); break;                      // Ctrl-E
    case 2: if (pos_ > 0) --pos_; break;                    // Ctrl-B
    case 6: if (pos_ < buf_.size()) ++pos_; break;          // Ctrl-F
    case 11: buf_.erase(pos_); break;                       // Ctrl-K
    case 21: buf_.erase(0, pos_); pos_ = 0; break;          // Ctrl-U
    case 23: {                                              // Ctrl-W: previous word
      size_t p = pos_;
      while (p > 0 && buf_[p - 1] == ' ') --p;
      while (p > 0 && buf_[p - 1] != ' ') --p;
      buf_.erase(p, pos_ - p);
      pos_ = p;
      break;
    }
    case 12: write("\x1b[H\x1b[2J"); break;                 // Ctrl-L
    case 16: esc_ = "\x1b["; return feed('A', result);      // Ctrl-P
    case 14: esc_ = "\x1b["; return feed('B', result);      // Ctrl-N
    case 27: esc_ = "\x1b"; return false;
    case '\t':
      if (complete_) {
        std::string listing;
        std::string line = complete_(buf_.substr(0, pos_), listing);
        if (!listing.empty()) write("\r\n" + listing);
        buf_ = line + buf_.substr(pos_);
        pos_ = line.size();
      }
      break;
    case '?':
      if (help_) {
        write("?\r\n" + help_(buf_.substr(0, pos_)));
        break;
      }
      [[fallthrough]];
    default:
      if (static_cast<unsigned char>(c) >= 32) {
        buf_.insert(pos_, 1, c);
        ++pos_;
      }
  }
  redraw();
  return false;
}

LineEditor::Result LineEditor::read_line(const std::string& prompt, std::string& out) {
  bool is_raw = raw();
  begin(prompt);
  write(prompt);
  Result result = Result::eof;
  while (true) {
    char c;
    ssize_t n = ::read(in_, &c, 1);
    if (n <= 0) {
      result = Result::eof;
      break;
    }
    if (!is_raw && c == '\n') {  // not a terminal: plain lines
      result = Result::line;
      break;
    }
    if (!is_raw) {
      buf_ += c;
      continue;
    }
    if (feed(c, result)) break;
  }
  restore();
  out = buf_;
  return result;
}

void LineEditor::add_history(const std::string& line) {
  if (line.empty() || (!history_.empty() && history_.back() == line)) return;
  history_.push_back(line);
  if (history_.size() > kMaxHistory) history_.erase(history_.begin());
}

void LineEditor::load_history(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) add_history(line);
}

void LineEditor::save_history(const std::string& path) const {
  std::ofstream out(path, std::ios::trunc);
  for (const auto& l : history_) out << l << "\n";
}

}  // namespace tg::cli
