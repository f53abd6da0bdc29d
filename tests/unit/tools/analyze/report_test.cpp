// tg-analyze's reports over a real capture (tests/data/callgen_impaired.pcap:
// tg-callgen calls through tg-impair). Expected figures are Wireshark's:
// `tshark -q -z rtp,streams` and the INVITE final responses on that file.
#include "tools/analyze/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>

#include "drivers/capture/packet_source.hpp"

#include <CppUTest/TestHarness.h>

using namespace tg;
using namespace tg::analyze;

namespace {

struct Analysis {
  std::unique_ptr<Inspector> in;
  CallLog calls;
  ReportInfo info;

  explicit Analysis(const std::string& path) {
    InspectorConfig cfg;
    cfg.streams.capacity = 256;
    cfg.streams.expect_capacity = 256;
    cfg.streams.stream_idle = 0;
    cfg.calls.capacity = 64;
    in = std::make_unique<Inspector>(cfg);
    calls.attach(*in);
    std::string err;
    auto src = open_capture_file(path, err);
    CHECK_TEXT(src != nullptr, err.c_str());
    CapturedFrame f;
    while (src->next(f) == SourceResult::frame) in->inspect(f.data, f.link, f.ts);
    in->finish(in->last_seen());
    info.source = path;
  }
  std::string json() const {
    JsonWriter w;
    write_json(*in, calls, info, w);
    CHECK(w.complete());
    return w.str();
  }
};

const std::string kData = TG_TEST_DATA "/callgen_impaired.pcap";

// The JSON object of the stream with this SSRC (fields are written flat
// before the nested "rfc3550" object, so a search from its start is enough).
std::string stream_json(const std::string& doc, const char* ssrc) {
  size_t at = doc.find(std::string("{\"ssrc\":\"") + ssrc + "\"");
  CHECK_TEXT(at != std::string::npos, ssrc);
  return doc.substr(at, doc.find("\"rfc3550\"", at) - at);
}

double number_after(const std::string& obj, const char* key) {
  size_t at = obj.find(std::string("\"") + key + "\":");
  CHECK_TEXT(at != std::string::npos, key);
  return std::strtod(obj.c_str() + at + std::strlen(key) + 3, nullptr);
}

// Wireshark: within 0.1 ms or 2 %.
void jitter_close(double ours, double wireshark) {
  double tol = std::max(0.1, 0.02 * wireshark);
  CHECK_TEXT(std::abs(ours - wireshark) <= tol,
             (std::to_string(ours) + " vs Wireshark " + std::to_string(wireshark)).c_str());
}

}  // namespace

TEST_GROUP(Report){};

TEST(Report, StreamsMatchWiresharkOnARealCapture) {
  Analysis a(kData);
  std::string doc = a.json();
  struct Want {
    const char* ssrc;
    const char* head;  // identity, packets, expected, lost as Wireshark counts them
    double mean_jitter, max_jitter;
  } want[] = {
      {"0x84077a4d", R"("src":"192.0.2.2:20006","dst":"192.0.2.1:20006","payload_type":0,"codec":"PCMU","packets":6,"expected":7,"lost":1,)", 1.577, 2.546},
      {"0xb640a4b5", R"("src":"192.0.2.1:20006","dst":"192.0.2.2:20006","payload_type":0,"codec":"PCMU","packets":7,"expected":6,"lost":-1,)", 2.464, 4.480},
      {"0x60f2a800", R"("packets":11,"expected":13,"lost":2,)", 4.371, 6.494},
      {"0x1982964f", R"("packets":12,"expected":14,"lost":2,)", 4.141, 6.848},
      {"0x41964c61", R"("packets":18,"expected":19,"lost":1,)", 3.449, 5.750},
      {"0x15310667", R"("packets":19,"expected":19,"lost":0,)", 4.071, 8.116},
      {"0x9befee25", R"("packets":21,"expected":23,"lost":2,)", 4.813, 8.259},
      {"0xcc8aa8e1", R"("packets":25,"expected":25,"lost":0,)", 5.439, 7.453},
  };
  for (const Want& w : want) {
    std::string s = stream_json(doc, w.ssrc);
    CHECK_TEXT(s.find(w.head) != std::string::npos, (s + "\nwant: " + w.head).c_str());
    jitter_close(number_after(s, "mean_jitter_ms"), w.mean_jitter);
    jitter_close(number_after(s, "max_jitter_ms"), w.max_jitter);
    CHECK_TEXT(s.find("\"call_id\":\"") != std::string::npos, "stream not linked to its call");
  }
  CHECK(doc.find(R"("summary":{"packets":191,"malformed":0,"calls":6,"streams":8,)") != std::string::npos);
}

