#include "tools/cli/render.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace tg::cli {
namespace {

std::string title(const std::string& key) {
  std::string t = key;
  std::replace(t.begin(), t.end(), '_', ' ');
  if (!t.empty()) t[0] = char(std::toupper(static_cast<unsigned char>(t[0])));
  return t;
}

std::string scalar(const OrderedJson& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_number_float()) {
    double d = v.get<double>();
    char b[32];
    if (std::fabs(d - std::round(d)) < 1e-9 && std::fabs(d) < 1e15) std::snprintf(b, sizeof b, "%.0f", d);
    else std::snprintf(b, sizeof b, "%.2f", d);
    return b;
  }
  if (v.is_number()) return v.dump();
  if (v.is_array()) {
    std::string o;
    for (auto& e : v) o += (o.empty() ? "" : ", ") + scalar(e);
    return o.empty() ? "-" : o;
  }
  return v.dump();
}

bool is_scalarish(const OrderedJson& v) {
  if (!v.is_array()) return !v.is_object();
  return std::all_of(v.begin(), v.end(), [](auto& e) { return !e.is_object() && !e.is_array(); });
}

void split_lines(const std::string& text, const std::string& indent, std::vector<std::string>& out) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      if (start < text.size()) out.push_back(indent + text.substr(start));
      break;
    }
    out.push_back(indent + text.substr(start, nl - start));
    start = nl + 1;
  }
}

void render_into(const OrderedJson& v, const std::string& indent, size_t width, std::vector<std::string>& out);

// Columns a technician reads first; when a table is wider than the screen
// the others go (all of them stay in --json and in the record layout).
int column_rank(const std::string& c) {
  static const char* kFirst[] = {"name", "uplink", "trunk", "id", "call_id", "active", "state", "link", "severity",
                                 "object", "rtt_ms", "loss_pct", "jitter_ms", "mos", "calls", "since", "time",
                                 "from", "to", "reason", "text", "carrier", "final_code", "duration_s"};
  for (size_t i = 0; i < sizeof kFirst / sizeof *kFirst; ++i)
    if (c == kFirst[i]) return int(i);
  return 1000;
}

