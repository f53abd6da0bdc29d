// The configuration file as lines: the pre-scan that gives every option its
// FILE:LINE (Boost.Program_options does the typed parse but reports no line
// numbers), and the editable candidate that keeps the operator's comments
// and layout when the console sets or deletes one option.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tg::config {

// Where an option came from: "FILE:LINE" for a file, "command-line:N" for
// the N-th --set override, "candidate:LINE" for the console's candidate.
struct Origin {
  std::string file;
  int line = 0;
  std::string str() const { return file + ":" + std::to_string(line); }
};

struct ConfigError {
  Origin where;
  std::string message;
  std::string str() const { return where.str() + ": " + message; }
};

class IniDocument {
 public:
  enum class LineKind { blank, comment, section, entry };
  struct Line {
    LineKind kind = LineKind::blank;
    std::string text;     // the line as written (without newline)
    std::string section;  // section header name, or the section an entry is in
    std::string key;      // entries only
    std::string value;    // entries only, trimmed, comment removed
  };
  struct Entry {
    std::string section, key, value;
    Origin where;
    std::string name() const { return section + "." + key; }
  };

  // Splits text into lines; syntax errors (not "[section]", not "key = value",
  // option before any section, duplicate section or option) go to errors with
  // their line. The document keeps every line so it can be written back.
  static IniDocument parse(std::string_view text, const std::string& file, std::vector<ConfigError>& errors);

  std::vector<Entry> entries() const;
  std::vector<std::string> sections() const;
  bool has_section(std::string_view section) const;
  std::optional<std::string> get(std::string_view section, std::string_view key) const;
  // Line (1-based) of a section header, 0 if absent.
  int section_line(std::string_view section) const;

  // Candidate edits. set replaces the value in place (keeping the line's
  // trailing comment) or adds the option at the end of its section (or a new
  // section at the end). remove deletes an option or a whole section with its
  // options; false if there was nothing to delete.
  void set(const std::string& section, const std::string& key, const std::string& value);
  bool remove(std::string_view section, std::optional<std::string_view> key);

  std::string render() const;
  const std::string& file() const { return file_; }

 private:
  std::vector<Line> lines_;
  std::string file_;
};

std::string_view trim(std::string_view s);

}  // namespace tg::config
