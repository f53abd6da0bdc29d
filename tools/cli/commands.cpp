#include "tools/cli/commands.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <memory>

namespace tg::cli {
namespace {

// Argument placeholders in the table: <json-key:TYPE>.
enum class ArgType { uplink, number, word, rest, option_path, capture };

struct Spec {
  Mode mode;
  const char* words;
  const char* help;
  const char* request;  // management command; nullptr for local actions
  Local local = Local::none;
  bool admin = false;
  const char* fixed_args = nullptr;  // JSON merged into args, e.g. {"which":"diff"}
};

// Every command the console knows. Words are keywords or <key:type>.
const Spec kSpecs[] = {
    {Mode::exec, "show version", "software version, uptime, fast path", "show.version"},
    {Mode::exec, "show uplinks", "uplinks: state, active, RTT/loss/jitter, since", "show.uplinks"},
    {Mode::exec, "show trunks", "SIP trunks: OPTIONS state, ASR/ISA/SEER, busy", "show.trunks"},
    {Mode::exec, "show calls", "live calls with per-direction MOS/loss/jitter", "show.calls"},
    {Mode::exec, "show alarms", "active alarms", "show.alarms"},
    {Mode::exec, "show alarms history", "raised and cleared alarms", "show.alarms", Local::none, false,
     R"({"history":true})"},
    {Mode::exec, "show failover history", "each switch: detection and switch times, reason, calls",
     "show.failover.history"},
    {Mode::exec, "show fault-report", "the latest fault report", "show.fault-report"},
    {Mode::exec, "show fault-report <n:number>", "fault report N (1 = latest)", "show.fault-report"},
    {Mode::exec, "show counters", "fast path and daemon counters", "show.counters"},
    {Mode::exec, "show interfaces", "kernel interfaces and fast-path ports", "show.interfaces"},
    {Mode::exec, "show config running", "the configuration in use", "show.config", Local::none, false,
     R"({"which":"running"})"},
    {Mode::exec, "show config candidate", "the configuration being edited", "show.config", Local::none, false,
     R"({"which":"candidate"})"},
    {Mode::exec, "show config diff", "candidate against running", "show.config", Local::none, false,
     R"({"which":"diff"})"},
    {Mode::exec, "show config history", "commits kept for rollback", "show.config", Local::none, false,
     R"({"which":"history"})"},
    {Mode::exec, "configure", "edit the configuration (admin)", nullptr, Local::enter_configure, true},
    {Mode::exec, "failover force <uplink:uplink>", "send all traffic over this uplink (admin)", "failover.force",
     Local::none, true},
    {Mode::exec, "failover auto", "automatic uplink selection again (admin)", "failover.auto", Local::none, true},
    {Mode::exec, "test trunk <trunk:word>", "send SIP OPTIONS now and show the answer", "test.trunk", Local::none,
     true},
    {Mode::exec, "capture start", "write a pcap of the forwarded traffic for later analysis (admin)", "capture.start",
     Local::none, true},
    {Mode::exec, "capture start <options:capture>",
     "what to capture: [sip|rtp|sip+rtp] [uplink U] [host A.B.C.D] [duration S] [packets N] [bytes N] [snaplen N]",
     "capture.start", Local::none, true},
    {Mode::exec, "show capture", "the running or last capture: file, packets, bytes, drops", "show.capture"},
    {Mode::exec, "capture stop", "stop the capture and show where the file is", "capture.stop", Local::none, true},
    {Mode::exec, "diagnose call <call_id:word>", "why a call or transfer failed", "diagnose.call"},
    {Mode::exec, "export calls csv", "call records (CDRs) as CSV", "export.calls", Local::none, false,
     R"({"format":"csv"})"},
    {Mode::exec, "export calls csv since <since:word>", "CDRs since 15m, 2h, 1d ago or 2026-11-23T10:00:00Z",
     "export.calls", Local::none, false, R"({"format":"csv"})"},
    {Mode::exec, "export calls csv unexported", "CDRs not exported before, then marked exported", "export.calls",
     Local::none, false, R"({"format":"csv","unexported":true,"mark":true})"},
    {Mode::exec, "export calls json", "call records (CDRs) as JSON", "export.calls", Local::none, false,
     R"({"format":"json"})"},
    {Mode::exec, "export calls json since <since:word>", "CDRs since 15m, 2h, 1d ago or 2026-11-23T10:00:00Z",
     "export.calls", Local::none, false, R"({"format":"json"})"},
    {Mode::exec, "export calls json unexported", "CDRs not exported before, then marked exported", "export.calls",
     Local::none, false, R"({"format":"json","unexported":true,"mark":true})"},
    {Mode::exec, "help", "list every command", nullptr, Local::help},
    {Mode::exec, "exit", "leave the console", nullptr, Local::quit},
    {Mode::exec, "quit", "leave the console", nullptr, Local::quit},

    {Mode::configure, "set <option:option_path> <value:rest>", "set SECTION.KEY to VALUE in the candidate",
     "config.set", Local::none, true},
    {Mode::configure, "delete <option:option_path>", "delete SECTION.KEY (or a whole SECTION)", "config.delete",
     Local::none, true},
    {Mode::configure, "commit", "check and apply the candidate", "config.commit", Local::none, true},
    {Mode::configure, "commit comment <comment:rest>", "apply, with a note for the history", "config.commit",
     Local::none, true},
    {Mode::configure, "rollback <n:number>", "load commit N of the history into the candidate", "config.rollback",
     Local::none, true},
    {Mode::configure, "discard", "drop every candidate change", "config.discard", Local::none, true},
    {Mode::configure, "check", "validate the candidate without applying it", "config.check"},
    {Mode::configure, "show config running", "the configuration in use", "show.config", Local::none, false,
     R"({"which":"running"})"},
    {Mode::configure, "show config candidate", "the configuration being edited", "show.config", Local::none,
     false, R"({"which":"candidate"})"},
    {Mode::configure, "show config diff", "candidate against running", "show.config", Local::none, false,
     R"({"which":"diff"})"},
    {Mode::configure, "show config history", "commits kept for rollback", "show.config", Local::none, false,
     R"({"which":"history"})"},
    {Mode::configure, "help", "list every command", nullptr, Local::help},
    {Mode::configure, "end", "leave configuration mode", nullptr, Local::leave_configure},
    {Mode::configure, "exit", "leave configuration mode", nullptr, Local::leave_configure},
};

// Help for words that are not the last of a command.
struct GroupHelp {
  const char* prefix;
  const char* help;
};
const GroupHelp kGroups[] = {
    {"show", "display state, statistics and history"},
    {"show alarms", "active alarms"},
    {"show config", "the configuration"},
    {"show fault-report", "fault reports"},
    {"show failover", "failover records"},
    {"failover", "steer traffic between uplinks"},
    {"test", "active tests"},
    {"capture", "packet capture"},
    {"diagnose", "explain what went wrong"},
    {"export", "records out of the box"},
    {"export calls", "call records (CDRs)"},
    {"export calls csv", "CSV (RFC 4180)"},
    {"export calls json", "a JSON array"},
    {"commit", "check and apply the candidate"},
};

const char* kUplinks[] = {"wan0", "wan1", "lte"};

struct Node {
  std::string word;  // keyword, or the argument's JSON key
  bool is_arg = false;
  ArgType type = ArgType::word;
  std::string help;
  const Spec* spec = nullptr;  // a command ends here
  std::vector<std::unique_ptr<Node>> children;
};

std::string lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = char(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

ArgType type_of(std::string_view t) {
  if (t == "uplink") return ArgType::uplink;
  if (t == "number") return ArgType::number;
  if (t == "rest") return ArgType::rest;
  if (t == "option_path") return ArgType::option_path;
  if (t == "capture") return ArgType::capture;
  return ArgType::word;
}

std::string placeholder(const Node& n) {
  switch (n.type) {
    case ArgType::uplink: return "wan0|wan1|lte";
    case ArgType::number: return "<N>";
    case ArgType::rest: return "<" + lower(n.word) + "...>";
    case ArgType::option_path: return "<SECTION.KEY>";
    case ArgType::capture: return "<OPTIONS>";
    case ArgType::word: return "<" + n.word + ">";
  }
  return "<?>";
}

const char* group_help(const std::string& prefix) {
  for (auto& g : kGroups)
    if (prefix == g.prefix) return g.help;
  return "";
}

// Tree per mode, built once from kSpecs.
struct Trees {
  Node exec, configure;
  Trees() {
    for (auto& s : kSpecs) add(s.mode == Mode::exec ? exec : configure, s);
  }
  static void add(Node& root, const Spec& s) {
    Node* at = &root;
    std::string prefix;
    std::string_view words = s.words;
    while (!words.empty()) {
      size_t sp = words.find(' ');
      std::string_view w = words.substr(0, sp);
      words = sp == std::string_view::npos ? std::string_view() : words.substr(sp + 1);
      Node probe;
      if (w.front() == '<') {
        auto colon = w.find(':');
        probe.is_arg = true;
        probe.word = std::string(w.substr(1, colon - 1));
        probe.type = type_of(w.substr(colon + 1, w.size() - colon - 2));
      } else {
        probe.word = std::string(w);
      }
      prefix += (prefix.empty() ? "" : " ") + std::string(w);
      Node* next = nullptr;
      for (auto& c : at->children)
        if (c->word == probe.word && c->is_arg == probe.is_arg) next = c.get();
      if (!next) {
        auto n = std::make_unique<Node>(std::move(probe));
        n->help = words.empty() ? s.help : group_help(prefix);
        next = n.get();
        at->children.push_back(std::move(n));
      } else if (words.empty()) {
        next->help = s.help;
      }
      at = next;
    }
    at->spec = &s;
  }
};

// Built before main (kSpecs is constant-initialised above), never freed.
const Trees kTrees;

const Node& root_of(Mode m) { return m == Mode::exec ? kTrees.exec : kTrees.configure; }

bool valid_arg(const Node& n, const std::string& v, std::string& why) {
  switch (n.type) {
    case ArgType::uplink:
      for (auto* u : kUplinks)
        if (v == u) return true;
      why = "'" + v + "' is not an uplink (wan0, wan1, lte)";
      return false;
    case ArgType::number:
      if (!v.empty() && v.size() <= 9 && std::all_of(v.begin(), v.end(), ::isdigit)) return true;
      why = "'" + v + "' is not a number";
      return false;
    case ArgType::option_path:
      if (!v.empty() && v.front() != '.' && v.back() != '.') return true;
      why = "'" + v + "' is not SECTION.KEY";
      return false;
    default:
      return true;
  }
}

std::string expected_list(const Node& n) {
  std::string o;
  for (auto& c : n.children) o += (o.empty() ? "" : ", ") + (c->is_arg ? placeholder(*c) : c->word);
  return o;
}

// Keywords of `n` that `w` abbreviates (exact match alone if there is one).
std::vector<const Node*> keyword_matches(const Node& n, const std::string& w) {
  std::vector<const Node*> out;
  std::string lw = lower(w);
  for (auto& c : n.children) {
    if (c->is_arg) continue;
    if (c->word == lw) return {c.get()};
    if (c->word.compare(0, lw.size(), lw) == 0) out.push_back(c.get());
  }
  return out;
}

const Node* arg_child(const Node& n) {
  for (auto& c : n.children)
    if (c->is_arg) return c.get();
  return nullptr;
}

// `capture start` options, in any order, each at most once; words may be
// abbreviated. Errors point at the offending token.
bool parse_capture_options(const std::vector<Token>& toks, size_t from, size_t to, Json& args, std::string& error,
                           size_t& error_pos) {
  static const char* const kWords[] = {"sip", "rtp", "sip+rtp", "all", "uplink", "host", "duration", "packets", "bytes", "snaplen"};
  auto fail = [&](const Token& t, std::string m) {
    error = std::move(m);
    error_pos = t.pos;
    return false;
  };
  for (size_t i = from; i < to; ++i) {
    const Token& t = toks[i];
    const std::string lw = lower(t.text);
    std::vector<std::string> hits;
    for (const char* k : kWords) {
      if (lw == k) {
        hits = {k};
        break;
      }
      if (!lw.empty() && std::string(k).compare(0, lw.size(), lw) == 0) hits.push_back(k);
    }
    if (lw == "rtp+sip") hits = {"sip+rtp"};
    if (hits.empty())
      return fail(t, "unknown capture option '" + t.text + "' (expected: sip, rtp, sip+rtp, all, uplink, host, duration, "
                     "packets, bytes, snaplen)");
    if (hits.size() > 1) {
      std::string could;
      for (auto& h : hits) could += (could.empty() ? "" : ", ") + h;
      return fail(t, "ambiguous '" + t.text + "': could be " + could);
    }
    const std::string word = hits[0];
    if (word == "sip" || word == "rtp" || word == "sip+rtp" || word == "all") {
      if (args.contains("filter")) return fail(t, "the packet filter is given twice ('" + t.text + "')");
      args["filter"] = word;
      continue;
    }
    const std::string& key = word;
    if (args.contains(key)) return fail(t, word + " is given twice");
    if (i + 1 >= to) {
      const char* what = word == "uplink" ? "an uplink (wan0, wan1, lte)" : word == "host" ? "an IPv4 address" : "a number";
      return fail(t, word + " needs " + std::string(what));
    }
    const Token& v = toks[++i];
    if (word == "uplink") {
      std::string uv = lower(v.text);
      bool known = uv == "all";
      for (auto* u : kUplinks) known |= uv == u;
      if (!known) return fail(v, "'" + v.text + "' is not an uplink (wan0, wan1, lte, all)");
      args[key] = uv;
    } else if (word == "host") {
      in_addr a{};
      if (inet_pton(AF_INET, v.text.c_str(), &a) != 1) return fail(v, "'" + v.text + "' is not an IPv4 address");
      args[key] = v.text;
    } else {
      if (v.text.empty() || v.text.size() > 12 || !std::all_of(v.text.begin(), v.text.end(), ::isdigit) ||
          std::stoll(v.text) == 0)
        return fail(v, "'" + v.text + "' is not a positive number (" + word + ")");
      args[key] = std::stoll(v.text);
    }
  }
  return true;
}

struct Walk {
  const Node* at = nullptr;
  std::string canonical;
  std::vector<std::pair<const Node*, std::string>> values;
  std::string error;
  size_t error_pos = std::string::npos;
  size_t consumed = 0;
  Json capture_args = Json::object();  // `capture start` options
};

// Walks tokens through the tree; stops at the first error.
Walk walk(const Node& root, const std::vector<Token>& toks, size_t count) {
  Walk w;
  w.at = &root;
  for (size_t i = 0; i < count; ++i) {
    const Token& t = toks[i];
    auto kws = keyword_matches(*w.at, t.text);
    if (kws.size() == 1) {
      w.at = kws[0];
      w.canonical += (w.canonical.empty() ? "" : " ") + kws[0]->word;
    } else if (kws.size() > 1) {
      std::string could;
      for (auto* k : kws) could += (could.empty() ? "" : ", ") + k->word;
      w.error = "ambiguous '" + t.text + "': could be " + could;
      w.error_pos = t.pos;
      return w;
    } else if (const Node* a = arg_child(*w.at); a && a->type == ArgType::capture) {
      if (!parse_capture_options(toks, i, count, w.capture_args, w.error, w.error_pos)) return w;
      for (size_t j = i; j < count; ++j) w.canonical += " " + toks[j].text;
      w.at = a;
      i = count - 1;
    } else if (const Node* a = arg_child(*w.at)) {
      std::string value = t.text;
      if (a->type == ArgType::rest) {
        for (size_t j = i + 1; j < count; ++j) value += " " + toks[j].text;
        i = count - 1;
      }
      std::string why;
      if (!valid_arg(*a, value, why)) {
        w.error = why;
        w.error_pos = t.pos;
        return w;
      }
      w.values.emplace_back(a, value);
      w.at = a;
      w.canonical += " " + (value.find(' ') == std::string::npos ? value : "\"" + value + "\"");
    } else {
      w.error = w.at->children.empty() ? "unexpected '" + t.text + "': the command is already complete"
                                       : "unknown word '" + t.text + "' (expected: " + expected_list(*w.at) + ")";
      w.error_pos = t.pos;
      return w;
    }
    w.consumed = i + 1;
  }
  return w;
}

}  // namespace

bool tokenize(std::string_view line, std::vector<Token>& out, std::string& error, size_t& error_pos) {
  out.clear();
  size_t i = 0;
  while (i < line.size()) {
    if (line[i] == ' ' || line[i] == '\t') {
      ++i;
      continue;
    }
    Token t;
    t.pos = i;
    if (line[i] == '"') {
      size_t end = line.find('"', i + 1);
      if (end == std::string_view::npos) {
        error = "unbalanced quote";
        error_pos = i;
        return false;
      }
      t.text = std::string(line.substr(i + 1, end - i - 1));
      i = end + 1;
    } else {
      size_t end = line.find_first_of(" \t", i);
      if (end == std::string_view::npos) end = line.size();
      t.text = std::string(line.substr(i, end - i));
      i = end;
    }
    out.push_back(std::move(t));
  }
  return true;
}

Parsed parse(std::string_view line, Mode mode) {
  Parsed p;
  std::vector<Token> toks;
  if (!tokenize(line, toks, p.error, p.error_pos)) return p;
  // Output filters: "| include WORD", "| exclude WORD", any number of them.
  size_t cmd_end = toks.size();
  for (size_t i = 0; i < toks.size(); ++i) {
    if (toks[i].text != "|") continue;
    if (cmd_end == toks.size()) cmd_end = i;
    if (i + 1 >= toks.size()) {
      p.error = "incomplete filter: | include WORD or | exclude WORD";
      p.error_pos = toks[i].pos;
      return p;
    }
    std::string kind = lower(toks[i + 1].text);
    Filter f;
    if (!kind.empty() && std::string("include").compare(0, kind.size(), kind) == 0) f.kind = Filter::include;
    else if (!kind.empty() && std::string("exclude").compare(0, kind.size(), kind) == 0) f.kind = Filter::exclude;
    else {
      p.error = "unknown filter '" + toks[i + 1].text + "' (expected: include, exclude)";
      p.error_pos = toks[i + 1].pos;
      return p;
    }
    if (i + 2 >= toks.size() || toks[i + 2].text == "|") {
      p.error = "incomplete filter: " + std::string(f.kind == Filter::include ? "include" : "exclude") + " needs a WORD";
      p.error_pos = toks[i + 1].pos;
      return p;
    }
    f.word = toks[i + 2].text;
    p.filters.push_back(f);
    i += 2;
  }
  if (cmd_end == 0) {
    p.error = toks.empty() ? "empty command" : "a filter needs a command before it";
    p.error_pos = toks.empty() ? std::string::npos : toks[0].pos;
    return p;
  }
  const Node& root = root_of(mode);
  Walk w = walk(root, toks, cmd_end);
  if (!w.error.empty()) {
    p.error = w.error;
    p.error_pos = w.error_pos;
    return p;
  }
  if (!w.at->spec) {
    p.error = "incomplete command '" + w.canonical + "' (next: " + expected_list(*w.at) + ")";
    p.error_pos = line.size();
    return p;
  }
  const Spec& s = *w.at->spec;
  p.ok = true;
  p.canonical = w.canonical;
  p.local = s.local;
  p.admin = s.admin;
  p.request = s.request ? s.request : "";
  if (s.fixed_args) p.args = Json::parse(s.fixed_args);
  p.args.update(w.capture_args);
  for (auto& [node, value] : w.values) {
    if (node->type == ArgType::number) {
      p.args[node->word] = std::stoll(value);
    } else if (node->type == ArgType::option_path) {
      // Sections are "box", "thresholds", ... or KIND.NAME for the kinds
      // that come in several ("uplink.wan0", "trunk.carrierA", "alarm.snmp"):
      // "uplink.wan0.priority" is section uplink.wan0, key priority; a path
      // that is only a section names the whole section (delete).
      size_t dot = value.find('.');
      std::string kind = value.substr(0, dot);
      if (dot != std::string::npos && (kind == "uplink" || kind == "trunk" || kind == "alarm"))
        dot = value.find('.', dot + 1);
      p.args["section"] = value.substr(0, dot);
      if (dot != std::string::npos) p.args["key"] = value.substr(dot + 1);
    } else {
      p.args[node->word] = value;
    }
  }
  return p;
}

std::vector<Choice> help_at(std::string_view line, Mode mode) {
  std::vector<Token> toks;
  std::string err;
  size_t pos;
  if (!tokenize(line, toks, err, pos)) return {};
  bool partial = !line.empty() && line.back() != ' ' && !toks.empty();
  size_t full = partial ? toks.size() - 1 : toks.size();
  Walk w = walk(root_of(mode), toks, full);
  if (!w.error.empty()) return {};
  std::vector<Choice> out;
  std::string stem = partial ? lower(toks.back().text) : "";
  if (w.at->is_arg && w.at->type == ArgType::capture) {
    // Inside the options: the ones that may still come.
    for (const char* k : {"sip", "rtp", "sip+rtp", "all", "uplink", "host", "duration", "packets", "bytes", "snaplen"})
      if (std::string(k).compare(0, stem.size(), stem) == 0 && !w.capture_args.contains(k) &&
          !(w.capture_args.contains("filter") && (k[0] == 's' || k[0] == 'r' || k[0] == 'a') && std::string(k) != "snaplen"))
        out.push_back({k, "capture option"});
  }
  for (auto& c : w.at->children) {
    if (c->is_arg) out.push_back({placeholder(*c), c->help});
    else if (c->word.compare(0, stem.size(), stem) == 0) out.push_back({c->word, c->help});
  }
  if (!partial && w.at->spec && w.at != &root_of(mode)) out.push_back({"<cr>", "run it"});
  return out;
}

std::string complete(std::string_view line, Mode mode, std::vector<Choice>& choices) {
  choices.clear();
  std::vector<Token> toks;
  std::string err;
  size_t pos;
  if (!tokenize(line, toks, err, pos)) return std::string(line);
  bool partial = !line.empty() && line.back() != ' ' && !toks.empty();
  size_t full = partial ? toks.size() - 1 : toks.size();
  Walk w = walk(root_of(mode), toks, full);
  if (!w.error.empty()) return std::string(line);
  std::string stem = partial ? lower(toks.back().text) : "";
  std::vector<const Node*> kws;
  for (auto& c : w.at->children)
    if (!c->is_arg && c->word.compare(0, stem.size(), stem) == 0) kws.push_back(c.get());
  const Node* arg = arg_child(*w.at);
  if (kws.size() == 1 && !arg) {
    std::string base(line.substr(0, partial ? toks.back().pos : line.size()));
    return base + kws[0]->word + " ";
  }
  if (arg && arg->type == ArgType::uplink) {
    std::vector<std::string> ups;
    for (auto* u : kUplinks)
      if (std::string(u).compare(0, stem.size(), stem) == 0) ups.push_back(u);
    if (ups.size() == 1 && kws.empty()) {
      std::string base(line.substr(0, partial ? toks.back().pos : line.size()));
      return base + ups[0] + " ";
    }
    for (auto& u : ups) choices.push_back({u, arg->help});
  }
  for (auto* k : kws) choices.push_back({k->word, k->help});
  if (arg && arg->type != ArgType::uplink) choices.push_back({placeholder(*arg), arg->help});
  return std::string(line);
}

std::vector<Choice> all_commands(Mode mode) {
  std::vector<Choice> out;
  for (auto& s : kSpecs) {
    if (s.mode != mode) continue;
    std::string words;
    std::string_view ws = s.words;
    while (!ws.empty()) {
      size_t sp = ws.find(' ');
      std::string_view w = ws.substr(0, sp);
      ws = sp == std::string_view::npos ? std::string_view() : ws.substr(sp + 1);
      if (!words.empty()) words += ' ';
      if (w.front() == '<') {
        Node n;
        auto colon = w.find(':');
        n.word = std::string(w.substr(1, colon - 1));
        n.type = type_of(w.substr(colon + 1, w.size() - colon - 2));
        words += placeholder(n);
      } else {
        words += w;
      }
    }
    out.push_back({words, s.help});
  }
  return out;
}

}  // namespace tg::cli