void render_table(const OrderedJson& rows, const std::string& indent, size_t width, std::vector<std::string>& out) {
  std::vector<std::string> cols;
  for (auto& r : rows)
    for (auto it = r.begin(); it != r.end(); ++it)
      if (is_scalarish(it.value()) && std::find(cols.begin(), cols.end(), it.key()) == cols.end())
        cols.push_back(it.key());
  std::vector<size_t> w(cols.size());
  auto measure = [&] {
    w.assign(cols.size(), 0);
    size_t total = indent.size();
    for (size_t c = 0; c < cols.size(); ++c) {
      w[c] = cols[c].size();
      for (auto& r : rows) w[c] = std::max(w[c], r.contains(cols[c]) ? scalar(r[cols[c]]).size() : 1);
      total += w[c] + 2;
    }
    return total;
  };
  size_t total = measure();
  size_t dropped = 0;
  // Drop the least important columns while too wide, keeping at least three
  // of the ranked ones; tables with no ranked column keep the record layout.
  while (total > width && cols.size() > 3) {
    auto worst = std::max_element(cols.begin(), cols.end(),
                                  [](auto& a, auto& b) { return column_rank(a) < column_rank(b); });
    if (column_rank(*worst) == 1000 && std::none_of(cols.begin(), cols.end(), [](auto& c) { return column_rank(c) < 1000; }))
      break;
    cols.erase(worst);
    ++dropped;
    total = measure();
  }
  bool nested = false;
  for (auto& r : rows)
    for (auto it = r.begin(); it != r.end(); ++it) nested |= !is_scalarish(it.value());
  if (total > width || nested) {
    // Too wide for the terminal (or with nested parts): one block per row.
    bool first = true;
    for (auto& r : rows) {
      if (!first) out.push_back("");
      first = false;
      render_into(r, indent, width, out);
    }
    return;
  }
  auto row_line = [&](auto cell) {
    std::string l = indent;
    for (size_t c = 0; c < cols.size(); ++c) {
      std::string s = cell(c);
      l += s + std::string(w[c] - s.size() + (c + 1 < cols.size() ? 2 : 0), ' ');
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    return l;
  };
  out.push_back(row_line([&](size_t c) { return cols[c]; }));
  out.push_back(row_line([&](size_t c) { return std::string(w[c], '-'); }));
  for (auto& r : rows) out.push_back(row_line([&](size_t c) { return r.contains(cols[c]) ? scalar(r[cols[c]]) : "-"; }));
  if (dropped) out.push_back(indent + "(" + std::to_string(dropped) + " more columns: add --json, or | include a name)");
}

void render_into(const OrderedJson& v, const std::string& indent, size_t width, std::vector<std::string>& out) {
  if (v.is_string()) {
    split_lines(v.get<std::string>(), indent, out);
    return;
  }
  if (v.is_array()) {
    if (v.empty()) {
      out.push_back(indent + "(none)");
    } else if (is_scalarish(v)) {
      for (auto& e : v) split_lines(scalar(e), indent, out);
    } else {
      render_table(v, indent, width, out);
    }
    return;
  }
  if (!v.is_object()) {
    out.push_back(indent + scalar(v));
    return;
  }
  size_t keyw = 0;
  for (auto it = v.begin(); it != v.end(); ++it)
    if (is_scalarish(it.value()) && !(it.value().is_string() && it.value().get<std::string>().find('\n') != std::string::npos))
      keyw = std::max(keyw, title(it.key()).size());
  for (auto it = v.begin(); it != v.end(); ++it) {
    const auto& val = it.value();
    bool multiline = val.is_string() && val.get<std::string>().find('\n') != std::string::npos;
    if (is_scalarish(val) && !multiline) {
      std::string t = title(it.key());
      out.push_back(indent + t + ":" + std::string(keyw - t.size() + 1, ' ') + scalar(val));
    } else {
      out.push_back(indent + title(it.key()) + ":");
      render_into(val, indent + "  ", width, out);
    }
  }
}

std::string lower(const std::string& s) {
  std::string o = s;
  for (auto& c : o) c = char(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

std::string str(const OrderedJson& j, const char* key, const char* none = "-") {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return none;
  return scalar(j[key]);
}

std::string fixed(double v, int decimals) {
  char b[32];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return b;
}

// "4.38/4.40" from media.out.KEY and media.in.KEY.
std::string pair(const OrderedJson& call, const char* key, int decimals) {
  auto one = [&](const char* dir) {
    if (!call.contains("media") || !call["media"].contains(dir)) return std::string("-");
    const auto& m = call["media"][dir];
    if (!m.contains(key) || !m[key].is_number()) return std::string("-");
    return fixed(m[key].get<double>(), decimals);
  };
  return one("out") + "/" + one("in");
}

// Seconds as m:ss or h:mm:ss.
std::string clock_text(const OrderedJson& v) {
  if (!v.is_number()) return "-";
  long s = std::lround(v.get<double>());
  char b[32];
  if (s >= 3600) std::snprintf(b, sizeof b, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(b, sizeof b, "%ld:%02ld", s / 60, s % 60);
  return b;
}

// Unix ms as local HH:MM:SS.mmm (the console's time zone).
std::string wall_time_text(int64_t ms) {
  const time_t t = time_t(ms / 1000);
  struct tm tm {};
  localtime_r(&t, &tm);
  char b[32];
  std::snprintf(b, sizeof b, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms % 1000));
  return b;
}

// Left-aligned in w columns, the last one kept blank as the separator.
std::string cell(std::string s, size_t w) {
  if (s.size() + 1 > w) s = s.substr(0, w - 2) + "~";
  return s + std::string(w - s.size(), ' ');
}

std::string clip(std::string s, size_t width) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  if (s.size() > width) s = s.substr(0, width - 1) + "~";
  return s;
}

}  // namespace

std::vector<std::string> wrap(const std::string& first, const std::string& text, size_t width) {
  std::vector<std::string> out;
  std::string indent(first.size(), ' ');
  std::string line = first;
  bool empty = true;
  size_t i = 0;
  while (i < text.size()) {
    size_t sp = text.find(' ', i);
    std::string word = text.substr(i, sp == std::string::npos ? std::string::npos : sp - i);
    i = sp == std::string::npos ? text.size() : sp + 1;
    if (word.empty()) continue;
    if (!empty && line.size() + 1 + word.size() > width) {
      out.push_back(line);
      line = indent;
      empty = true;
    }
    line += (empty ? "" : " ") + word;
    empty = false;
  }
  if (!empty || out.empty()) out.push_back(clip(line, width));
  for (auto& l : out) l = clip(l, width);
  return out;
}

std::vector<std::string> render_calls(const OrderedJson& r, size_t width) {
  std::vector<std::string> out;
  const OrderedJson calls = r.contains("calls") && r["calls"].is_array() ? r["calls"] : OrderedJson::array();
  std::string head = std::to_string(calls.size()) + (calls.size() == 1 ? " live call" : " live calls");
  if (r.contains("source")) head += " (" + str(r, "source") + ")";
  out.push_back(clip(head, width));
  if (calls.empty()) return out;
  out.push_back(clip(cell("Caller", 15) + cell("Callee", 15) + cell("Trunk", 11) + cell("Uplink", 7) +
                         cell("State", 10) + "Time",
                     width));
  out.push_back(clip("  MOS out/in  Loss % out/in  Jitter ms out/in  Call-ID", width));
  out.push_back(std::string(std::min<size_t>(width, 64), '-'));
  for (const auto& c : calls) {
    std::string time = c.contains("duration_s") && c["duration_s"].is_number()
                           ? clock_text(c["duration_s"])
                           : "(" + (c.contains("setup_s") ? clock_text(c["setup_s"]) : std::string("-")) + ")";
    out.push_back(clip(cell(str(c, "from"), 15) + cell(str(c, "to"), 15) + cell(str(c, "trunk"), 11) +
                           cell(str(c, "uplink"), 7) + cell(str(c, "state"), 10) + time,
                       width));
    out.push_back(clip("  " + cell(pair(c, "mos", 2), 12) + cell(pair(c, "loss_pct", 1), 15) +
                           cell(pair(c, "jitter_ms", 0), 18) + str(c, "call_id"),
                       width));
  }
  out.push_back(clip("out = PBX -> carrier, in = carrier -> PBX; (m:ss) = still ringing", width));
  return out;
}

std::vector<std::string> render_diagnosis(const OrderedJson& r, size_t width) {
  std::vector<std::string> out;
  auto add = [&](const std::string& label, const std::string& text) {
    for (auto& l : wrap(cell(label, 10), text, width)) out.push_back(l);
  };
  const OrderedJson call = r.contains("call") ? r["call"] : OrderedJson::object();
  bool live = r.value("live", false);
  add("Call", str(r, "call_id") + " (" + (live ? "live" : "finished") +
                  (r.contains("source") ? ", from " + str(r, "source") : std::string()) + ")");
  if (!call.empty()) {
    add("Parties", str(call, "from") + " -> " + str(call, "to") + ", " + str(call, "direction") + ", trunk " +
                       str(call, "trunk") + ", uplink " + str(call, "uplink"));
    std::string outcome = str(call, "state");
    auto ms = [&](const char* k) { return str(call, k) == "-" ? std::string("-") : str(call, k) + " ms"; };
    bool talked = call.contains("duration_s") && call["duration_s"].is_number();
    if (str(call, "final_code") != "-") outcome += ", final " + str(call, "final_code");
    outcome += ", PDD " + ms("pdd_ms") + ", SRD " + ms("srd_ms");
    if (talked) outcome += ", talk " + clock_text(call["duration_s"]);
    add("Outcome", outcome);
    if (talked)
      add("Media", "MOS " + pair(call, "mos", 2) + ", loss " + pair(call, "loss_pct", 1) + " %, jitter " +
                       pair(call, "jitter_ms", 0) + " ms (out/in)");
    if (call.contains("media") && call["media"].contains("out") && call["media"].contains("in")) {
      const auto& mo = call["media"]["out"];
      const auto& mi = call["media"]["in"];
      if (mo.contains("rtp_packets"))
        add("Packets", "RTP " + str(mo, "rtp_packets") + "/" + str(mi, "rtp_packets") + " in " + str(mo, "streams") +
                           "/" + str(mi, "streams") + " streams, DTMF " + str(mo, "dtmf_events") + "/" +
                           str(mi, "dtmf_events") + " digits in " + str(mo, "dtmf_packets") + "/" +
                           str(mi, "dtmf_packets") + " packets (out/in)");
    }
    if (call.contains("uplinks") && call["uplinks"].is_array() && call["uplinks"].size() > 1) {
      std::string ups;
      for (const auto& u : call["uplinks"])
        ups += (ups.empty() ? "" : ", then ") + str(u, "uplink") + " from " +
               (u.contains("since_unix_ms") && u["since_unix_ms"].is_number()
                    ? wall_time_text(u["since_unix_ms"].get<int64_t>())
                    : std::string("?"));
      add("Uplinks", ups);
    }
    if (call.contains("bye_code") && call["bye_code"].is_number())
      add("Hang-up", "BYE answered " + str(call, "bye_code") +
                         (call.value("ack_seen", true) ? std::string() : ", the answer was never ACKed"));
    if (call.contains("transfer"))
      add("Transfer", str(call["transfer"], "kind") + " to " + str(call["transfer"], "target") + ": " +
                          str(call["transfer"], "result") + " " + str(call["transfer"], "code"));
  }
  add("Verdict", str(r, "verdict") + ": " + str(r, "summary"));
  add("", str(r, "explanation", ""));
  add("Advice", str(r, "advice", ""));
  if (r.contains("also") && r["also"].is_array())
    for (const auto& f : r["also"]) {
      add("Also", str(f, "verdict") + ": " + str(f, "explanation", ""));
      add("", str(f, "advice", ""));
    }
  return out;
}

std::vector<std::string> render(const OrderedJson& result, size_t width) {
  std::vector<std::string> out;
  render_into(result, "", width, out);
  return out;
}

std::vector<std::string> apply_filters(const std::vector<std::string>& lines, const std::vector<Filter>& filters) {
  std::vector<std::string> out;
  for (auto& l : lines) {
    std::string ll = lower(l);
    bool keep = true;
    for (auto& f : filters) {
      bool has = ll.find(lower(f.word)) != std::string::npos;
      if ((f.kind == Filter::include) != has) keep = false;
    }
    if (keep) out.push_back(l);
  }
  return out;
}

std::vector<std::string> error_lines(const std::string& line, size_t pos, const std::string& message,
                                     size_t prompt_width) {
  std::vector<std::string> out;
  if (pos != std::string::npos && pos <= line.size()) out.push_back(std::string(prompt_width + pos, ' ') + "^");
  out.push_back("% " + message + (pos != std::string::npos && pos <= line.size()
                                      ? " (at column " + std::to_string(pos + 1) + ")"
                                      : ""));
  return out;
}

}  // namespace tg::cli
