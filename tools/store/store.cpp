// tg-store: read the control daemon's event / call-record store from a shell:
// export call records or events as CSV or JSON (optionally only what was not
// exported yet, marking it), list fault reports and the alarm history.
#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>
#include <string>

#include "control/store/store.hpp"

namespace po = boost::program_options;
namespace al = tg::alarm;
using namespace tg::store;

static const char* kUsage =
    "usage: tg-store --db PATH COMMAND [options]\n"
    "  export calls|events [--format csv|json] [--since MS] [--until MS] [--unexported [--mark]] [--out FILE]\n"
    "  faults [--json] [--last N]        fault reports, newest last\n"
    "  alarms [--active] [--last N]      alarm history, or the active list\n";

int main(int argc, char** argv) {
  std::string db, command, what, format = "csv", out_path;
  int64_t since = 0, until = INT64_MAX;
  size_t last = 100;
  bool unexported = false, mark = false, json = false, active = false;
  po::options_description opts("options");
  opts.add_options()("help,h", "this help")("db", po::value(&db), "store database (the [store] path)")(
      "format", po::value(&format), "csv | json")("since", po::value(&since), "from this time (ms since epoch)")(
      "until", po::value(&until), "before this time (ms since epoch)")(
      "unexported", po::bool_switch(&unexported), "calls not exported before")(
      "mark", po::bool_switch(&mark), "mark the exported calls as exported")(
      "out", po::value(&out_path), "write to FILE instead of stdout")("json", po::bool_switch(&json), "JSON")(
      "active", po::bool_switch(&active), "alarms: only the active ones")("last", po::value(&last), "at most N")(
      "command", po::value(&command), "")("what", po::value(&what), "");
  po::positional_options_description pos;
  pos.add("command", 1).add("what", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "tg-store: " << e.what() << "\n" << kUsage;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << kUsage << opts;
    return 0;
  }
  if (db.empty() || command.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  Store st;
  std::string err;
  if (!st.open({db}, err)) {
    std::cerr << "tg-store: " << err << "\n";
    return 1;
  }

  if (command == "export") {
    if ((what != "calls" && what != "events") || (format != "csv" && format != "json")) {
      std::cerr << "tg-store: export calls|events, --format csv|json\n";
      return 2;
    }
    std::ofstream file;
    if (!out_path.empty()) {
      file.open(out_path, std::ios::binary | std::ios::trunc);
      if (!file) {
        std::cerr << "tg-store: " << out_path << ": cannot write\n";
        return 1;
      }
    }
    std::ostream& out = out_path.empty() ? std::cout : file;
    ExportQuery q;
    q.since_ms = since;
    q.until_ms = until;
    q.only_unexported = unexported;
    q.mark_exported = mark;
    Format f = format == "json" ? Format::json : Format::csv;
    int64_t n = what == "calls" ? st.export_calls(out, f, q) : st.export_events(out, f, q);
    if (n < 0) {
      std::cerr << "tg-store: export failed: " << st.last_error() << "\n";
      return 1;
    }
    std::cerr << "tg-store: " << n << " " << what << " exported\n";
    return 0;
  }
  if (command == "faults") {
    auto reports = st.fault_reports(last);
    if (json) std::cout << "[";
    for (size_t i = 0; i < reports.size(); ++i) {
      if (json)
        std::cout << (i ? ",\n" : "\n") << to_json(reports[i]);
      else
        std::cout << to_text(reports[i]) << "\n";
    }
    if (json) std::cout << (reports.empty() ? "]\n" : "\n]\n");
    if (auto open = st.open_fault_since(); open && !json)
      std::cout << "fault in progress since " << al::text::iso8601(*open) << "\n";
    return 0;
  }
  if (command == "alarms") {
    if (active) {
      for (const auto& a : st.active_alarms())
        std::cout << "#" << a.id << " " << al::severity_name(a.severity) << " since "
                  << al::text::iso8601(a.raised_ms) << "  " << a.text << "\n";
    } else {
      for (const auto& r : st.alarm_history(last))
        std::cout << al::text::iso8601(r.time_ms) << " #" << r.alarm_id << " " << al::transition_name(r.transition)
                  << " " << al::severity_name(r.severity) << "  " << r.text << "\n";
    }
    return 0;
  }
  std::cerr << "tg-store: unknown command " << command << "\n" << kUsage;
  return 2;
}
