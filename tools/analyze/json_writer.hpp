// Streaming JSON writer for tg-analyze's machine output: commas, nesting and
// escaping handled here so report code only says what to write. Always valid
// JSON: strings from packets (Call-IDs, URIs) may hold any byte, so control
// characters are escaped and invalid UTF-8 becomes U+FFFD; NaN and infinity
// (no such thing in JSON) are written as null.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tg::analyze {

class JsonWriter {
 public:
  // indent 0: compact, one line. indent > 0: pretty, that many spaces a level.
  explicit JsonWriter(int indent = 0) : indent_(indent) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  // Inside an object: the next value's name.
  JsonWriter& key(std::string_view name);

  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return s ? value(std::string_view(s)) : null(); }
  JsonWriter& value(bool b);
  JsonWriter& value(int64_t v);
  JsonWriter& value(uint64_t v);
  JsonWriter& value(int v) { return value(int64_t(v)); }
  JsonWriter& value(unsigned v) { return value(uint64_t(v)); }
  // Fixed number of decimals, trailing zeros trimmed ("4.1", "30", "0.25").
  JsonWriter& value(double v, int decimals = 3);
  JsonWriter& null();

  // key + value in one call.
  template <class T>
  JsonWriter& field(std::string_view name, const T& v) {
    return key(name).value(v);
  }
  JsonWriter& field(std::string_view name, double v, int decimals) { return key(name).value(v, decimals); }

  // The document so far. complete(): every object/array closed, one value.
  const std::string& str() const { return out_; }
  bool complete() const { return stack_.empty() && values_at_top_ == 1; }

  // Appends `s` as a quoted JSON string (exposed for tests and other writers).
  static void append_escaped(std::string& out, std::string_view s);

 private:
  enum class Scope : uint8_t { object, array };
  void before_value_();
  void newline_();

  std::string out_;
  std::vector<Scope> stack_;
  std::vector<bool> first_;   // per open scope: nothing written in it yet
  bool after_key_ = false;
  int values_at_top_ = 0;
  int indent_ = 0;
};

}  // namespace tg::analyze
