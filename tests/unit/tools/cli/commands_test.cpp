#include "tools/cli/commands.hpp"

// CppUTest after the standard headers: its leak detector redefines new.
#include <CppUTest/TestHarness.h>

using namespace tg::cli;

TEST_GROUP(Commands){};

TEST(Commands, FullWordsAndAbbreviations) {
  Parsed p = parse("show uplinks", Mode::exec);
  CHECK(p.ok);
  STRCMP_EQUAL("show.uplinks", p.request.c_str());
  p = parse("sh upl", Mode::exec);
  CHECK(p.ok);
  STRCMP_EQUAL("show.uplinks", p.request.c_str());
  STRCMP_EQUAL("show uplinks", p.canonical.c_str());
  p = parse("  SH   CONF   di ", Mode::exec);
  CHECK(p.ok);
  STRCMP_EQUAL("show.config", p.request.c_str());
  STRCMP_EQUAL("diff", p.args["which"].get<std::string>().c_str());
}

TEST(Commands, AmbiguousAbbreviationNamesTheCandidatesAndColumn) {
  // "show c" could be calls, capture, config or counters
  Parsed p = parse("show c", Mode::exec);
  CHECK_FALSE(p.ok);
  LONGS_EQUAL(5, p.error_pos);
  CHECK(p.error.find("calls") != std::string::npos);
  CHECK(p.error.find("config") != std::string::npos);
  CHECK(p.error.find("counters") != std::string::npos);
}

TEST(Commands, UnknownWordPointsAtIt) {
  Parsed p = parse("show uplnks", Mode::exec);
  CHECK_FALSE(p.ok);
  LONGS_EQUAL(5, p.error_pos);
  CHECK(p.error.find("uplnks") != std::string::npos);
  CHECK(p.error.find("expected") != std::string::npos);
  p = parse("frobnicate", Mode::exec);
  CHECK_FALSE(p.ok);
  LONGS_EQUAL(0, p.error_pos);
}

TEST(Commands, IncompleteCommandSaysWhatMayFollow) {
  Parsed p = parse("show config", Mode::exec);
  CHECK_FALSE(p.ok);
  CHECK(p.error.find("incomplete") != std::string::npos);
  CHECK(p.error.find("running") != std::string::npos);
  p = parse("failover", Mode::exec);
  CHECK_FALSE(p.ok);
}

TEST(Commands, TrailingWordsAfterACompleteCommandAreRejected) {
  Parsed p = parse("show version now", Mode::exec);
  CHECK_FALSE(p.ok);
  LONGS_EQUAL(13, p.error_pos);
}

TEST(Commands, TypedArguments) {
  Parsed p = parse("failover force wan1", Mode::exec);
  CHECK(p.ok);
  CHECK(p.admin);
  STRCMP_EQUAL("failover.force", p.request.c_str());
  STRCMP_EQUAL("wan1", p.args["uplink"].get<std::string>().c_str());
  p = parse("failover force wan7", Mode::exec);
  CHECK_FALSE(p.ok);
  LONGS_EQUAL(15, p.error_pos);
  CHECK(p.error.find("not an uplink") != std::string::npos);
  p = parse("show fault-report 3", Mode::exec);
  CHECK(p.ok);
  LONGS_EQUAL(3, p.args["n"].get<int>());
  p = parse("show fault-report x3", Mode::exec);
  CHECK_FALSE(p.ok);
  p = parse("diagnose call abc@198.51.100.1", Mode::exec);
  CHECK(p.ok);
  STRCMP_EQUAL("abc@198.51.100.1", p.args["call_id"].get<std::string>().c_str());
  CHECK_FALSE(p.admin);
}

