// tg-analyze's reports over an Inspector after a capture: JSON for machines
// (names fixed by issue 2: streams, calls, summary; extra fields allowed)
// and a text report for people.
#pragma once
#include <cstdint>
#include <ostream>
#include <string>

#include "dataplane/core/inspector.hpp"
#include "tools/analyze/call_log.hpp"
#include "tools/analyze/json_writer.hpp"

namespace tg::analyze {

struct ReportInfo {
  std::string source;          // file name or interface
  bool live = false;
  uint64_t kernel_dropped = 0; // live capture: frames the kernel dropped
  uint64_t snapped = 0;        // frames cut by the capture's snaplen
  std::string read_error;      // non-empty: input failed part way
};

// "0x1234abcd"
std::string ssrc_text(uint32_t ssrc);

// What a call's outcome is called in reports: "answered" for a 2xx (ended
// or not; "ended" and "hangup" say the rest), else the call table's state.
const char* call_outcome_name(const Call& c);

// `in` after finish(), `calls` attached to it before the first frame.
void write_json(const Inspector& in, const CallLog& calls, const ReportInfo& info, JsonWriter& w);
void write_text(const Inspector& in, const CallLog& calls, const ReportInfo& info, std::ostream& out);

}  // namespace tg::analyze
