#include "tools/cli/render.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

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

}  // namespace

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
