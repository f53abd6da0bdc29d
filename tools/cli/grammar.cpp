#include "tools/cli/grammar.hpp"

#include <algorithm>

namespace tg::cli {

Node& Node::keyword(const std::string& w, const std::string& h, Action a) {
  children.push_back(std::make_unique<Node>());
  Node& n = *children.back();
  n.word = w;
  n.help = h;
  n.action = std::move(a);
  return n;
}

Node& Node::arg(const std::string& name, const std::string& h, Action a) {
  Node& n = keyword(name, h, std::move(a));
  n.is_arg = true;
  return n;
}

std::string Parsed::arg(const std::string& name, const std::string& fallback) const {
  for (const auto& [node, text] : words)
    if (node->is_arg && node->word == name) return text;
  return fallback;
}

bool Parsed::has(const std::string& keyword) const {
  for (const auto& [node, text] : words)
    if (!node->is_arg && node->word == keyword) return true;
  return false;
}

bool tokenize(const std::string& line, std::vector<Token>& out, std::string& error, size_t& error_column) {
  out.clear();
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    Token t;
    t.column = i + 1;
    bool quoted = false;
    while (i < line.size() && (quoted || (line[i] != ' ' && line[i] != '\t'))) {
      if (line[i] == '"') {
        quoted = !quoted;
      } else {
        t.text += line[i];
      }
      ++i;
    }
    if (quoted) {
      error = "unterminated quote";
      error_column = t.column;
      return false;
    }
    out.push_back(std::move(t));
  }
  return true;
}

namespace {

std::vector<const Node*> keyword_matches(const Node& at, const std::string& word, bool& exact) {
  std::vector<const Node*> out;
  exact = false;
  for (const auto& c : at.children) {
    if (c->is_arg) continue;
    if (c->word == word) {
      exact = true;
      return {c.get()};
    }
    if (c->word.compare(0, word.size(), word) == 0) out.push_back(c.get());
  }
  return out;
}

const Node* arg_child(const Node& at) {
  for (const auto& c : at.children)
    if (c->is_arg) return c.get();
  return nullptr;
}

std::string choices_of(const Node& at, const Parsed& p) {
  std::string s;
  for (const auto& c : at.children) {
    if (!s.empty()) s += ", ";
    if (c->is_arg) {
      if (c->closed && c->candidates) {
        std::string alts;
        for (const auto& [v, h] : c->candidates(p)) alts += (alts.empty() ? "" : "|") + v;
        s += alts.empty() ? c->word : alts;
      } else {
        s += c->word;
      }
    } else {
      s += c->word;
    }
  }
  return s;
}

}  // namespace

ParseResult parse(const Node& root, const std::vector<Token>& tokens) {
  ParseResult r;
  const Node* at = &root;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    bool exact = false;
    auto kws = keyword_matches(*at, t.text, exact);
    const Node* next = nullptr;
    if (kws.size() == 1) {
      next = kws[0];
    } else if (kws.size() > 1 && !arg_child(*at)) {
      std::string list;
      for (const Node* n : kws) list += (list.empty() ? "" : ", ") + n->word;
      r.kind = ParseResult::ambiguous;
      r.column = t.column;
      r.message = "ambiguous command \"" + t.text + "\"";
      r.expected = "matches " + list;
      return r;
    } else if (const Node* a = arg_child(*at)) {
      next = a;
      if (a->closed && a->candidates) {
        auto cands = a->candidates(r.parsed);
        std::vector<std::string> hits;
        for (const auto& [v, h] : cands) {
          if (v == t.text) {
            hits = {v};
            break;
          }
          if (v.compare(0, t.text.size(), t.text) == 0) hits.push_back(v);
        }
        if (hits.size() != 1) {
          std::string list;
          for (const auto& [v, h] : cands) list += (list.empty() ? "" : ", ") + v;
          r.kind = hits.empty() ? ParseResult::bad_value : ParseResult::ambiguous;
          r.column = t.column;
          r.message = (hits.empty() ? "invalid " : "ambiguous ") + a->word + " \"" + t.text + "\"";
          r.expected = "one of " + list;
          return r;
        }
        r.parsed.words.emplace_back(a, hits[0]);
        at = a;
        continue;
      }
      if (a->rest) {
        // The rest of the line, as typed (quotes already removed per word).
        std::string text = t.text;
        for (size_t k = i + 1; k < tokens.size(); ++k) text += " " + tokens[k].text;
        r.parsed.words.emplace_back(a, text);
        at = a;
        break;
      }
    } else {
      r.kind = ParseResult::unknown;
      r.column = t.column;
      if (at->children.empty()) {
        r.message = "unexpected \"" + t.text + "\": the command is complete before it";
      } else {
        r.message = "unknown command \"" + t.text + "\"";
        r.expected = "expected " + choices_of(*at, r.parsed);
      }
      return r;
    }
    r.parsed.words.emplace_back(next, next->is_arg ? t.text : next->word);
    at = next;
  }
  r.node = at;
  if (!at->action) {
    r.kind = ParseResult::incomplete;
    r.column = tokens.empty() ? 1 : tokens.back().column + tokens.back().text.size() + 1;
    r.message = "incomplete command";
    r.expected = "next: " + choices_of(*at, r.parsed);
  }
  return r;
}

