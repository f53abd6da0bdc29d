#include "control/config/store.hpp"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "control/config/atomic_file.hpp"
#include "control/config/schema.hpp"

namespace tg::config {

namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

std::string seq_name(uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%010llu", static_cast<unsigned long long>(seq));
  return buf;
}

// Sequence numbers of the history files, newest first.
std::vector<uint64_t> list_history(const std::string& dir) {
  std::vector<uint64_t> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() != 15 || name.compare(10, 5, ".conf") != 0) continue;
    if (!std::all_of(name.begin(), name.begin() + 10, [](char c) { return c >= '0' && c <= '9'; })) continue;
    out.push_back(std::strtoull(name.substr(0, 10).c_str(), nullptr, 10));
  }
  ::closedir(d);
  std::sort(out.rbegin(), out.rend());
  return out;
}

// Meta line of a history entry: "TIME\tUSER\tCOMMENT". Tabs and newlines in
// the comment would break it, so they become spaces.
std::string clean(std::string s) {
  for (char& c : s)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return s;
}

}  // namespace

std::string unified_diff(const std::string& from, const std::string& to, const std::string& from_name,
                         const std::string& to_name) {
  if (from == to) return {};
  std::vector<std::string> a = split_lines(from), b = split_lines(to);
  // LCS table; configuration files are small (the loader caps them), so the
  // quadratic table is fine here.
  size_t n = a.size(), m = b.size();
  std::vector<std::vector<uint32_t>> lcs(n + 1, std::vector<uint32_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;)
    for (size_t j = m; j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  struct Op {
    char kind;  // ' ', '-', '+'
    size_t ai, bi;
  };
  std::vector<Op> ops;
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      ops.push_back({' ', i++, j++});
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      ops.push_back({'-', i++, j});  // removals before additions, as diff -u
    } else {
      ops.push_back({'+', i, j++});
    }
  }
  std::string out = "--- " + from_name + "\n+++ " + to_name + "\n";
  const size_t context = 3;
  size_t k = 0;
  while (k < ops.size()) {
    while (k < ops.size() && ops[k].kind == ' ') ++k;
    if (k == ops.size()) break;
    size_t start = k >= context ? k - context : 0;
    // Extend the hunk while changes are closer than 2*context lines apart.
    size_t end = k;
    while (end < ops.size()) {
      if (ops[end].kind != ' ') {
        ++end;
        continue;
      }
      size_t run = end;
      while (run < ops.size() && ops[run].kind == ' ') ++run;
      if (run == ops.size() || run - end > 2 * context) {
        end = std::min(ops.size(), end + context);
        break;
      }
      end = run;
    }
    size_t a_start = ops[start].ai, b_start = ops[start].bi, a_len = 0, b_len = 0;
    std::string body;
    for (size_t x = start; x < end; ++x) {
      const Op& op = ops[x];
      if (op.kind != '+') ++a_len;
      if (op.kind != '-') ++b_len;
      body += op.kind;
      body += op.kind == '+' ? b[op.bi] : a[op.ai];
      body += '\n';
    }
    out += "@@ -" + std::to_string(a_len ? a_start + 1 : a_start) + "," + std::to_string(a_len) + " +" +
           std::to_string(b_len ? b_start + 1 : b_start) + "," + std::to_string(b_len) + " @@\n" + body;
    k = end;
  }
  return out;
}

std::string mask_secrets(const std::string& text) {
  std::vector<ConfigError> ignored;
  IniDocument doc = IniDocument::parse(text, "mask", ignored);
  bool any = false;
  for (const auto& e : doc.entries()) {
    const SectionSpec* s = find_section(e.section);
    const OptionSpec* o = s ? find_option(*s, e.key) : nullptr;
    if (o && o->type == ValueType::secret && !e.value.empty()) {
      doc.set(e.section, e.key, "********");
      any = true;
    }
  }
  return any ? doc.render() : text;
}