TEST(Commands, ConfigureModeSetSplitsSectionAndKeyAndKeepsQuotedValues) {
  CHECK_FALSE(parse("set uplink.wan0.priority 1", Mode::exec).ok);  // not in exec mode
  Parsed p = parse("set uplink.wan0.probe_interval_ms 20", Mode::configure);
  CHECK(p.ok);
  STRCMP_EQUAL("config.set", p.request.c_str());
  STRCMP_EQUAL("uplink.wan0", p.args["section"].get<std::string>().c_str());
  STRCMP_EQUAL("probe_interval_ms", p.args["key"].get<std::string>().c_str());
  STRCMP_EQUAL("20", p.args["value"].get<std::string>().c_str());
  p = parse("set box.location \"rack 4, row 2\"", Mode::configure);
  CHECK(p.ok);
  STRCMP_EQUAL("rack 4, row 2", p.args["value"].get<std::string>().c_str());
  p = parse("set thresholds.rtt_ms 80", Mode::configure);
  STRCMP_EQUAL("thresholds", p.args["section"].get<std::string>().c_str());
  STRCMP_EQUAL("rtt_ms", p.args["key"].get<std::string>().c_str());
  p = parse("del trunk.carrierB", Mode::configure);
  CHECK(p.ok);
  STRCMP_EQUAL("trunk.carrierB", p.args["section"].get<std::string>().c_str());
  CHECK_FALSE(p.args.contains("key"));
  p = parse("rollback 2", Mode::configure);
  CHECK(p.ok);
  LONGS_EQUAL(2, p.args["n"].get<int>());
  CHECK(parse("end", Mode::configure).local == Local::leave_configure);
  CHECK(parse("conf", Mode::exec).local == Local::enter_configure);
}

TEST(Commands, Filters) {
  Parsed p = parse("show alarms history | include wan0 | ex cleared", Mode::exec);
  CHECK(p.ok);
  LONGS_EQUAL(2, p.filters.size());
  CHECK(p.filters[0].kind == Filter::include);
  STRCMP_EQUAL("wan0", p.filters[0].word.c_str());
  CHECK(p.filters[1].kind == Filter::exclude);
  CHECK_FALSE(parse("show uplinks | include", Mode::exec).ok);
  CHECK_FALSE(parse("show uplinks | grep x", Mode::exec).ok);
  CHECK_FALSE(parse("| include x", Mode::exec).ok);
}

TEST(Commands, UnbalancedQuote) {
  Parsed p = parse("diagnose call \"abc", Mode::exec);
  CHECK_FALSE(p.ok);
  LONGS_EQUAL(14, p.error_pos);
}

TEST(Commands, HelpListsNextWords) {
  auto h = help_at("show ", Mode::exec);
  bool uplinks = false, calls = false;
  for (auto& c : h) uplinks |= c.word == "uplinks", calls |= c.word == "calls";
  CHECK(uplinks && calls);
  h = help_at("show co", Mode::exec);  // a partial word: what it may become
  LONGS_EQUAL(2, h.size());
  h = help_at("show uplinks ", Mode::exec);
  LONGS_EQUAL(1, h.size());
  STRCMP_EQUAL("<cr>", h[0].word.c_str());
  h = help_at("failover force ", Mode::exec);
  STRCMP_EQUAL("wan0|wan1|lte", h[0].word.c_str());
}

TEST(Commands, CompletionFinishesUniqueWordsOnly) {
  std::vector<Choice> ch;
  STRCMP_EQUAL("show uplinks ", complete("show upl", Mode::exec, ch).c_str());
  STRCMP_EQUAL("show ", complete("sh", Mode::exec, ch).c_str());
  STRCMP_EQUAL("show c", complete("show c", Mode::exec, ch).c_str());
  LONGS_EQUAL(4, ch.size());  // calls, capture, config, counters
  STRCMP_EQUAL("failover force lte ", complete("failover force l", Mode::exec, ch).c_str());
  STRCMP_EQUAL("failover force wan", complete("failover force wan", Mode::exec, ch).c_str());
  LONGS_EQUAL(2, ch.size());
}

TEST(Commands, EveryCommandOfTheTableParses) {
  for (Mode m : {Mode::exec, Mode::configure}) {
    for (auto& c : all_commands(m)) {
      std::string line;
      std::vector<Token> toks;
      std::string err;
      size_t pos;
      CHECK(tokenize(c.word, toks, err, pos));
      for (auto& t : toks) {
        std::string w = t.text;
        if (w == "wan0|wan1|lte") w = "wan1";
        else if (w == "<N>") w = "2";
        else if (w == "<SECTION.KEY>") w = "box.name";
        else if (w == "<OPTIONS>") w = "sip+rtp duration 5";
        else if (w.front() == '<') w = "x";
        line += (line.empty() ? "" : " ") + w;
      }
      Parsed p = parse(line, m);
      if (!p.ok) FAIL(("does not parse: " + line + ": " + p.error).c_str());
    }
  }
}
