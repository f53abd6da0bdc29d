#include "tools/cli/cli.hpp"

#include <time.h>

#include <algorithm>
#include <cstdio>

#include "control/config/schema.hpp"

namespace tg::cli {

namespace {

std::string num(const Json& v, int decimals = 1) {
  if (v.is_null()) return "-";
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  if (v.is_number()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v.get<double>());
    return buf;
  }
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

std::string str(const Json& j, const char* key, const std::string& fallback = "-") {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return it->is_string() ? it->get<std::string>() : num(*it);
}

std::string utc_time(int64_t unix_ms) {
  time_t t = time_t(unix_ms / 1000);
  tm tmv{};
  gmtime_r(&t, &tmv);
  char buf[32];
  std::strftime(buf, sizeof buf, "%m-%d %H:%M:%S", &tmv);
  return buf;
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Splits "cmd | include WORD" at the first '|' outside quotes.
bool split_pipe(const std::string& line, std::string& cmd, std::string& filter) {
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '"') quoted = !quoted;
    if (line[i] == '|' && !quoted) {
      cmd = line.substr(0, i);
      filter = line.substr(i + 1);
      return true;
    }
  }
  cmd = line;
  return false;
}

}  // namespace

std::string human_duration(double s) {
  if (s < 0) return "-";
  long long t = (long long)s;
  char buf[32];
  if (t < 60) std::snprintf(buf, sizeof buf, "%llds", t);
  else if (t < 3600) std::snprintf(buf, sizeof buf, "%lldm%02llds", t / 60, t % 60);
  else if (t < 86400) std::snprintf(buf, sizeof buf, "%lldh%02lldm", t / 3600, (t % 3600) / 60);
  else std::snprintf(buf, sizeof buf, "%lldd%02lldh", t / 86400, (t % 86400) / 3600);
  return buf;
}

std::string fit(const std::string& s, size_t width) {
  if (s.size() > width) return width == 0 ? "" : s.substr(0, width - 1) + "~";
  return s + std::string(width - s.size(), ' ');
}

std::string wrap(const std::string& text, size_t width, const std::string& indent) {
  // Leading blanks of the first line are kept as its own indent.
  size_t lead = text.find_first_not_of(' ');
  if (lead == std::string::npos) return text + "\n";
  std::string out, line = text.substr(0, lead);
  bool first_word = true;
  size_t pos = lead;
  while (pos < text.size()) {
    size_t sp = text.find(' ', pos);
    std::string word = text.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
    pos = sp == std::string::npos ? text.size() : sp + 1;
    if (word.empty()) continue;
    if (!first_word && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line = indent;
      first_word = true;
    }
    if (!first_word) line += " ";
    line += word;
    first_word = false;
  }
  return out + line + "\n";
}

Cli::Cli(Backend& backend) : backend_(backend) { build(); }

std::string Cli::prompt() const { return hostname + (config_mode_ ? "(config)# " : "# "); }

int Cli::request(const std::string& cmd, const Json& args, const std::function<void(const Json&)>& fmt) {
  Json resp;
  std::string why;
  if (!backend_.call(cmd, args, resp, why)) {
    out_ += wrap("% tg-controld is not reachable: " + why, 79, "  ");
    return status_ = kDaemonDown;
  }
  if (!resp.value("ok", false)) {
    const Json& e = resp.contains("error") ? resp["error"] : Json::object();
    out_ += wrap("% " + str(e, "message", "request failed"), 79, "  ");
    if (e.contains("details"))
      for (const auto& d : e["details"]) say("  " + d.get<std::string>());
    return status_ = kCommandFailed;
  }
  const Json& result = resp.contains("result") ? resp["result"] : Json::object();
  if (json)
    out_ += result.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
  else
    fmt(result);
  return status_ = kOk;
}

// ------------------------------------------------------------- formatters