namespace {

struct Walk {
  const Node* at = nullptr;
  Parsed parsed;
  std::string last;  // partial last word ("" after a blank)
  bool ok = false;
};

// Walks all complete words of `partial`; the last (partial) word is left.
Walk walk(const Node& root, const std::string& partial) {
  Walk w;
  std::vector<Token> tokens;
  std::string err;
  size_t col;
  if (!tokenize(partial, tokens, err, col)) return w;
  bool trailing_blank = partial.empty() || partial.back() == ' ' || partial.back() == '\t';
  if (!trailing_blank && !tokens.empty()) {
    w.last = tokens.back().text;
    tokens.pop_back();
  }
  ParseResult r = parse(root, tokens);
  if (r.kind != ParseResult::ok && r.kind != ParseResult::incomplete) return w;
  w.at = r.node ? r.node : &root;
  w.parsed = r.parsed;
  if (w.at->rest && !tokens.empty()) return w;  // inside free text: nothing to offer
  w.ok = true;
  return w;
}

struct Choice {
  std::string word, help;
  bool is_arg;
};

std::vector<Choice> choices(const Walk& w) {
  std::vector<Choice> out;
  for (const auto& c : w.at->children) {
    if (c->is_arg) {
      bool any = false;
      if (c->candidates)
        for (const auto& [v, h] : c->candidates(w.parsed))
          if (v.compare(0, w.last.size(), w.last) == 0) {
            out.push_back({v, h, false});
            any = true;
          }
      if (!c->closed || !any) out.push_back({c->word, c->help, true});
    } else if (c->word.compare(0, w.last.size(), w.last) == 0) {
      out.push_back({c->word, c->help, false});
    }
  }
  return out;
}

std::string columns(const std::vector<Choice>& cs) {
  size_t wmax = 0;
  for (const auto& c : cs) wmax = std::max(wmax, c.word.size());
  wmax = std::min<size_t>(wmax, 24);
  std::string s;
  for (const auto& c : cs) {
    std::string line = "  " + c.word;
    if (line.size() < wmax + 4) line.resize(wmax + 4, ' ');
    else line += "  ";
    std::string h = c.help;
    if (line.size() + h.size() > 79) h = h.substr(0, 79 - std::min<size_t>(79, line.size() + 3)) + "...";
    s += line + h + "\r\n";
  }
  return s;
}

}  // namespace

std::string help_text(const Node& root, const std::string& partial) {
  Walk w = walk(root, partial);
  if (!w.ok) {
    if (w.at && w.at->rest) return "  " + w.at->word + "  " + w.at->help + "\r\n";
    return "% no help: the words before are not a valid command\r\n";
  }
  auto cs = choices(w);
  std::string s = columns(cs);
  if (w.last.empty() && w.at->action) s += "  <cr>\r\n";
  if (s.empty()) s = "% no command starts with \"" + w.last + "\"\r\n";
  return s;
}

std::string complete_line(const Node& root, const std::string& partial, std::string& listing) {
  listing.clear();
  Walk w = walk(root, partial);
  if (!w.ok) return partial;
  std::vector<std::string> words;
  for (const auto& c : choices(w))
    if (!c.is_arg) words.push_back(c.word);
  if (words.empty()) return partial;
  std::string base = partial.substr(0, partial.size() - w.last.size());
  if (words.size() == 1) return base + words[0] + " ";
  // Longest common prefix, then list.
  std::string common = words[0];
  for (const auto& wd : words) {
    size_t k = 0;
    while (k < common.size() && k < wd.size() && common[k] == wd[k]) ++k;
    common.resize(k);
  }
  std::string line;
  for (const auto& wd : words) {
    if (line.size() + wd.size() + 2 > 78) {
      listing += line + "\r\n";
      line.clear();
    }
    line += (line.empty() ? "  " : "  ") + wd;
  }
  if (!line.empty()) listing += line + "\r\n";
  return base + (common.size() > w.last.size() ? common : w.last);
}

}  // namespace tg::cli
