#include "tools/cli/commands.hpp"
#include "tools/cli/render.hpp"

// CppUTest after the standard headers: its leak detector redefines new.
#include <CppUTest/TestHarness.h>

using namespace tg::cli;

namespace {

std::string joined(const std::vector<std::string>& lines) {
  std::string o;
  for (auto& l : lines) o += l + "\n";
  return o;
}

void fits(const std::vector<std::string>& lines, size_t width) {
  for (auto& l : lines) CHECK_TEXT(l.size() <= width, ("too wide: " + l).c_str());
}

// What tg-controld answers to show.calls (control/diagnose/call_view.cpp).
const char* kCalls = R"J({"calls":[
  {"call_id":"a84b4c76e66710@pbx.example.net","from":"+4930123456","to":"+4940999888","trunk":"carrierA",
   "uplink":"wan0","direction":"outbound","state":"answered","final_code":200,"duration_s":83.4,"setup_s":1.2,
   "media":{"out":{"mos":4.38,"loss_pct":0.0,"jitter_ms":2.1},"in":{"mos":4.4,"loss_pct":0.12,"jitter_ms":3.4}}},
  {"call_id":"b1@pbx","from":"+4930123456789012345678","to":"030123456","trunk":"a-very-long-trunk-name",
   "uplink":"lte","direction":"outbound","state":"ringing","final_code":null,"duration_s":null,"setup_s":4.0,
   "media":{"out":{"mos":null,"loss_pct":null,"jitter_ms":null},"in":{"mos":null,"loss_pct":null,"jitter_ms":null}}}],
  "count":2,"source":"tg-controld (fast path live table)"})J";

}  // namespace

TEST_GROUP(CallsRender){};

TEST(CallsRender, ShowCallsTwoLinesPerCallWithinEightyColumns) {
  auto lines = render_calls(OrderedJson::parse(kCalls));
  fits(lines, 80);
  std::string t = joined(lines);
  CHECK_TEXT(t.find("2 live calls (tg-controld (fast path live table))") == 0, t.c_str());
  CHECK_TEXT(t.find("+4930123456    +4940999888    carrierA   wan0   answered  1:23\n") != std::string::npos, t.c_str());
  CHECK_TEXT(t.find("  4.38/4.40   0.0/0.1        2/3               a84b4c76e66710@pbx.example.net\n") !=
                 std::string::npos,
             t.c_str());
  CHECK_TEXT(t.find("+493012345678~ 030123456      a-very-lo~ lte    ringing   (0:04)\n") != std::string::npos, t.c_str());
  CHECK_TEXT(t.find("  -/-         -/-            -/-               b1@pbx\n") != std::string::npos, t.c_str());
}

TEST(CallsRender, NoCalls) {
  STRCMP_EQUAL("0 live calls (x)\n", joined(render_calls(OrderedJson::parse(R"({"calls":[],"source":"x"})"))).c_str());
}

TEST(CallsRender, DiagnosisWrappedToTheScreen) {
  auto j = OrderedJson::parse(R"({"call_id":"nf@pbx","live":false,"verdict":"number_format",
    "summary":"number unknown or badly formatted",
    "explanation":"404 Not Found: the carrier does not know the dialled number; the dialled number '030123456' has no + or 00 and is shorter than an international number: missing country code?",
    "advice":"dial '030123456' with its country code (+CC...) or make the PBX rewrite national numbers to E.164 for this trunk",
    "also":[{"verdict":"poor_quality","explanation":"PBX -> carrier: MOS 3.10 < 3.6","advice":"check show uplinks"}],
    "call":{"from":"+4930123456","to":"030123456","direction":"outbound","trunk":"carrierA","uplink":"wan0",
            "state":"rejected","final_code":404,"pdd_ms":null,"srd_ms":12,"duration_s":null},
    "source":"call-record store"})");
  auto lines = render_diagnosis(j, 80);
  fits(lines, 80);
  std::string t = joined(lines);
  CHECK_TEXT(t.find("Call      nf@pbx (finished, from call-record store)\n") == 0, t.c_str());
  CHECK_TEXT(t.find("Parties   +4930123456 -> 030123456, outbound, trunk carrierA, uplink wan0\n") != std::string::npos,
             t.c_str());
  CHECK_TEXT(t.find("Outcome   rejected, final 404, PDD -, SRD 12 ms\n") != std::string::npos, t.c_str());
  CHECK_TEXT(t.find("Verdict   number_format: number unknown or badly formatted\n") != std::string::npos, t.c_str());
  CHECK_TEXT(t.find("missing country code?") != std::string::npos, t.c_str());
  CHECK_TEXT(t.find("Also      poor_quality: PBX -> carrier: MOS 3.10 < 3.6\n") != std::string::npos, t.c_str());
  CHECK_TRUE(lines.size() >= 9);  // the long explanation and advice took more than one line each
}

TEST(CallsRender, WrapBreaksAtWordsAndIndents) {
  auto l = wrap("Advice    ", "one two three four five six", 20);
  LONGS_EQUAL(3, l.size());
  STRCMP_EQUAL("Advice    one two", l[0].c_str());
  STRCMP_EQUAL("          three four", l[1].c_str());
  STRCMP_EQUAL("          five six", l[2].c_str());
  STRCMP_EQUAL("x", wrap("x         ", "", 80)[0].c_str());  // no text: the label alone
}

TEST(CallsRender, ExportCommands) {
  Parsed csv = parse("export calls csv", Mode::exec);
  CHECK_TRUE(csv.ok);
  STRCMP_EQUAL("export.calls", csv.request.c_str());
  STRCMP_EQUAL("csv", csv.args["format"].get<std::string>().c_str());
  Parsed since = parse("exp cal js since 2h", Mode::exec);
  CHECK_TRUE_TEXT(since.ok, since.error.c_str());
  STRCMP_EQUAL("json", since.args["format"].get<std::string>().c_str());
  STRCMP_EQUAL("2h", since.args["since"].get<std::string>().c_str());
  Parsed un = parse("export calls csv unexported", Mode::exec);
  CHECK_TRUE(un.ok);
  CHECK_TRUE(un.args["unexported"].get<bool>());
  CHECK_TRUE(un.args["mark"].get<bool>());
  Parsed bad = parse("export calls xml", Mode::exec);
  CHECK_FALSE(bad.ok);
  CHECK_TRUE(bad.error.find("expected: csv, json") != std::string::npos);
  Parsed diag = parse("diag call a84b4c76e66710@pbx.example.net", Mode::exec);
  CHECK_TRUE(diag.ok);
  STRCMP_EQUAL("a84b4c76e66710@pbx.example.net", diag.args["call_id"].get<std::string>().c_str());
}
