#include "control/config/ini.hpp"

#include <algorithm>
#include <map>

namespace tg::config {

std::string_view trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return s.substr(b, e - b);
}

namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

bool valid_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), name_char) && s.front() != '.' && s.back() != '.';
}

// A line that did not parse, as an error may quote it: its first word when
// more follows ("'auth_key …'"), else only its length. The rest may be a
// secret ("auth_key S3cret" without '='), and errors reach logs and alarms.
std::string unshown_line(std::string_view body) {
  size_t space = body.find_first_of(" \t");
  if (space != std::string_view::npos && valid_name(body.substr(0, space)))
    return "'" + std::string(body.substr(0, space)) + " …' (the rest not shown: it may hold a secret)";
  return "a line of " + std::to_string(body.size()) + " characters (not shown: it may hold a secret)";
}

// Boost.PO's config parser drops everything from '#'; do the same so both
// readings of a line agree.
std::string_view strip_comment(std::string_view s) {
  size_t hash = s.find('#');
  return hash == std::string_view::npos ? s : s.substr(0, hash);
}

}  // namespace

IniDocument IniDocument::parse(std::string_view text, const std::string& file, std::vector<ConfigError>& errors) {
  IniDocument doc;
  doc.file_ = file;
  std::string current;
  std::map<std::string, int> section_lines;
  std::map<std::string, int> entry_lines;
  int lineno = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view raw = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++lineno;
    Line line;
    line.text = std::string(raw);
    if (!raw.empty() && raw.back() == '\r') line.text.pop_back();
    std::string_view body = trim(strip_comment(raw));
    Origin where{file, lineno};
    if (body.empty()) {
      line.kind = trim(raw).empty() ? LineKind::blank : LineKind::comment;
      line.section = current;
    } else if (body.front() == '[') {
      line.kind = LineKind::section;
      if (body.back() != ']') {
        errors.push_back({where, "section header not closed: expected '[name]'"});
      } else {
        std::string name(trim(body.substr(1, body.size() - 2)));
        if (!valid_name(name)) {
          errors.push_back({where, "invalid section name '" + name + "'"});
        } else if (auto it = section_lines.find(name); it != section_lines.end()) {
          errors.push_back({where, "section [" + name + "] already defined at line " + std::to_string(it->second)});
        } else {
          section_lines[name] = lineno;
        }
        current = name;
      }
      line.section = current;
    } else {
      size_t eq = body.find('=');
      if (eq == std::string_view::npos) {
        errors.push_back({where, "expected 'key = value' or '[section]', got " + unshown_line(body)});
        line.kind = LineKind::comment;  // keep the text, ignore the line
      } else {
        line.kind = LineKind::entry;
        line.section = current;
        line.key = std::string(trim(body.substr(0, eq)));
        line.value = std::string(trim(body.substr(eq + 1)));
        if (!valid_name(line.key) || line.key.find('.') != std::string::npos) {
          errors.push_back({where, "invalid option name " + unshown_line(line.key)});
          line.kind = LineKind::comment;
        } else if (current.empty()) {
          errors.push_back({where, "option '" + line.key + "' outside any [section]"});
          line.kind = LineKind::comment;
        } else {
          std::string full = current + "." + line.key;
          if (auto it = entry_lines.find(full); it != entry_lines.end()) {
            errors.push_back({where, "option '" + line.key + "' in [" + current + "] already set at line " +
                                         std::to_string(it->second)});
          } else {
            entry_lines[full] = lineno;
          }
        }
      }
    }
    doc.lines_.push_back(std::move(line));
  }
  return doc;
}

std::vector<IniDocument::Entry> IniDocument::entries() const {
  std::vector<Entry> out;
  for (size_t i = 0; i < lines_.size(); ++i) {
    const Line& l = lines_[i];
    if (l.kind == LineKind::entry) out.push_back({l.section, l.key, l.value, {file_, int(i + 1)}});
  }
  return out;
}

std::vector<std::string> IniDocument::sections() const {
  std::vector<std::string> out;
  for (const Line& l : lines_)
    if (l.kind == LineKind::section && std::find(out.begin(), out.end(), l.section) == out.end())
      out.push_back(l.section);
  return out;
}

bool IniDocument::has_section(std::string_view section) const { return section_line(section) != 0; }

int IniDocument::section_line(std::string_view section) const {
  for (size_t i = 0; i < lines_.size(); ++i)
    if (lines_[i].kind == LineKind::section && lines_[i].section == section) return int(i + 1);
  return 0;
}

std::optional<std::string> IniDocument::get(std::string_view section, std::string_view key) const {
  for (const Line& l : lines_)
    if (l.kind == LineKind::entry && l.section == section && l.key == key) return l.value;
  return std::nullopt;
}

void IniDocument::set(const std::string& section, const std::string& key, const std::string& value) {
  for (Line& l : lines_) {
    if (l.kind == LineKind::entry && l.section == section && l.key == key) {
      size_t hash = l.text.find('#');
      std::string comment = hash == std::string::npos ? "" : "  " + l.text.substr(hash);
      l.text = key + " = " + value + comment;
      l.value = value;
      return;
    }
  }
  Line entry{LineKind::entry, key + " = " + value, section, key, value};
  // After the last entry of the section (or right after its header).
  int header = section_line(section);
  if (header != 0) {
    size_t insert_at = size_t(header);
    for (size_t i = size_t(header); i < lines_.size() && lines_[i].kind != LineKind::section; ++i)
      if (lines_[i].kind == LineKind::entry) insert_at = i + 1;
    lines_.insert(lines_.begin() + long(insert_at), std::move(entry));
    return;
  }
  if (!lines_.empty() && lines_.back().kind != LineKind::blank) lines_.push_back({LineKind::blank, "", section, "", ""});
  lines_.push_back({LineKind::section, "[" + section + "]", section, "", ""});
  lines_.push_back(std::move(entry));
}

bool IniDocument::remove(std::string_view section, std::optional<std::string_view> key) {
  if (key) {
    auto it = std::find_if(lines_.begin(), lines_.end(), [&](const Line& l) {
      return l.kind == LineKind::entry && l.section == section && l.key == *key;
    });
    if (it == lines_.end()) return false;
    lines_.erase(it);
    return true;
  }
  int header = section_line(section);
  if (header == 0) return false;
  size_t begin = size_t(header - 1), end = begin + 1;
  while (end < lines_.size() && lines_[end].kind != LineKind::section) ++end;
  // Leave the comments that introduce the next section with it.
  while (end > begin + 1 && lines_[end - 1].kind != LineKind::entry && end < lines_.size()) --end;
  lines_.erase(lines_.begin() + long(begin), lines_.begin() + long(end));
  return true;
}

std::string IniDocument::render() const {
  std::string out;
  for (const Line& l : lines_) {
    out += l.text;
    out += '\n';
  }
  return out;
}

}  // namespace tg::config