namespace {

void uplink_table(const Json& r, std::string& out, bool from_fastpath) {
  auto say = [&](const std::string& l) { out += l + "\n"; };
  std::string mode = str(r, "mode", "");
  if (!mode.empty())
    say("Mode: " + mode + (r.contains("forced") && !r["forced"].is_null() ? " (forced " + str(r, "forced") + ")" : "") +
        "   Active: " + str(r, "active", "none"));
  if (r.contains("fastpath") && !r["fastpath"].value("attached", false))
    say("Fast path: " + str(r["fastpath"], "status") + " (states unknown)");
  if (from_fastpath) say("(read from the fast path's shared memory: tg-controld is down)");
  // 78 columns: NAME ACT STATE LINK RTT LOSS JITTER SINCE CARRIER
  say("Uplink Act State      Link  RTT ms Loss %  Jit ms Since    Calls Carrier");
  for (const auto& u : r["uplinks"]) {
    std::string line = fit(str(u, "name"), 6) + " " + fit(u.value("active", false) ? "*" : "", 3) + " " +
                       fit(str(u, "state"), 10) + " " + fit(u.contains("link_up") ? (u["link_up"].get<bool>() ? "up" : "down") : "-", 4) +
                       " " + fit(num(u.value("rtt_ms", Json()), 1), 6) + " " + fit(num(u.value("loss_pct", Json()), 2), 7) +
                       " " + fit(num(u.value("jitter_ms", Json()), 1), 6) + " " +
                       fit(u.contains("since_s") && !u["since_s"].is_null() ? human_duration(u["since_s"].get<double>()) : "-", 8) +
                       " " + fit(str(u, "active_calls"), 5) + " " + str(u, "carrier", "");
    while (!line.empty() && line.back() == ' ') line.pop_back();
    say(line);
    std::string faults = str(u, "faults", "none");
    if (faults != "none" && faults != "-") say("       faults: " + faults);
  }
}

void counters_table(const Json& fp, std::string& out) {
  auto say = [&](const std::string& l) { out += l + "\n"; };
  say("Fast path: switches " + str(fp, "switches_total") + ", events dropped " + str(fp, "events_dropped") +
      ", commands applied " + str(fp, "commands_applied") + ", rejected " + str(fp, "commands_rejected"));
  say("Uplink  RX packets   TX packets   Probes sent  Answered  Late  Rounds lost");
  for (const auto& u : fp["uplinks"]) {
    say(fit(str(u, "name"), 7) + " " + fit(str(u, "rx_packets"), 12) + " " + fit(str(u, "tx_packets"), 12) + " " +
        fit(str(u, "probes_sent"), 12) + " " + fit(str(u, "probes_answered"), 9) + " " + fit(str(u, "probes_late"), 5) +
        " " + str(u, "probe_rounds_lost"));
    if (u.contains("drops") && !u["drops"].empty()) {
      std::string d;
      for (auto it = u["drops"].begin(); it != u["drops"].end(); ++it)
        d += (d.empty() ? "" : ", ") + it.key() + " " + num(it.value());
      say("        drops: " + d);
    }
  }
}

}  // namespace

// ---------------------------------------------------------------- grammar

std::vector<std::pair<std::string, std::string>> Cli::uplink_candidates() {
  return {{"wan0", "first carrier uplink"}, {"wan1", "second carrier uplink"}, {"lte", "LTE uplink"},
          {"up3", "fourth uplink"}};
}

std::vector<std::pair<std::string, std::string>> Cli::trunk_candidates() {
  if (!trunk_cache_valid_) {
    Json resp;
    std::string why;
    trunk_cache_.clear();
    if (backend_.call("show.trunks", Json::object(), resp, why) && resp.value("ok", false))
      for (const auto& t : resp["result"]["trunks"]) trunk_cache_.push_back(t["name"].get<std::string>());
    trunk_cache_valid_ = true;
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& t : trunk_cache_) out.push_back({t, "configured trunk"});
  return out;
}

