// `capture start` options on the console: any order, abbreviations, the
// JSON the daemon gets, and errors that point at the bad word.
#include "tools/cli/commands.hpp"

// CppUTest after the standard headers: its leak detector redefines new.
#include <CppUTest/TestHarness.h>

using namespace tg::cli;

TEST_GROUP(CaptureCommands){};

TEST(CaptureCommands, OptionsInAnyOrderBecomeArguments) {
  Parsed p = parse("capture start", Mode::exec);
  CHECK(p.ok);
  STRCMP_EQUAL("capture.start", p.request.c_str());
  CHECK(p.admin);
  CHECK(p.args.empty());
  p = parse("capture start sip+rtp duration 5", Mode::exec);
  CHECK_TEXT(p.ok, p.error.c_str());
  STRCMP_EQUAL("sip+rtp", p.args["filter"].get<std::string>().c_str());
  LONGS_EQUAL(5, p.args["duration"].get<int>());
  p = parse("cap sta pack 100 upl wan1 rtp host 192.0.2.10 dur 30 bytes 100000 snap 200", Mode::exec);
  CHECK_TEXT(p.ok, p.error.c_str());
  STRCMP_EQUAL("rtp", p.args["filter"].get<std::string>().c_str());
  STRCMP_EQUAL("wan1", p.args["uplink"].get<std::string>().c_str());
  STRCMP_EQUAL("192.0.2.10", p.args["host"].get<std::string>().c_str());
  LONGS_EQUAL(100, p.args["packets"].get<int>());
  LONGS_EQUAL(30, p.args["duration"].get<int>());
  LONGS_EQUAL(100000, p.args["bytes"].get<int>());
  LONGS_EQUAL(200, p.args["snaplen"].get<int>());
  STRCMP_EQUAL("capture start pack 100 upl wan1 rtp host 192.0.2.10 dur 30 bytes 100000 snap 200", p.canonical.c_str());
  p = parse("capture stop", Mode::exec);
  CHECK(p.ok);
  STRCMP_EQUAL("capture.stop", p.request.c_str());
  p = parse("show capture | include drops", Mode::exec);
  CHECK(p.ok);
  STRCMP_EQUAL("show.capture", p.request.c_str());
  CHECK_FALSE(p.admin);
}

TEST(CaptureCommands, BadOptionsPointAtTheWord) {
  struct Case {
    const char* line;
    size_t pos;
    const char* text;
  } cases[] = {
      {"capture start voice", 14, "unknown capture option 'voice'"},
      {"capture start sip duration", 18, "duration needs a number"},
      {"capture start duration 0", 23, "'0' is not a positive number (duration)"},
      {"capture start duration five", 23, "'five' is not a positive number"},
      {"capture start uplink wan9", 21, "'wan9' is not an uplink"},
      {"capture start host 2001:db8::1", 19, "not an IPv4 address"},
      {"capture start sip rtp", 18, "the packet filter is given twice"},
      {"capture start packets 5 packets 6", 24, "packets is given twice"},
      {"capture start s", 14, "ambiguous 's': could be sip, sip+rtp, snaplen"},
  };
  for (const Case& c : cases) {
    Parsed p = parse(c.line, Mode::exec);
    CHECK_FALSE_TEXT(p.ok, c.line);
    LONGS_EQUAL_TEXT(c.pos, p.error_pos, c.line);
    STRCMP_CONTAINS(c.text, p.error.c_str());
  }
}

TEST(CaptureCommands, HelpListsTheOptions) {
  bool options = false;
  for (const Choice& c : help_at("capture start ", Mode::exec)) options |= c.help.find("sip+rtp") != std::string::npos;
  CHECK(options);
  bool duration = false, sip = false;
  for (const Choice& c : help_at("capture start sip d", Mode::exec)) {
    duration |= c.word == "duration";
    sip |= c.word == "sip";
  }
  CHECK(duration);
  CHECK_FALSE(sip);
}
