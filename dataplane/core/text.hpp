// Small allocation-free text helpers shared by the SIP and SDP parsers.
// Internal to dataplane/core: every function stays inside the view it gets.
#pragma once
#include <cstdint>
#include <string_view>

namespace tg::text {

constexpr char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c + ('a' - 'A')) : c; }
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// SP, HTAB and the CR/LF that folded (continuation) header values keep inside.
constexpr bool is_lws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// RFC 3261 25.1 token characters, as a table: header names and tokens are
// checked byte by byte on every message, a load beats a chain of compares.
struct TokenTable {
  bool ok[256] = {};
  constexpr TokenTable() {
    for (int c = 0; c < 256; ++c)
      ok[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    for (char c : {'-', '.', '!', '%', '*', '_', '+', '`', '\'', '~'}) ok[uint8_t(c)] = true;
  }
};
inline constexpr TokenTable kTokenChars{};
constexpr bool is_token_char(char c) { return kTokenChars.ok[uint8_t(c)]; }

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

inline bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

inline std::string_view trim_left(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && is_lws(s[i])) ++i;
  return s.substr(i);
}
inline std::string_view trim_right(std::string_view s) {
  size_t n = s.size();
  while (n > 0 && is_lws(s[n - 1])) --n;
  return s.substr(0, n);
}
inline std::string_view trim(std::string_view s) { return trim_right(trim_left(s)); }

inline bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_token_char(c)) return false;
  return true;
}

// Whole view is decimal digits whose value is <= max. No sign, no spaces.
inline bool parse_uint(std::string_view s, uint64_t max, uint64_t& out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    v = v * 10 + uint64_t(c - '0');
    if (v > max) return false;
  }
  out = v;
  return true;
}

// Leading decimal digits of s (at least one), value <= max; `used` = digits read.
inline bool parse_uint_prefix(std::string_view s, uint64_t max, uint64_t& out, size_t& used) {
  size_t i = 0;
  uint64_t v = 0;
  while (i < s.size() && is_digit(s[i])) {
    v = v * 10 + uint64_t(s[i] - '0');
    if (v > max) return false;
    ++i;
  }
  if (i == 0) return false;
  out = v;
  used = i;
  return true;
}

// Splits off the text up to the first `sep` (not included); `rest` gets what
// follows it, or is empty when `sep` does not occur.
inline std::string_view split_first(std::string_view s, char sep, std::string_view& rest) {
  size_t p = s.find(sep);
  if (p == std::string_view::npos) {
    rest = {};
    return s;
  }
  rest = s.substr(p + 1);
  return s.substr(0, p);
}

// Next whitespace-separated word of s, advancing s past it.
inline std::string_view next_word(std::string_view& s) {
  s = trim_left(s);
  size_t i = 0;
  while (i < s.size() && !is_lws(s[i])) ++i;
  std::string_view w = s.substr(0, i);
  s = s.substr(i);
  return w;
}

}  // namespace tg::text
