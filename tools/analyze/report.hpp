// tg-analyze's reports over an Inspector after a capture: JSON for machines
// (names fixed by issue 2: streams, calls, summary; extra fields allowed)
// and a text report for people.
#pragma once
#include <cstdint>
#include <ostream>
#include <string>

#include "dataplane/core/inspector.hpp"
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

void write_json(const Inspector& in, const ReportInfo& info, JsonWriter& w);
void write_text(const Inspector& in, const ReportInfo& info, std::ostream& out);

}  // namespace tg::analyze
