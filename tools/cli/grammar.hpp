// Router-style command grammar: a tree of keywords and arguments. Input is
// matched word by word; a keyword may be abbreviated to any unique prefix;
// errors say what is wrong and where (1-based column); '?' lists what may
// come next; TAB completes a unique prefix.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tg::cli {

struct Token {
  std::string text;
  size_t column = 0;  // 1-based column where the word starts
};

// Splits on blanks; "double quotes" keep blanks inside one word. Sets
// error (with column) on an unterminated quote.
bool tokenize(const std::string& line, std::vector<Token>& out, std::string& error, size_t& error_column);

struct Parsed;
using Action = std::function<int(const Parsed&)>;
// Values an argument may take (for completion and '?'), given the words so far.
using Candidates = std::function<std::vector<std::pair<std::string, std::string>>(const Parsed&)>;

struct Node {
  std::string word;       // keyword, or argument name shown as WORD
  bool is_arg = false;
  bool rest = false;      // argument takes the rest of the line (values, comments)
  std::string help;
  Candidates candidates;  // arguments: suggestions (not a restriction unless `closed`)
  bool closed = false;    // argument must be one of the candidates
  Action action;          // set: a command may end here
  std::vector<std::unique_ptr<Node>> children;

  Node& keyword(const std::string& w, const std::string& h, Action a = nullptr);
  Node& arg(const std::string& name, const std::string& h, Action a = nullptr);
};

struct Parsed {
  std::vector<std::pair<const Node*, std::string>> words;
  std::string arg(const std::string& name, const std::string& fallback = "") const;
  bool has(const std::string& keyword) const;
};

struct ParseResult {
  enum Kind { ok, unknown, ambiguous, incomplete, bad_value, quote } kind = ok;
  const Node* node = nullptr;  // last matched node
  Parsed parsed;
  size_t column = 0;           // where the problem is
  std::string message;         // what is wrong
  std::string expected;        // what could come there instead (may be empty)
};

// Matches tokens against the tree under root.
ParseResult parse(const Node& root, const std::vector<Token>& tokens);

// '?': what may follow `partial` (a trailing blank means "next word",
// otherwise the words that start with the last partial word).
std::string help_text(const Node& root, const std::string& partial);
// TAB: the line completed as far as it is unique; listing gets the choices
// when there are several.
std::string complete_line(const Node& root, const std::string& partial, std::string& listing);

}  // namespace tg::cli
