#include "tools/analyze/json_writer.hpp"

#include <CppUTest/TestHarness.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

using tg::analyze::JsonWriter;

TEST_GROUP(JsonWriter){};

TEST(JsonWriter, NestedObjectsAndArraysGetCommasRight) {
  JsonWriter w;
  w.begin_object()
      .key("streams").begin_array()
      .begin_object().field("ssrc", "0x1234abcd").field("packets", uint64_t(1500)).end_object()
      .begin_object().field("lost", int64_t(-2)).end_object()
      .end_array()
      .key("empty").begin_array().end_array()
      .key("obj").begin_object().end_object()
      .field("ok", true)
      .key("none").null()
      .end_object();
  STRCMP_EQUAL(
      R"({"streams":[{"ssrc":"0x1234abcd","packets":1500},{"lost":-2}],"empty":[],"obj":{},"ok":true,"none":null})",
      w.str().c_str());
  CHECK(w.complete());
}

TEST(JsonWriter, IncompleteUntilEverythingIsClosed) {
  JsonWriter w;
  CHECK_FALSE(w.complete());
  w.begin_array().value(1);
  CHECK_FALSE(w.complete());
  w.end_array();
  CHECK(w.complete());
}

TEST(JsonWriter, DoublesUseFixedDecimalsTrimmed) {
  JsonWriter w;
  w.begin_array()
      .value(4.1)
      .value(30.0)
      .value(0.8, 1)
      .value(91.234567, 2)
      .value(-0.0001)
      .value(std::nan(""))
      .value(std::numeric_limits<double>::infinity())
      .end_array();
  STRCMP_EQUAL("[4.1,30,0.8,91.23,0,null,null]", w.str().c_str());
}

TEST(JsonWriter, EscapesQuotesBackslashAndControlCharacters) {
  std::string out;
  JsonWriter::append_escaped(out, std::string_view("a\"b\\c\r\n\t\x01\x1f\x7f", 11));
  STRCMP_EQUAL(R"("a\"b\\c\r\n\t\u0001\u001f\u007f")", out.c_str());
}

TEST(JsonWriter, KeepsValidUtf8AndReplacesInvalidBytes) {
  std::string out;
  JsonWriter::append_escaped(out, "M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x93\x9e");  // ü € 📞
  STRCMP_EQUAL("\"M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x93\x9e\"", out.c_str());
  out.clear();
  // lone continuation, truncated sequence, overlong '/', surrogate, > U+10FFFF, 0xFF
  JsonWriter::append_escaped(out, "\x80|\xc3|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xff");
  STRCMP_EQUAL(
      R"("\ufffd|\ufffd|\ufffd\ufffd|\ufffd\ufffd\ufffd|\ufffd\ufffd\ufffd\ufffd|\ufffd")",
      out.c_str());
}

TEST(JsonWriter, EmbeddedNulIsEscapedNotTruncated) {
  std::string out;
  JsonWriter::append_escaped(out, std::string_view("a\0b", 3));
  STRCMP_EQUAL(R"("a\u0000b")", out.c_str());
}

TEST(JsonWriter, PrettyPrintIndentsLevels) {
  JsonWriter w(2);
  w.begin_object().key("a").begin_array().value(1).value(2).end_array().field("b", "x").end_object();
  STRCMP_EQUAL("{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": \"x\"\n}", w.str().c_str());
}

TEST(JsonWriter, MisuseIsRefusedNotWrittenAsBrokenJson) {
  JsonWriter w;
  w.begin_object();
  CHECK_THROWS(std::logic_error, w.value(1));        // value without a key
  CHECK_THROWS(std::logic_error, w.end_array());     // wrong closer
  w.key("k");
  CHECK_THROWS(std::logic_error, w.key("again"));    // two keys in a row
  CHECK_THROWS(std::logic_error, w.end_object());    // key without a value
  w.value(1).end_object();
  CHECK_THROWS(std::logic_error, w.value(2));        // second top-level value
  STRCMP_EQUAL(R"({"k":1})", w.str().c_str());
}
