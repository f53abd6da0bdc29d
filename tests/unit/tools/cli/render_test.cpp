#include "tools/cli/line_editor.hpp"
#include "tools/cli/render.hpp"

// CppUTest after the standard headers: its leak detector redefines new.
#include <CppUTest/TestHarness.h>

using namespace tg::cli;

TEST_GROUP(Render){};

static std::string joined(const std::vector<std::string>& lines) {
  std::string o;
  for (auto& l : lines) o += l + "\n";
  return o;
}

TEST(Render, KeyValuesAligned) {
  auto j = OrderedJson::parse(R"({"name":"tg-virtual","uptime_s":12.0,"fast_path":true,"version":"1.2"})");
  STRCMP_EQUAL("Name:      tg-virtual\nUptime s:  12\nFast path: yes\nVersion:   1.2\n", joined(render(j)).c_str());
}

TEST(Render, ArrayOfObjectsIsATable) {
  auto j = OrderedJson::parse(R"({"uplinks":[{"name":"wan0","state":"up","rtt_ms":1.234},
                                             {"name":"wan1","state":"down","rtt_ms":null}]})");
  std::string t = joined(render(j));
  STRCMP_EQUAL("Uplinks:\n  name  state  rtt_ms\n  ----  -----  ------\n  wan0  up     1.23\n  wan1  down   -\n",
               t.c_str());
}

TEST(Render, TooWideTablesBecomeRecords) {
  std::string wide(76, 'x');
  auto j = OrderedJson::array({{{"a", wide}, {"b", "short"}}, {{"a", "y"}, {"b", "z"}}});
  auto lines = render(j, 80);
  STRCMP_EQUAL(("A: " + wide).c_str(), lines[0].c_str());
  STRCMP_EQUAL("B: short", lines[1].c_str());
  STRCMP_EQUAL("", lines[2].c_str());
  for (auto& l : lines) CHECK(l.size() <= 80);
}

TEST(Render, MultilineTextKeptAsIs) {
  auto j = OrderedJson::parse(R"({"diff":"--- running\n+++ candidate\n-a = 1\n+a = 2\n"})");
  STRCMP_EQUAL("Diff:\n  --- running\n  +++ candidate\n  -a = 1\n  +a = 2\n", joined(render(j)).c_str());
  STRCMP_EQUAL("(none)\n", joined(render(OrderedJson::array())).c_str());
}

TEST(Render, FiltersIgnoreCase) {
  std::vector<std::string> l = {"wan0 up", "WAN1 down", "lte down"};
  auto inc = apply_filters(l, {{Filter::include, "wan"}});
  LONGS_EQUAL(2, inc.size());
  auto both = apply_filters(l, {{Filter::include, "down"}, {Filter::exclude, "lte"}});
  LONGS_EQUAL(1, both.size());
  STRCMP_EQUAL("WAN1 down", both[0].c_str());
}

TEST(Render, ErrorCaretUnderTheColumn) {
  auto e = error_lines("show uplnks", 5, "unknown word 'uplnks'", 4);
  STRCMP_EQUAL("         ^", e[0].c_str());
  STRCMP_EQUAL("% unknown word 'uplnks' (at column 6)", e[1].c_str());
  e = error_lines("x", std::string::npos, "tg-controld is not running", 0);
  LONGS_EQUAL(1, e.size());
}

TEST_GROUP(LineEditor) {
  LineEditor ed{[](std::string_view l) { return help_at(l, Mode::exec); },
                [](std::string_view l, std::vector<Choice>& c) { return complete(l, Mode::exec, c); }};
  std::string out;
  LineEditor::Status type(const std::string& keys) {
    LineEditor::Status s = LineEditor::Status::editing;
    for (char k : keys) s = ed.feed(k, out);
    return s;
  }
};

TEST(LineEditor, TypingEditingAndEnter) {
  ed.begin("tg> ", out);
  CHECK(type("show upX\x7fl") == LineEditor::Status::editing);
  STRCMP_EQUAL("show upl", ed.line().c_str());
  CHECK(type("\x01\x1b[C\x1b[C\x1b[C\x1b[C\x1b[3~") == LineEditor::Status::editing);  // Home, 4x right, Delete
  STRCMP_EQUAL("showupl", ed.line().c_str());
  type("\x05\x15");  // End, Ctrl-U
  STRCMP_EQUAL("", ed.line().c_str());
  CHECK(type("sh ver\r") == LineEditor::Status::done);
  STRCMP_EQUAL("sh ver", ed.line().c_str());
}

TEST(LineEditor, TabCompletesAndQuestionMarkHelps) {
  ed.begin("tg> ", out);
  type("sh upl\t");
  STRCMP_EQUAL("sh uplinks ", ed.line().c_str());
  out.clear();
  type("?");
  STRCMP_EQUAL("sh uplinks ", ed.line().c_str());  // '?' is never text
  CHECK(out.find("<cr>") != std::string::npos);
  out.clear();
  ed.begin("tg> ", out);
  type("show c\t");
  CHECK(out.find("counters") != std::string::npos);
  STRCMP_EQUAL("show c", ed.line().c_str());
}

TEST(LineEditor, HistoryUpDownKeepsTheDraft) {
  ed.remember("show version");
  ed.remember("show uplinks");
  ed.remember("show uplinks");  // repeated: kept once
  LONGS_EQUAL(2, ed.history().size());
  ed.begin("tg> ", out);
  type("show al");
  type("\x1b[A");
  STRCMP_EQUAL("show uplinks", ed.line().c_str());
  type("\x1b[A\x1b[A");
  STRCMP_EQUAL("show version", ed.line().c_str());
  type("\x1b[B\x1b[B");
  STRCMP_EQUAL("show al", ed.line().c_str());
}

TEST(LineEditor, CtrlCCancelsCtrlDLeavesOnEmptyLine) {
  ed.begin("tg> ", out);
  CHECK(type("show\x03") == LineEditor::Status::cancelled);
  ed.begin("tg> ", out);
  CHECK(type("\x04") == LineEditor::Status::eof);
}

TEST(Render, WideTablesDropTheLeastImportantColumnsFirst) {
  auto row = [](const char* n) {
    return OrderedJson{{"address", "198.51.100.18/28"}, {"carrier", "Carrier B long name"}, {"configured", true},
                       {"device", "wan1-device"}, {"enabled", true}, {"name", n}, {"priority", 2},
                       {"role", "wan"}, {"state", "up"}, {"rtt_ms", 12.5}};
  };
  auto lines = render(OrderedJson::array({row("wan0"), row("wan1")}), 80);
  for (auto& l : lines) CHECK(l.size() <= 80);
  CHECK(lines[0].find("name") != std::string::npos);
  CHECK(lines[0].find("state") != std::string::npos);
  CHECK(lines[0].find("rtt_ms") != std::string::npos);
  CHECK(lines.back().find("more columns") != std::string::npos);
}
