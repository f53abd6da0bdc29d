// The console's command language: router-style words with abbreviations,
// typed arguments, `?` help, completion, and `| include WORD` filters. One
// table (commands.cpp) declares every command, its help, the mode it lives in
// and the management request it becomes; parsing, help and completion are all
// walks over the tree built from that table.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace tg::cli {

using Json = nlohmann::json;

enum class Mode { exec, configure };

// What a complete command line does.
enum class Local { none, enter_configure, leave_configure, quit, help };

struct Token {
  std::string text;
  size_t pos = 0;  // column (0-based) in the line, for error carets
};

struct Filter {
  enum Kind { include, exclude } kind = include;
  std::string word;
};

struct Parsed {
  bool ok = false;
  // On error: message and the column it refers to (npos: no caret).
  std::string error;
  size_t error_pos = std::string::npos;
  // On success: a management request, or a local action.
  std::string request;  // e.g. "show.uplinks"; empty for local actions
  Json args = Json::object();
  Local local = Local::none;
  bool admin = false;   // needs the admin role
  std::vector<Filter> filters;
  std::string canonical;  // the command with every word spelled out
};

// Splits on blanks; "double quotes" group words. Unbalanced quote: error.
bool tokenize(std::string_view line, std::vector<Token>& out, std::string& error, size_t& error_pos);

Parsed parse(std::string_view line, Mode mode);

struct Choice {
  std::string word;  // keyword, or <ARG> for an argument
  std::string help;
};
// What may come next after `line` (for `?`): if the line ends inside a word,
// the choices that word could still become.
std::vector<Choice> help_at(std::string_view line, Mode mode);

// Tab: the completed line (unique continuation + blank), or the line itself
// with `choices` filled when there is more than one way to go on.
std::string complete(std::string_view line, Mode mode, std::vector<Choice>& choices);

// Every command of a mode, spelled out, with help (for `help`).
std::vector<Choice> all_commands(Mode mode);

}  // namespace tg::cli