LoadResult ConfigStore::open(const Options& options) {
  options_ = options;
  LoadResult r = load_config_file(options.running_path, options.overrides);
  if (!r.ok()) return r;
  std::string text, why;
  read_file(options.running_path, text, why);
  history_dir_ = options.history_dir.empty() ? r.config->box.state_dir + "/config-history" : options.history_dir;
  if (!make_dirs(history_dir_, why)) {
    r.errors.push_back({{history_dir_, 0}, "history directory: " + why});
    r.config.reset();
    return r;
  }
  running_ = r.config;
  running_text_ = text;
  std::vector<ConfigError> ignored;
  candidate_ = IniDocument::parse(text, "candidate", ignored);
  auto seqs = list_history(history_dir_);
  next_sequence_ = seqs.empty() ? 1 : seqs.front() + 1;
  // History entry 0 must be what runs: record the file if it was changed
  // outside the console (or on first start).
  std::string newest;
  if (seqs.empty() || !read_file(history_dir_ + "/" + seq_name(seqs.front()) + ".conf", newest, why) ||
      newest != text) {
    if (!record(text, "startup", "loaded from " + options.running_path, 0, why)) {
      r.errors.push_back({{history_dir_, 0}, "cannot record the running configuration: " + why});
      r.config.reset();
      running_.reset();
      return r;
    }
  }
  prune();
  return r;
}

LoadResult ConfigStore::open_last_good(const Options& options, std::string& source) {
  options_ = options;
  // Where the history is: as the rejected file (or --state-dir) says, read
  // without validation; else the schema's default state_dir.
  std::string state_dir, rejected, text, why;
  read_file(options.running_path, rejected, why);
  std::vector<ConfigError> ignored;
  const IniDocument rejected_doc = IniDocument::parse(rejected, options.running_path, ignored);
  for (const Override& o : options.overrides)
    if (o.section == "box" && o.key == "state_dir") state_dir = o.value;
  if (auto v = rejected_doc.get("box", "state_dir"); state_dir.empty() && v && !v->empty() && v->front() == '/')
    state_dir = *v;
  if (state_dir.empty()) {
    const SectionSpec* box = find_section("box");
    const OptionSpec* o = box ? find_option(*box, "state_dir") : nullptr;
    state_dir = o && o->default_value ? o->default_value : "/var/lib/trunkguard";
  }
  history_dir_ = options.history_dir.empty() ? state_dir + "/config-history" : options.history_dir;
  LoadResult r;
  std::string chosen;
  bool found = false;
  for (const HistoryEntry& h : history()) {
    if (!read_file(h.path, text, why)) continue;
    r = load_config(text, h.path, options.overrides);
    if (!r.ok()) continue;
    chosen = text;
    found = true;
    source = "the last good configuration (history " + h.path + (h.comment.empty() ? "" : ", " + h.comment) + ")";
    break;
  }
  if (!found) {
    // The defaults, with the rejected file's [box] (socket, pid file, state
    // directory, log) if that section is valid on its own: the box stays
    // reachable where its technician expects it.
    IniDocument box_only = IniDocument::parse("[box]\n", "factory defaults", ignored);
    for (const auto& e : rejected_doc.entries())
      if (e.section == "box") box_only.set("box", e.key, e.value);
    chosen = box_only.render();
    r = load_factory_defaults(chosen, "factory defaults", options.overrides);
    if (!r.ok()) {
      chosen.clear();
      r = load_factory_defaults(chosen, "factory defaults", options.overrides);
    }
    if (!r.ok()) return r;
    source = "the factory defaults (no valid configuration in " + history_dir_ + ")";
  }
  if (!make_dirs(history_dir_, why)) {
    r.errors.push_back({{history_dir_, 0}, "history directory: " + why});
    r.config.reset();
    return r;
  }
  running_ = r.config;
  running_text_ = chosen;
  candidate_ = IniDocument::parse(chosen, "candidate", ignored);
  auto seqs = list_history(history_dir_);
  next_sequence_ = seqs.empty() ? 1 : seqs.front() + 1;
  return r;
}

std::optional<std::string> ConfigStore::set(const std::string& section, const std::string& key,
                                            const std::string& value) {
  std::string why;
  const SectionSpec* spec = find_section(section, nullptr, &why);
  if (!spec) return "section [" + section + "]: " + why;
  const OptionSpec* opt = find_option(*spec, key);
  if (!opt) {
    std::string known;
    for (const auto& o : spec->options) known += std::string(known.empty() ? "" : ", ") + o.key;
    return "unknown option '" + key + "' in [" + section + "] (known: " + known + ")";
  }
  if (auto bad = check_value(*opt, value)) return key + ": " + *bad;
  candidate_.set(section, key, value);
  return std::nullopt;
}

std::optional<std::string> ConfigStore::remove(const std::string& section, const std::optional<std::string>& key) {
  std::optional<std::string_view> k;
  if (key) k = *key;
  if (!candidate_.remove(section, k))
    return key ? "no option '" + *key + "' in [" + section + "] of the candidate"
               : "no section [" + section + "] in the candidate";
  return std::nullopt;
}

