#include "tools/analyze/json_writer.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "dataplane/core/json_text.hpp"

namespace tg::analyze {

namespace {

}  // namespace

void JsonWriter::append_escaped(std::string& out, std::string_view s) { json::append_string(out, s); }

void JsonWriter::newline_() {
  if (indent_ <= 0) return;
  out_ += '\n';
  out_.append(stack_.size() * size_t(indent_), ' ');
}

void JsonWriter::before_value_() {
  if (stack_.empty()) {
    if (values_at_top_ > 0) throw std::logic_error("JsonWriter: second top-level value");
    ++values_at_top_;
    return;
  }
  if (stack_.back() == Scope::object) {
    if (!after_key_) throw std::logic_error("JsonWriter: value in an object without a key");
    after_key_ = false;
    return;
  }
  if (!first_.back()) out_ += ',';
  first_.back() = false;
  newline_();
}

JsonWriter& JsonWriter::key(std::string_view name) {
  if (stack_.empty() || stack_.back() != Scope::object || after_key_)
    throw std::logic_error("JsonWriter: key outside an object or twice");
  if (!first_.back()) out_ += ',';
  first_.back() = false;
  newline_();
  append_escaped(out_, name);
  out_ += indent_ > 0 ? ": " : ":";
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::begin_object() {
  before_value_();
  out_ += '{';
  stack_.push_back(Scope::object);
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  before_value_();
  out_ += '[';
  stack_.push_back(Scope::array);
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  if (stack_.empty() || stack_.back() != Scope::object || after_key_)
    throw std::logic_error("JsonWriter: end_object without an open object");
  bool empty = first_.back();
  stack_.pop_back();
  first_.pop_back();
  if (!empty) newline_();
  out_ += '}';
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  if (stack_.empty() || stack_.back() != Scope::array)
    throw std::logic_error("JsonWriter: end_array without an open array");
  bool empty = first_.back();
  stack_.pop_back();
  first_.pop_back();
  if (!empty) newline_();
  out_ += ']';
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view s) {
  before_value_();
  append_escaped(out_, s);
  return *this;
}

JsonWriter& JsonWriter::value(bool b) {
  before_value_();
  out_ += b ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::value(int64_t v) {
  before_value_();
  out_ += std::to_string(v);
  return *this;
}

JsonWriter& JsonWriter::value(uint64_t v) {
  before_value_();
  out_ += std::to_string(v);
  return *this;
}

JsonWriter& JsonWriter::value(double v, int decimals) {
  if (!std::isfinite(v)) return null();
  before_value_();
  if (decimals < 0) decimals = 0;
  if (decimals > 9) decimals = 9;
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string_view text(buf, size_t(n));
  if (text.find('.') != std::string_view::npos) {
    while (text.back() == '0') text.remove_suffix(1);
    if (text.back() == '.') text.remove_suffix(1);
  }
  if (text == "-0") text = "0";
  out_ += text;
  return *this;
}

JsonWriter& JsonWriter::null() {
  before_value_();
  out_ += "null";
  return *this;
}

}  // namespace tg::analyze
