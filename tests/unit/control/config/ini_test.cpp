#include "control/config/ini.hpp"

// CppUTest last: its leak detector redefines new.
#include <CppUTest/TestHarness.h>


using namespace tg::config;

TEST_GROUP(Ini){};

TEST(Ini, EntriesCarryTheirLine) {
  std::vector<ConfigError> errors;
  auto doc = IniDocument::parse("# head\n\n[box]\nname = a  # trailing\n[trunk.x]\nsbc_address=203.0.113.10\n",
                                "f.conf", errors);
  CHECK(errors.empty());
  auto e = doc.entries();
  LONGS_EQUAL(2, e.size());
  STRCMP_EQUAL("box", e[0].section.c_str());
  STRCMP_EQUAL("a", e[0].value.c_str());
  STRCMP_EQUAL("f.conf:4", e[0].where.str().c_str());
  STRCMP_EQUAL("trunk.x.sbc_address", e[1].name().c_str());
  STRCMP_EQUAL("f.conf:6", e[1].where.str().c_str());
  LONGS_EQUAL(5, doc.section_line("trunk.x"));
}

TEST(Ini, SyntaxErrorsAreAllReportedWithLines) {
  std::vector<ConfigError> errors;
  IniDocument::parse("orphan = 1\n[box\n[box]\nno equals sign\nname = a\nname = b\n[box]\n[bad name]\n", "f", errors);
  LONGS_EQUAL(6, errors.size());
  STRCMP_EQUAL("f:1: option 'orphan' outside any [section]", errors[0].str().c_str());
  STRCMP_EQUAL("f:2: section header not closed: expected '[name]'", errors[1].str().c_str());
  STRCMP_EQUAL("f:4: expected 'key = value' or '[section]', got 'no …' (the rest not shown: it may hold a secret)",
               errors[2].str().c_str());
  STRCMP_EQUAL("f:6: option 'name' in [box] already set at line 5", errors[3].str().c_str());
  STRCMP_EQUAL("f:7: section [box] already defined at line 3", errors[4].str().c_str());
  STRCMP_EQUAL("f:8: invalid section name 'bad name'", errors[5].str().c_str());
}

TEST(Ini, ASecretOnABrokenLineIsNotEchoed) {
  std::vector<ConfigError> errors;
  IniDocument::parse("[alarm.snmp]\nauth_key S3cretPass\nS3cretPass\nauth key = S3cretPass\n", "f", errors);
  LONGS_EQUAL(3, errors.size());
  for (const auto& e : errors) CHECK_TEXT(e.str().find("S3cret") == std::string::npos, e.str().c_str());
  STRCMP_CONTAINS("got 'auth_key …'", errors[0].str().c_str());  // the key, to find the line
}

TEST(Ini, CrLfLinesAreAccepted) {
  std::vector<ConfigError> errors;
  auto doc = IniDocument::parse("[box]\r\nname = a\r\n", "f", errors);
  CHECK(errors.empty());
  STRCMP_EQUAL("a", doc.get("box", "name")->c_str());
}

TEST(Ini, SetKeepsCommentsAndLayout) {
  std::vector<ConfigError> errors;
  auto doc = IniDocument::parse("# top\n[box]\nname = a # why\n\n[timers]\nmiss_count = 3\n", "f", errors);
  doc.set("box", "name", "b");
  doc.set("box", "location", "rack 4");
  doc.set("thresholds", "rtt_ms", "80");
  STRCMP_EQUAL(
      "# top\n[box]\nname = b  # why\nlocation = rack 4\n\n[timers]\nmiss_count = 3\n\n[thresholds]\nrtt_ms = 80\n",
      doc.render().c_str());
}

TEST(Ini, RemoveOptionAndSection) {
  std::vector<ConfigError> errors;
  auto doc = IniDocument::parse("[box]\nname = a\n\n# timers next\n[timers]\nmiss_count = 3\n", "f", errors);
  CHECK_FALSE(doc.remove("box", std::string_view("nothere")));
  CHECK_FALSE(doc.remove("nosection", std::nullopt));
  CHECK(doc.remove("timers", std::string_view("miss_count")));
  STRCMP_EQUAL("[box]\nname = a\n\n# timers next\n[timers]\n", doc.render().c_str());
  CHECK(doc.remove("box", std::nullopt));
  STRCMP_EQUAL("\n# timers next\n[timers]\n", doc.render().c_str());
}

TEST(Ini, RenderOfParsedTextIsIdentical) {
  const char* text = "# a\n[box]\n  name   =  x   # c\n\n[timers]\nmiss_count=3\n";
  std::vector<ConfigError> errors;
  STRCMP_EQUAL(text, IniDocument::parse(text, "f", errors).render().c_str());
}