std::optional<std::string> ConfigStore::rollback(int n) {
  auto entries = history();
  std::string text;
  if (n == 0) {
    text = running_text_;
  } else {
    if (n < 0 || size_t(n) >= entries.size())
      return "no configuration " + std::to_string(n) + " in the history (0.." + std::to_string(entries.size() - 1) +
             " kept)";
    std::string why;
    if (!read_file(entries[size_t(n)].path, text, why)) return "cannot read " + entries[size_t(n)].path + ": " + why;
  }
  std::vector<ConfigError> ignored;
  candidate_ = IniDocument::parse(text, "candidate", ignored);
  return std::nullopt;
}

LoadResult ConfigStore::check() const {
  return load_config(candidate_.render(), "candidate", options_.overrides);
}

ConfigStore::CommitResult ConfigStore::commit(const std::string& user, const std::string& comment, int64_t now) {
  CommitResult out;
  std::string text = candidate_.render();
  LoadResult r = load_config(text, "candidate", options_.overrides);
  if (!r.ok()) {
    out.errors = std::move(r.errors);
    return out;
  }
  if (text == running_text_) {
    out.ok = true;
    return out;
  }
  std::string why;
  // History first: if it fails nothing has changed; if the running file
  // write fails afterwards, open() re-records what actually runs.
  if (!record(text, user, comment, now, why)) {
    out.io_error = why;
    return out;
  }
  if (!write_file_atomically(options_.running_path, text, why)) {
    out.io_error = why;
    return out;
  }
  running_ = std::move(r.config);
  running_text_ = text;
  out.ok = out.changed = true;
  out.sequence = next_sequence_ - 1;
  prune();
  return out;
}

LoadResult ConfigStore::reload(const std::string& user, int64_t now) {
  LoadResult r = load_config_file(options_.running_path, options_.overrides);
  if (!r.ok()) return r;
  std::string text, why;
  if (!read_file(options_.running_path, text, why)) {
    r.errors.push_back({{options_.running_path, 0}, "cannot read: " + why});
    r.config.reset();
    return r;
  }
  if (text != running_text_) {
    // Edits in the candidate are kept only if they were made on top of the
    // same text; otherwise the candidate follows the new file.
    bool pristine = candidate_.render() == running_text_;
    record(text, user, "reloaded from " + options_.running_path, now, why);
    running_ = r.config;
    running_text_ = text;
    if (pristine) {
      std::vector<ConfigError> ignored;
      candidate_ = IniDocument::parse(text, "candidate", ignored);
    }
    prune();
  }
  return r;
}

std::vector<HistoryEntry> ConfigStore::history() const {
  std::vector<HistoryEntry> out;
  int index = 0;
  for (uint64_t seq : list_history(history_dir_)) {
    HistoryEntry h;
    h.index = index++;
    h.sequence = seq;
    h.path = history_dir_ + "/" + seq_name(seq) + ".conf";
    std::string meta, why;
    if (read_file(history_dir_ + "/" + seq_name(seq) + ".meta", meta, why)) {
      size_t t1 = meta.find('\t'), t2 = t1 == std::string::npos ? t1 : meta.find('\t', t1 + 1);
      h.time = std::strtoll(meta.c_str(), nullptr, 10);
      if (t2 != std::string::npos) {
        h.user = meta.substr(t1 + 1, t2 - t1 - 1);
        h.comment = meta.substr(t2 + 1);
        while (!h.comment.empty() && h.comment.back() == '\n') h.comment.pop_back();
      }
    }
    out.push_back(std::move(h));
  }
  return out;
}

bool ConfigStore::record(const std::string& text, const std::string& user, const std::string& comment, int64_t now,
                         std::string& why) {
  std::string base = history_dir_ + "/" + seq_name(next_sequence_);
  std::string meta = std::to_string(now) + "\t" + clean(user) + "\t" + clean(comment) + "\n";
  if (!write_file_atomically(base + ".meta", meta, why)) return false;
  if (!write_file_atomically(base + ".conf", text, why)) {
    ::unlink((base + ".meta").c_str());
    return false;
  }
  ++next_sequence_;
  return true;
}

void ConfigStore::prune() {
  size_t keep = size_t(running_ ? running_->box.rollback_keep : 10) + 1;  // + the running one
  auto seqs = list_history(history_dir_);
  for (size_t i = keep; i < seqs.size(); ++i) {
    std::string base = history_dir_ + "/" + seq_name(seqs[i]);
    ::unlink((base + ".conf").c_str());
    ::unlink((base + ".meta").c_str());
  }
}

}  // namespace tg::config