TEST(Report, CallsCarryOutcomeCodeAndTheirStreams) {
  Analysis a(kData);
  std::string doc = a.json();
  for (const char* id : {"dgqi5otmlsuf97ax", "9sslt0q8mnbpch37", "y54odviyxxxi62c4", "b1nx47rloquf2auc"}) {
    size_t at = doc.find(std::string("{\"call_id\":\"") + id + "@tg-callgen\"");
    CHECK_TEXT(at != std::string::npos, id);
    std::string call = doc.substr(at, doc.find('}', at) - at);
    CHECK_TEXT(call.find(R"("state":"answered","final_code":200,)") != std::string::npos, call.c_str());
    CHECK_TEXT(call.find(R"("from":"tgcaller","to":"tgcallee")") != std::string::npos, call.c_str());
    // Two SSRCs, one per direction, each a stream of the report.
    size_t list = call.find("\"streams\":[\"0x");
    CHECK_TEXT(list != std::string::npos, call.c_str());
    CHECK(call.find("\",\"0x", list) != std::string::npos);
  }
  for (const char* id : {"kgtvkhnzt3vfd3xw", "s1znakue8iquaarb"}) {
    size_t at = doc.find(std::string("{\"call_id\":\"") + id + "@tg-callgen\"");
    CHECK_TEXT(at != std::string::npos, id);
    std::string call = doc.substr(at, 400);
    CHECK_TEXT(call.find(R"("state":"busy","final_code":486,)") != std::string::npos, call.c_str());
    CHECK_TEXT(call.find(R"("duration_s":null,"transfer":null,"streams":[])") != std::string::npos, call.c_str());
  }
}

TEST(Report, TextReportForPeople) {
  Analysis a(kData);
  std::ostringstream out;
  write_text(*a.in, a.calls, a.info, out);
  std::string text = out.str();
  CHECK(text.find("Calls: 6\n") != std::string::npos);
  CHECK(text.find("RTP streams: 8\n") != std::string::npos);
  CHECK(text.find("0x84077a4d") != std::string::npos);
  CHECK(text.find("Summary: 191 frames, 0 malformed, 6 calls, 8 RTP streams") != std::string::npos);
  CHECK(text.find(" busy ") != std::string::npos);
}

TEST(Report, ReadErrorAndEmptyInputAreReported) {
  InspectorConfig cfg;
  cfg.streams.capacity = 8;
  cfg.streams.expect_capacity = 8;
  cfg.calls.capacity = 4;
  Inspector in(cfg);
  CallLog calls;
  calls.attach(in);
  in.finish(0);
  ReportInfo info;
  info.source = "x.pcap";
  info.read_error = "truncated dump file";
  JsonWriter w;
  write_json(in, calls, info, w);
  CHECK(w.str().find(R"("streams":[],"calls":[],"summary":{"packets":0,"malformed":0,"calls":0,"streams":0,)") !=
        std::string::npos);
  CHECK(w.str().find(R"("read_error":"truncated dump file")") != std::string::npos);
  std::ostringstream out;
  write_text(in, calls, info, out);
  CHECK(out.str().find("input failed part way: truncated dump file") != std::string::npos);
}

TEST(Report, SsrcTextIsEightLowercaseHexDigits) {
  STRCMP_EQUAL("0x0000abcd", ssrc_text(0xABCD).c_str());
  STRCMP_EQUAL("0xffffffff", ssrc_text(0xFFFFFFFF).c_str());
}