std::vector<std::pair<std::string, std::string>> Cli::section_candidates() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& s : config::schema()) {
    if (!s.named) {
      out.push_back({s.name, s.help});
    } else if (s.name_choices) {
      std::string c = s.name_choices;
      size_t pos = 0;
      while (pos <= c.size()) {
        size_t bar = c.find('|', pos);
        out.push_back({std::string(s.name) + "." + c.substr(pos, bar - pos), s.help});
        if (bar == std::string::npos) break;
        pos = bar + 1;
      }
    } else {
      for (const auto& [t, h] : trunk_candidates()) out.push_back({std::string(s.name) + "." + t, h});
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Cli::key_candidates(const std::string& section) {
  std::vector<std::pair<std::string, std::string>> out;
  const config::SectionSpec* s = config::find_section(section);
  if (!s) return out;
  for (const auto& o : s->options) {
    std::string h = o.help;
    h += std::string(" [") + (o.type == config::ValueType::choice ? o.choices : config::value_type_text(o.type));
    if (o.default_value && *o.default_value) h += std::string(", default ") + o.default_value;
    h += "]";
    out.push_back({o.key, h});
  }
  return out;
}

void Cli::add_show(Node& parent) {
  Node& show = parent.keyword("show", "show state, statistics and configuration");
  show.keyword("version", "software version, uptime, fast path", [this](const Parsed&) {
    return request("show.version", Json::object(), [this](const Json& r) {
      say("TrunkGuard " + str(r, "version") + " (tg-controld, management protocol " + str(r, "protocol") + ")");
      say("Box: " + str(r, "box") + (str(r, "location", "").empty() ? "" : ", " + str(r, "location")));
      say("Uptime: " + human_duration(r.value("uptime_s", 0.0)));
      say("Configuration: " + str(r, "config_file") + " (commit " + str(r, "config_sequence") + ")" +
          (r.value("candidate_changed", false) ? ", uncommitted candidate changes" : ""));
      if (r.contains("fastpath")) say("Fast path: " + str(r["fastpath"], "status"));
    });
  });
  show.keyword("uplinks", "uplinks: state, active, RTT/loss/jitter, since", [this](const Parsed&) {
    int st = request("show.uplinks", Json::object(), [this](const Json& r) { uplink_table(r, out_, false); });
    if (st == kDaemonDown) {
      Json facts;
      std::string why;
      if (backend_.fastpath_uplinks(facts, why)) {
        if (json) out_ += facts.dump(2) + "\n";
        else uplink_table(facts, out_, true);
      } else {
        out_ += wrap("% fast path figures not available either: " + why, 79, "  ");
      }
    }
    return st;
  });
  show.keyword("trunks", "SIP trunks: OPTIONS state, calls, ASR", [this](const Parsed&) {
    return request("show.trunks", Json::object(), [this](const Json& r) {
      say("Trunk        OPTIONS   Calls  Total  ASR %  MOS   SBC");
      for (const auto& t : r["trunks"]) {
        std::string opt = t.contains("options") ? str(t["options"], "state") : "-";
        say(fit(str(t, "name"), 12) + " " + fit(opt, 9) + " " + fit(str(t, "active_calls"), 6) + " " +
            fit(str(t, "calls_total"), 6) + " " + fit(num(t.value("asr_pct", Json()), 1), 6) + " " +
            fit(num(t.value("mos", Json()), 2), 5) + " " + str(t, "sbc") + " " + str(t, "transport", ""));
        if (t.contains("options") && t["options"].contains("why")) say("             " + str(t["options"], "why"));
      }
    });
  });
  show.keyword("calls", "live calls with per-direction MOS/loss/jitter", [this](const Parsed&) {
    return request("show.calls", Json::object(), [this](const Json& r) { out_ += r.dump(2) + "\n"; });
  });
  Node& alarms = show.keyword("alarms", "active alarms", [this](const Parsed&) {
    return request("show.alarms", Json::object(), [this](const Json& r) { out_ += r.dump(2) + "\n"; });
  });
  alarms.keyword("history", "raised and cleared alarms", [this](const Parsed&) {
    return request("show.alarms", Json{{"history", true}}, [this](const Json& r) { out_ += r.dump(2) + "\n"; });
  });
  Node& fo = show.keyword("failover", "failover information");
  fo.keyword("history", "each switch with detection and switch times", [this](const Parsed&) {
    return request("show.failover.history", Json::object(), [this](const Json& r) {
      if (r["switches"].empty()) {
        say("No uplink switches since tg-controld started.");
        return;
      }
      say("Time (UTC)     From   To     Reason          Detect ms Switch ms Calls");
      for (const auto& s : r["switches"])
        say(fit(utc_time(s.value("time_unix_ms", int64_t(0))), 14) + " " + fit(str(s, "from"), 6) + " " +
            fit(str(s, "to"), 6) + " " + fit(str(s, "reason"), 15) + " " + fit(num(s["detection_ms"], 1), 9) + " " +
            fit(num(s["switch_ms"], 2), 9) + " " + str(s, "calls_affected"));
    });
  });
  Node& fr = show.keyword("fault-report", "report of the last fault", [this](const Parsed&) {
    return request("show.fault-report", Json::object(), [this](const Json& r) { out_ += r.dump(2) + "\n"; });
  });
  fr.arg("N", "the last N reports").action = [this](const Parsed& p) {
    int n = std::atoi(p.arg("N").c_str());
    if (n <= 0) {
      say("% N must be a positive number");
      return status_ = kBadInput;
    }
    return request("show.fault-report", Json{{"n", n}}, [this](const Json& r) { out_ += r.dump(2) + "\n"; });
  };
  show.keyword("counters", "fast path and daemon counters", [this](const Parsed&) {
    int st = request("show.counters", Json::object(), [this](const Json& r) {
      if (r.contains("fastpath") && r["fastpath"].contains("uplinks")) counters_table(r["fastpath"], out_);
      else say("Fast path: " + str(r["fastpath"], "status"));
      say("Daemon:");
      for (auto it = r["daemon"].begin(); it != r["daemon"].end(); ++it)
        say("  " + fit(it.key(), 22) + " " + num(it.value()));
    });
    if (st == kDaemonDown) {
      Json facts;
      std::string why;
      if (backend_.fastpath_counters(facts, why)) {
        say("(read from the fast path's shared memory: tg-controld is down)");
        if (json) out_ += facts.dump(2) + "\n";
        else counters_table(facts, out_);
      } else {
        out_ += wrap("% fast path figures not available either: " + why, 79, "  ");
      }
    }
    return st;
  });
  show.keyword("interfaces", "kernel interfaces and fast-path ports", [this](const Parsed&) {
    return request("show.interfaces", Json::object(), [this](const Json& r) {
      say("Interface    State    MTU   RX packets  TX packets  Uplink Addresses");
      for (const auto& i : r["kernel"]) {
        std::string addrs;
        for (const auto& a : i["addresses"]) addrs += (addrs.empty() ? "" : " ") + a.get<std::string>();
        say(fit(str(i, "name"), 12) + " " + fit(str(i, "operstate"), 8) + " " + fit(str(i, "mtu"), 5) + " " +
            fit(str(i, "rx_packets"), 11) + " " + fit(str(i, "tx_packets"), 11) + " " + fit(str(i, "uplink", ""), 6) +
            " " + addrs);
      }
      if (r.contains("fastpath_ports") && r["fastpath_ports"].is_array()) {
        say("Fast-path port  Link  State      RX packets  TX packets");
        for (const auto& p : r["fastpath_ports"])
          say(fit(str(p, "name"), 15) + " " + fit(p.value("link_up", false) ? "up" : "down", 5) + " " +
              fit(str(p, "state"), 10) + " " + fit(str(p, "rx_packets"), 11) + " " + str(p, "tx_packets"));
      } else {
        say("Fast path: " + str(r, "fastpath_status"));
      }
    });
  });
  Node& cfg = show.keyword("config", "configuration");
  for (const char* which : {"running", "candidate", "diff", "history"}) {
    std::string w = which;
    std::string h = w == "running"     ? "configuration in effect"
                    : w == "candidate" ? "configuration being edited"
                    : w == "diff"      ? "candidate against running"
                                       : "committed configurations kept for rollback";
    cfg.keyword(w, h, [this, w](const Parsed&) {
      return request("show.config", Json{{"which", w}}, [this, w](const Json& r) {
        if (w == "history") {
          say("N   Commit  Time (UTC)      User       Comment");
          for (const auto& e : r["entries"])
            say(fit(str(e, "index"), 3) + " " + fit(str(e, "sequence"), 7) + " " +
                fit(e.value("time_unix", int64_t(0)) ? utc_time(e.value("time_unix", int64_t(0)) * 1000) : "-", 15) +
                " " + fit(str(e, "user"), 10) + " " + str(e, "comment", ""));
          return;
        }
        std::string text = str(r, "text", "");
        if (w == "diff" && text.empty()) text = "No differences: the candidate equals the running configuration.\n";
        out_ += text;
        if (!text.empty() && text.back() != '\n') out_ += "\n";
      });
    });
  }
}

void Cli::add_config_verbs(Node& parent) {
  Node& set = parent.keyword("set", "set an option in the candidate: set SECTION KEY VALUE");
  Node& sec = set.arg("SECTION", "section, e.g. thresholds, uplink.wan0, trunk.carrierA");
  sec.candidates = [this](const Parsed&) { return section_candidates(); };
  Node& key = sec.arg("KEY", "option name");
  key.closed = true;
  key.candidates = [this](const Parsed& p) { return key_candidates(p.arg("SECTION")); };
  Node& val = key.arg("VALUE", "new value (quote it if it has blanks)");
  val.rest = true;
  val.action = [this](const Parsed& p) {
    return request("config.set", Json{{"section", p.arg("SECTION")}, {"key", p.arg("KEY")}, {"value", p.arg("VALUE")}},
                   [this](const Json&) { say("Candidate changed; `show config diff` to review, `commit` to apply."); });
  };
  Node& del = parent.keyword("delete", "delete an option or a whole section from the candidate");
  Node& dsec = del.arg("SECTION", "section to delete (or whose option to delete)");
  dsec.candidates = [this](const Parsed&) { return section_candidates(); };
  dsec.action = [this](const Parsed& p) {
    return request("config.delete", Json{{"section", p.arg("SECTION")}},
                   [this](const Json&) { say("Section deleted from the candidate."); });
  };
  Node& dkey = dsec.arg("KEY", "option to delete");
  dkey.closed = true;
  dkey.candidates = [this](const Parsed& p) { return key_candidates(p.arg("SECTION")); };
  dkey.action = [this](const Parsed& p) {
    return request("config.delete", Json{{"section", p.arg("SECTION")}, {"key", p.arg("KEY")}},
                   [this](const Json&) { say("Option deleted from the candidate (its default applies)."); });
  };
  auto commit = [this](const Parsed& p) {
    Json args = Json::object();
    if (!p.arg("TEXT").empty()) args["comment"] = p.arg("TEXT");
    return request("config.commit", args, [this](const Json& r) {
      if (!r.value("changed", false)) say("No changes to commit.");
      else say("Committed as configuration " + str(r, "sequence") + "; now running.");
    });
  };
  Node& cm = parent.keyword("commit", "validate the candidate and apply it", commit);
  Node& cmt = cm.keyword("comment", "note stored with the commit");
  Node& text = cmt.arg("TEXT", "the note");
  text.rest = true;
  text.action = commit;
  Node& rb = parent.keyword("rollback", "load an earlier configuration into the candidate");
  rb.arg("N", "0 = running, 1 = the one before... (show config history)").action = [this](const Parsed& p) {
    const std::string& s = p.arg("N");
    if (s.empty() || !std::all_of(s.begin(), s.end(), ::isdigit) || s.size() > 4) {
      say("% rollback takes a number: 0 = running, 1 = the previous configuration...");
      return status_ = kBadInput;
    }
    return request("config.rollback", Json{{"n", std::atoi(s.c_str())}}, [this](const Json& r) {
      say(str(r, "message", "") + ".");
    });
  };
  parent.keyword("discard", "drop all candidate changes", [this](const Parsed&) {
    return request("config.discard", Json::object(), [this](const Json&) { say("Candidate changes dropped."); });
  });
  parent.keyword("check", "validate the candidate without applying it", [this](const Parsed&) {
    return request("config.check", Json::object(), [this](const Json& r) {
      say(std::string("Candidate is valid") + (r.value("changed", false) ? " (uncommitted changes)." : ", no changes."));
    });
  });
}

void Cli::add_exec(Node& root) {
  add_show(root);
  Node& conf = root.keyword("configure", "edit the configuration (enters config mode)", [this](const Parsed&) {
    config_mode_ = true;
    say("Editing the candidate configuration. `commit` applies, `exit` leaves.");
    return int(kOk);
  });
  add_config_verbs(conf);
  Node& fo = root.keyword("failover", "control uplink selection");
  Node& force = fo.keyword("force", "move traffic to an uplink and keep it there");
  Node& up = force.arg("UPLINK", "uplink name");
  up.closed = true;
  up.candidates = [this](const Parsed&) { return uplink_candidates(); };
  up.action = [this](const Parsed& p) {
    return request("failover.force", Json{{"uplink", p.arg("UPLINK")}},
                   [this](const Json& r) { say("Traffic forced to " + str(r, "uplink") + ": " + str(r, "message")); });
  };
  fo.keyword("auto", "return to automatic uplink selection", [this](const Parsed&) {
    return request("failover.auto", Json::object(),
                   [this](const Json& r) { say("Automatic uplink selection: " + str(r, "message")); });
  });
  Node& test = root.keyword("test", "active tests");
  Node& tt = test.keyword("trunk", "send SIP OPTIONS now and show the answer");
  Node& tn = tt.arg("NAME", "trunk name");
  tn.candidates = [this](const Parsed&) { return trunk_candidates(); };
  tn.action = [this](const Parsed& p) {
    return request("test.trunk", Json{{"trunk", p.arg("NAME")}}, [this](const Json& r) { out_ += r.dump(2) + "\n"; });
  };
  Node& cap = root.keyword("capture", "packet capture to a pcap file");
  for (const char* w : {"start", "stop"}) {
    std::string cmd = std::string("capture.") + w;
    cap.keyword(w, std::string(w) + " the capture", [this, cmd](const Parsed&) {
      return request(cmd, Json::object(), [this](const Json& r) { out_ += r.dump(2) + "\n"; });
    });
  }
  Node& diag = root.keyword("diagnose", "find out why something failed");
  Node& dc = diag.keyword("call", "why a call or transfer failed");
  dc.arg("CALL-ID", "SIP Call-ID").action = [this](const Parsed& p) {
    return request("diagnose.call", Json{{"call_id", p.arg("CALL-ID")}},
                   [this](const Json& r) { out_ += r.dump(2) + "\n"; });
  };
  Node& term = root.keyword("terminal", "settings of this session");
  Node& len = term.keyword("length", "lines per page; 0 = no paging");
  len.arg("LINES", "0 or 5..512").action = [this](const Parsed& p) {
    const std::string& s = p.arg("LINES");
    int n = std::all_of(s.begin(), s.end(), ::isdigit) && s.size() < 5 ? std::atoi(s.c_str()) : -1;
    if (n != 0 && (n < 5 || n > 512)) {
      say("% terminal length must be 0 (no paging) or 5..512");
      return status_ = kBadInput;
    }
    page_lines = n;
    return int(kOk);
  };
  root.keyword("history", "commands typed in this session", [this](const Parsed&) {
    if (history_source) {
      auto h = history_source();
      size_t start = h.size() > 50 ? h.size() - 50 : 0;
      for (size_t i = start; i < h.size(); ++i) say("  " + h[i]);
    }
    return int(kOk);
  });
  root.keyword("exit", "leave the console", [this](const Parsed&) {
    quit = true;
    return int(kOk);
  });
}

void Cli::build() {
  add_exec(exec_root_);
  add_config_verbs(config_root_);
  add_show(config_root_);
  auto leave = [this](const Parsed&) {
    config_mode_ = false;
    Json resp;
    std::string why;
    if (backend_.call("show.config", Json{{"which", "diff"}}, resp, why) && resp.value("ok", false) &&
        resp["result"].value("changed", false))
      say("Note: the candidate has uncommitted changes (kept; `configure discard` drops them).");
    return int(kOk);
  };
  config_root_.keyword("exit", "leave config mode", leave);
  config_root_.keyword("end", "leave config mode", leave);
}

int Cli::execute(const std::string& input, std::string& out) {
  out_.clear();
  status_ = kOk;
  std::string line = input, filter;
  bool piped = split_pipe(input, line, filter);
  std::vector<Token> tokens;
  std::string err;
  size_t col = 0;
  int result = kOk;
  auto show_error = [&](const std::string& message, size_t column, const std::string& expected = "") {
    out_ += wrap("% " + message, 79, "  ");
    if (!expected.empty()) out_ += wrap("  " + expected, 79, "    ");
    say("  " + input);
    say("  " + std::string(column > 0 ? column - 1 : 0, ' ') + "^");
    result = kBadInput;
  };
  // Filter first: a bad filter rejects the whole line before anything runs.
  enum { none, include, exclude, count } fkind = none;
  std::string fword;
  if (piped) {
    std::vector<Token> ft;
    if (!tokenize(filter, ft, err, col)) {
      show_error(err, line.size() + 1 + col);
      out = out_;
      return result;
    }
    size_t base = line.size() + 1;
    if (ft.empty()) {
      show_error("expected a filter after '|': include WORD, exclude WORD or count", base + 1);
      out = out_;
      return result;
    }
    std::string f = lower(ft[0].text);
    auto is = [&](const char* w) { return std::string(w).compare(0, f.size(), f) == 0; };
    if (is("include")) fkind = include;
    else if (is("exclude")) fkind = exclude;
    else if (is("count")) fkind = count;
    if (fkind == none || (f.size() == 0)) {
      show_error("unknown filter \"" + ft[0].text + "\" (include WORD, exclude WORD, count)", base + ft[0].column);
      out = out_;
      return result;
    }
    if (fkind != count && ft.size() < 2) {
      show_error("incomplete filter: " + std::string(fkind == include ? "include" : "exclude") + " needs a WORD",
                 base + ft[0].column + ft[0].text.size() + 1);
      out = out_;
      return result;
    }
    for (size_t i = 1; i < ft.size(); ++i) fword += (i > 1 ? " " : "") + ft[i].text;
  }
  if (!tokenize(line, tokens, err, col)) {
    show_error(err, col);
    out = out_;
    return result;
  }
  if (tokens.empty()) {
    out = out_;
    return int(kOk);
  }
  ParseResult pr = parse(config_mode_ ? config_root_ : exec_root_, tokens);
  if (pr.kind != ParseResult::ok) {
    show_error(pr.message + " at position " + std::to_string(pr.column), pr.column, pr.expected);
    out = out_;
    return result;
  }
  result = pr.node->action(pr.parsed);
  if (piped) {
    std::string filtered;
    size_t n = 0, pos = 0;
    while (pos < out_.size()) {
      size_t nl = out_.find('\n', pos);
      std::string l = out_.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
      pos = nl == std::string::npos ? out_.size() : nl + 1;
      bool has = l.find(fword) != std::string::npos;
      if (fkind == count) ++n;
      else if ((fkind == include) == has) filtered += l + "\n";
    }
    out_ = fkind == count ? "Lines: " + std::to_string(n) + "\n" : filtered;
  }
  out = out_;
  return result;
}

std::string Cli::help(const std::string& partial) {
  std::string line, filter;
  if (split_pipe(partial, line, filter)) {
    return "  include WORD  lines containing WORD\r\n  exclude WORD  lines without WORD\r\n"
           "  count         number of lines\r\n";
  }
  return help_text(config_mode_ ? config_root_ : exec_root_, partial);
}

std::string Cli::complete(const std::string& partial, std::string& listing) {
  return complete_line(config_mode_ ? config_root_ : exec_root_, partial, listing);
}

}  // namespace tg::cli
