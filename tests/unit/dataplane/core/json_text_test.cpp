// The one JSON string escaper of the tools, the store's export and
// tg-analyze: always valid JSON in valid UTF-8, whatever bytes came in.
#include "dataplane/core/json_text.hpp"

#include <string>

#include <CppUTest/TestHarness.h>

using tg::json::string;

TEST_GROUP(JsonText){};

TEST(JsonText, QuotesBackslashesAndControlCharacters) {
  STRCMP_EQUAL("\"plain\"", string("plain").c_str());
  STRCMP_EQUAL("\"\"", string("").c_str());
  STRCMP_EQUAL("\"a\\\"b\\\\c\"", string("a\"b\\c").c_str());
  STRCMP_EQUAL("\"\\n\\r\\t\"", string("\n\r\t").c_str());
  STRCMP_EQUAL("\"\\u0000\\u001f\\u007f\"", string(std::string("\0\x1f\x7f", 3)).c_str());
}

TEST(JsonText, ValidUtf8PassesInvalidBytesBecomeReplacementCharacters) {
  STRCMP_EQUAL("\"M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x93\x9e\"", string("M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x93\x9e").c_str());
  STRCMP_EQUAL("\"a\\ufffdb\"", string("a\xff" "b").c_str());            // never valid
  STRCMP_EQUAL("\"\\ufffd\\ufffd\"", string("\xc0\xaf").c_str());         // overlong '/'
  STRCMP_EQUAL("\"\\ufffd\\ufffd\\ufffd\"", string("\xed\xa0\x80").c_str());  // surrogate
  STRCMP_EQUAL("\"x\\ufffd\\ufffd\"", string("x\xe2\x82").c_str());   // cut short: one per byte
}
