#include "control/config/config.hpp"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "control/config/schema.hpp"
#include "common/net.hpp"
#include "dataplane/api/timers.hpp"

namespace po = boost::program_options;

namespace tg::config {

const UplinkConfig* Config::uplink(std::string_view name) const {
  for (const auto& u : uplinks)
    if (u.name == name) return &u;
  return nullptr;
}

const TrunkConfig* Config::trunk(std::string_view name) const {
  for (const auto& t : trunks)
    if (t.name == name) return &t;
  return nullptr;
}

bool parse_override(std::string_view text, Override& out, std::string& why) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos) {
    why = "expected SECTION.KEY=VALUE";
    return false;
  }
  std::string_view name = trim(text.substr(0, eq));
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == name.size()) {
    why = "expected SECTION.KEY=VALUE, e.g. trunk.carrierA.sbc_port=5070";
    return false;
  }
  out.section = std::string(name.substr(0, dot));
  out.key = std::string(name.substr(dot + 1));
  out.value = std::string(trim(text.substr(eq + 1)));
  return true;
}

std::string LoadResult::error_text() const {
  std::string out;
  for (const auto& e : errors) out += e.str() + "\n";
  return out;
}

bool read_file(const std::string& path, std::string& out, std::string& why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    why = std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    why = "read error";
    return false;
  }
  out = ss.str();
  return true;
}

LoadResult load_config_file(const std::string& path, const std::vector<Override>& overrides) {
  std::string text, why;
  if (!read_file(path, text, why)) {
    LoadResult r;
    r.errors.push_back({{path, 0}, "cannot read: " + why});
    return r;
  }
  if (text.size() > kMaxConfigBytes) {
    LoadResult r;
    r.errors.push_back({{path, 0}, "file is " + std::to_string(text.size()) + " bytes, more than the " +
                                       std::to_string(kMaxConfigBytes) + " a configuration may have"});
    return r;
  }
  return load_config(text, path, overrides);
}

api::TimersWire fastpath_timers(const Config& c, const UplinkConfig& u) {
  const Timers& t = c.timers;
  return {uint32_t(u.probe_interval_ms), uint32_t(u.probe_timeout_ms), uint32_t(t.miss_count),
          uint32_t(t.holddown_base_ms),  uint32_t(t.holddown_max_ms),  uint32_t(t.holddown_decay_ms),
          uint32_t(t.blackout_ms),       uint32_t(t.flow_min_packets), uint32_t(t.blackout_min_streams),
          uint32_t(t.quorum_percent)};
}

namespace {

struct Item {
  IniDocument::Entry entry;
  const SectionSpec* section;
  const OptionSpec* option;
  bool bad = false;
};

// Registers one option with Boost.PO under its full dotted name, typed, with
// its default so that absent options read back typed as well.
void add_boost_option(po::options_description& desc, const std::string& full, const OptionSpec& o) {
  switch (o.type) {
    case ValueType::integer: {
      auto* v = po::value<int64_t>();
      if (o.default_value) v->default_value(std::stoll(o.default_value));
      desc.add_options()(full.c_str(), v, o.help);
      break;
    }
    case ValueType::real: {
      auto* v = po::value<double>();
      if (o.default_value) v->default_value(std::stod(o.default_value), o.default_value);
      desc.add_options()(full.c_str(), v, o.help);
      break;
    }
    case ValueType::boolean: {
      auto* v = po::value<bool>();
      if (o.default_value) v->default_value(std::string(o.default_value) == "true");
      desc.add_options()(full.c_str(), v, o.help);
      break;
    }
    default: {
      auto* v = po::value<std::string>();
      if (o.default_value) v->default_value(o.default_value);
      desc.add_options()(full.c_str(), v, o.help);
      break;
    }
  }
}

class Builder {
 public:
  explicit Builder(const po::variables_map& vm) : vm_(vm) {}

  bool has(const std::string& s, const char* k) const { return vm_.count(s + "." + k) && !vm_[s + "." + k].defaulted(); }
  int64_t integer(const std::string& s, const char* k, int64_t fallback = 0) const {
    auto it = vm_.find(s + "." + k);
    return it == vm_.end() ? fallback : it->second.as<int64_t>();
  }
  double real(const std::string& s, const char* k) const { return vm_[s + "." + k].as<double>(); }
  bool boolean(const std::string& s, const char* k) const { return vm_[s + "." + k].as<bool>(); }
  std::string text(const std::string& s, const char* k) const {
    auto it = vm_.find(s + "." + k);
    return it == vm_.end() ? std::string() : it->second.as<std::string>();
  }

 private:
  const po::variables_map& vm_;
};

struct Lines {
  std::map<std::string, Origin> option;   // "trunk.a.port" -> origin
  std::map<std::string, Origin> section;  // "trunk.a" -> header origin
  std::string file;
  Origin of(const std::string& section_name, const char* key = nullptr) const {
    if (key) {
      auto it = option.find(section_name + "." + key);
      if (it != option.end()) return it->second;
    }
    auto it = section.find(section_name);
    if (it != section.end()) return it->second;
    return {file, 1};
  }
};

// The fast path's field names in check_timers' messages -> our keys.
struct TimerKey {
  const char* fastpath;
  bool per_uplink;  // [uplink.NAME] option, else [timers]
  const char* key;
};
constexpr TimerKey kTimerKeys[] = {
    {"probe_interval", true, "probe_interval_ms"},   {"probe_timeout", true, "probe_timeout_ms"},
    {"miss_threshold", false, "miss_count"},         {"holddown_initial", false, "holddown_base_ms"},
    {"holddown_max", false, "holddown_max_ms"},      {"holddown_decay", false, "holddown_decay_ms"},
    {"blackout_min_streams", false, "blackout_min_streams"}, {"blackout_quorum_pct", false, "quorum_percent"},
    {"blackout", false, "blackout_ms"},              {"flow_min_packets", false, "flow_min_packets"},
};

// One rule for the timers, the fast path's own: what would refuse our
// set_timers command there refuses the file here, at the offending key.
template <class Err>
void fastpath_timer_check(const Config& c, const UplinkConfig& u, const Lines& at, std::set<std::string>& reported,
                          Err&& err) {
  api::HealthTimers health;
  api::BlackoutConfig blackout;
  api::from_wire(fastpath_timers(c, u), health, blackout);
  const char* why = api::check_timers(health, blackout);
  if (!why) return;
  std::string_view text(why);
  std::string field(text.substr(0, text.find(' ')));
  const TimerKey* k = nullptr;
  for (const TimerKey& t : kTimerKeys)
    if (field == t.fastpath) k = &t;
  std::string rule = "the fast path refuses it: " + std::string(why);
  if (!k) {  // a rule on a field we do not map: still refused, at the uplink
    err(at.of("uplink." + u.name), "uplink " + u.name + " timers: " + rule);
    return;
  }
  if (k->per_uplink) {
    err(at.of("uplink." + u.name, k->key), std::string(k->key) + ": probe_interval_ms = " +
                                               std::to_string(u.probe_interval_ms) + ", probe_timeout_ms = " +
                                               std::to_string(u.probe_timeout_ms) + ": " + rule);
  } else if (reported.insert(k->key).second) {
    err(at.of("timers", k->key), std::string(k->key) + ": " + rule);
  }
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void cross_checks(const Config& c, const Lines& at, std::vector<ConfigError>& errors, bool need_uplink) {
  auto err = [&](Origin o, std::string msg) { errors.push_back({std::move(o), std::move(msg)}); };
  if (c.uplinks.empty() && need_uplink) err({at.file, 1}, "no [uplink.NAME] section: at least one uplink is needed");
  std::map<int, std::string> priorities;
  std::map<std::string, std::string> devices;
  std::set<std::string> reported;  // [timers] errors: once, not per uplink
  for (const auto& u : c.uplinks) {
    std::string s = "uplink." + u.name;
    fastpath_timer_check(c, u, at, reported, err);
    if (auto [it, fresh] = priorities.emplace(u.priority, u.name); !fresh)
      err(at.of(s, "priority"), "priority " + std::to_string(u.priority) + " already used by uplink " + it->second);
    if (auto [it, fresh] = devices.emplace(u.device, u.name); !fresh)
      err(at.of(s, "device"), "device '" + u.device + "' already used by uplink " + it->second);
    if (!u.dhcp && u.gateway.empty()) err(at.of(s, "address"), "uplink " + u.name + " needs a gateway (address is static)");
    if (u.role == "lte" && u.name.rfind("wan", 0) == 0)
      err(at.of(s, "role"), "uplink " + u.name + " has role lte; wan uplinks have role wan");
    if (!u.dhcp && !u.gateway.empty()) {
      IpAddr a, g;
      a.parse(u.address);
      g.parse(u.gateway);
      if (a.family != g.family) {
        err(at.of(s, "gateway"), "gateway " + u.gateway + " is not the same address family as " + u.address);
      } else {
        bool same = true;
        for (int bit = 0; bit < u.prefix; ++bit) {
          int byte = bit / 8, mask = 0x80 >> (bit % 8);
          if ((a.bytes[size_t(byte)] & mask) != (g.bytes[size_t(byte)] & mask)) same = false;
        }
        if (!same)
          err(at.of(s, "gateway"), "gateway " + u.gateway + " is outside " + u.address + "/" + std::to_string(u.prefix));
        if (a == g) err(at.of(s, "gateway"), "gateway equals the uplink's own address");
      }
    }
  }
  for (const auto& t : c.trunks) {
    std::string s = "trunk." + t.name;
    if (t.options_timeout_ms >= t.options_interval_ms)
      err(at.of(s, "options_timeout_ms"), "options_timeout_ms (" + std::to_string(t.options_timeout_ms) +
                                              ") must be shorter than options_interval_ms (" +
                                              std::to_string(t.options_interval_ms) + ")");
    std::set<std::string> seen;
    for (const auto& name : t.uplinks) {
      if (!c.uplink(name)) err(at.of(s, "uplinks"), "trunk " + t.name + " uses uplink '" + name + "', which is not defined");
      if (!seen.insert(name).second) err(at.of(s, "uplinks"), "uplink '" + name + "' listed twice");
    }
  }
  const auto& n = c.snmp;
  if (n.enabled) {
    const std::string s = "alarm.snmp";
    if (n.targets.empty()) err(at.of(s, "targets"), "SNMP enabled but no targets");
    if (n.version == "v2c" && n.community.empty()) err(at.of(s, "version"), "SNMP v2c needs a community");
    if (n.version == "v3") {
      if (n.user.empty()) err(at.of(s, "version"), "SNMP v3 needs a user");
      bool auth = n.security_level != "noAuthNoPriv", priv = n.security_level == "authPriv";
      if (auth && n.auth_key.empty()) err(at.of(s, "security_level"), n.security_level + " needs auth_key");
      if (priv && n.priv_key.empty()) err(at.of(s, "security_level"), n.security_level + " needs priv_key");
      if (!n.engine_id.empty() &&
          (n.engine_id.size() % 2 || !std::all_of(n.engine_id.begin(), n.engine_id.end(), ::isxdigit)))
        err(at.of(s, "engine_id"), "engine_id must be an even number of hex digits");
    }
  }
  const auto& m = c.email;
  if (m.enabled) {
    const std::string s = "alarm.email";
    if (m.smtp_url.empty()) err(at.of(s, "enabled"), "mail enabled but no smtp_url");
    if (m.from.empty()) err(at.of(s, "enabled"), "mail enabled but no from address");
    if (m.recipients.empty()) err(at.of(s, "enabled"), "mail enabled but no recipients");
  }
  if (!m.user.empty() && m.password.empty()) err(at.of("alarm.email", "user"), "SMTP user given without password");
  if (m.user.empty() && !m.password.empty()) err(at.of("alarm.email", "password"), "SMTP password given without user");
  if (m.smtp_url.rfind("smtps://", 0) == 0 && m.starttls != "none" && at.option.count("alarm.email.starttls"))
    err(at.of("alarm.email", "starttls"), "smtps:// is TLS from the start; starttls must be none");
  // The NOC hears of a degradation before traffic moves because of it.
  if (c.thresholds.switch_loss_percent < c.thresholds.loss_percent)
    err(at.of("thresholds", "switch_loss_percent"), "switch_loss_percent (" + fmt(c.thresholds.switch_loss_percent) +
                                                        ") is below the alarm level loss_percent (" +
                                                        fmt(c.thresholds.loss_percent) + ")");
  if (c.thresholds.switch_mos > c.thresholds.mos)
    err(at.of("thresholds", "switch_mos"), "switch_mos (" + fmt(c.thresholds.switch_mos) +
                                               ") is above the alarm level mos (" + fmt(c.thresholds.mos) + ")");
  if (c.thresholds.switch_rtt_ms < c.thresholds.rtt_ms)
    err(at.of("thresholds", "switch_rtt_ms"), "switch_rtt_ms (" + std::to_string(c.thresholds.switch_rtt_ms) +
                                                  ") is below the alarm level rtt_ms (" +
                                                  std::to_string(c.thresholds.rtt_ms) + ")");
  // Hysteresis: a clear level at or above the raise level would flap.
  const TrunkStatsConfig& ts = c.trunk_stats;
  if (ts.congestion_clear_percent >= ts.congestion_raise_percent) {
    const char* key = at.option.count("trunk_stats.congestion_clear_percent") ? "congestion_clear_percent"
                                                                                : "congestion_raise_percent";
    err(at.of("trunk_stats", key), "congestion_clear_percent (" + fmt(ts.congestion_clear_percent) +
                                       ") must be below congestion_raise_percent (" +
                                       fmt(ts.congestion_raise_percent) + ")");
  }
  if (c.box.mgmt_socket == c.store.path || c.box.pidfile == c.store.path || c.box.pidfile == c.box.mgmt_socket)
    err(at.of("store", "path"), "store path, pidfile and mgmt_socket must be different files");
}

}  // namespace

namespace {
LoadResult load(std::string_view text, const std::string& file, const std::vector<Override>& overrides,
                bool need_uplink);
}  // namespace

LoadResult load_config(std::string_view text, const std::string& file, const std::vector<Override>& overrides) {
  return load(text, file, overrides, true);
}

LoadResult load_factory_defaults(std::string_view box_text, const std::string& file,
                                 const std::vector<Override>& overrides) {
  return load(box_text, file, overrides, false);
}

namespace {
LoadResult load(std::string_view text, const std::string& file, const std::vector<Override>& overrides,
                bool need_uplink) {
  LoadResult result;
  auto& errors = result.errors;
  if (text.size() > kMaxConfigBytes) {
    errors.push_back({{file, 0}, "more than " + std::to_string(kMaxConfigBytes) + " bytes"});
    return result;
  }
  IniDocument doc = IniDocument::parse(text, file, errors);
  Lines at;
  at.file = file;

  // Pre-scan: every option must belong to a known section and be a known key.
  std::vector<Item> items;
  std::map<std::string, int> instances;  // section kind -> count
  std::set<std::string> bad_sections;
  for (const std::string& sec : doc.sections()) {
    Origin where{file, doc.section_line(sec)};
    std::string why;
    const SectionSpec* spec = find_section(sec, nullptr, &why);
    if (!spec) {
      errors.push_back({where, "section [" + sec + "]: " + why});
      bad_sections.insert(sec);
      continue;
    }
    at.section[sec] = where;
    if (spec->named && ++instances[spec->name] > spec->max_instances)
      errors.push_back({where, "too many [" + std::string(spec->name) + ".NAME] sections (at most " +
                                   std::to_string(spec->max_instances) + ")"});
  }
  std::set<std::string> seen;
  auto add_item = [&](IniDocument::Entry e) {
    const SectionSpec* spec = find_section(e.section);
    if (!spec) return;  // reported once at the header
    const OptionSpec* opt = find_option(*spec, e.key);
    if (!opt) {
      std::string known;
      for (const auto& o : spec->options) known += std::string(known.empty() ? "" : ", ") + o.key;
      errors.push_back({e.where, "unknown option '" + e.key + "' in [" + e.section + "] (known: " + known + ")"});
      return;
    }
    std::string full = e.name();
    if (!seen.insert(full).second) {
      // Duplicate in the file (already reported) or an override: the override wins.
      auto it = std::find_if(items.begin(), items.end(), [&](const Item& i) { return i.entry.name() == full; });
      if (it != items.end() && e.where.file != file) it->entry = e;
      return;
    }
    items.push_back({std::move(e), spec, opt});
  };
  for (auto& e : doc.entries())
    if (!bad_sections.count(e.section)) add_item(std::move(e));
  for (size_t i = 0; i < overrides.size(); ++i) {
    const Override& o = overrides[i];
    Origin where{"command-line", int(i + 1)};
    std::string why;
    const SectionSpec* spec = find_section(o.section, nullptr, &why);
    if (!spec) {
      errors.push_back({where, "--set " + o.section + "." + o.key + ": section [" + o.section + "]: " + why});
      continue;
    }
    if (!at.section.count(o.section)) at.section[o.section] = where;
    add_item({o.section, o.key, o.value, where});
  }
  for (const Item& i : items) at.option[i.entry.name()] = i.entry.where;

  // Typed parse with Boost.PO: one "section.key=value" line per item. A value
  // Boost rejects is reported at its origin and dropped, then the rest is
  // parsed again, so every bad value in a file is reported in one pass.
  po::options_description desc;
  std::set<std::string> registered;
  auto register_section = [&](const std::string& sec, const SectionSpec& spec) {
    if (!registered.insert(sec).second) return;
    for (const OptionSpec& o : spec.options) add_boost_option(desc, sec + "." + o.key, o);
  };
  for (const SectionSpec& s : schema())
    if (!s.named) register_section(s.name, s);
  for (const auto& [sec, where] : at.section)
    if (const SectionSpec* spec = find_section(sec)) register_section(sec, *spec);

  // Values that fail our own checks (ranges, addresses...) never reach Boost.
  for (Item& i : items) {
    if (auto why = check_value(*i.option, i.entry.value)) {
      errors.push_back({i.entry.where, i.entry.key + ": " + *why});
      i.bad = true;
    }
  }
  po::variables_map vm;
  for (size_t attempt = 0; attempt <= items.size(); ++attempt) {
    std::string feed;
    for (const Item& i : items)
      if (!i.bad) feed += i.entry.name() + "=" + i.entry.value + "\n";
    std::istringstream in(feed);
    vm.clear();
    try {
      po::store(po::parse_config_file(in, desc, false), vm);
      po::notify(vm);
      break;
    } catch (const po::error_with_option_name& e) {
      std::string name = e.get_option_name();
      while (!name.empty() && name.front() == '-') name.erase(0, 1);
      auto it = std::find_if(items.begin(), items.end(), [&](const Item& i) { return !i.bad && i.entry.name() == name; });
      if (it == items.end()) {
        errors.push_back({{file, 0}, e.what()});
        break;
      }
      errors.push_back({it->entry.where, it->entry.key + ": " + e.what()});
      it->bad = true;
    } catch (const po::error& e) {
      errors.push_back({{file, 0}, e.what()});
      break;
    }
  }

  // Required options, per section present.
  for (const auto& [sec, where] : at.section) {
    const SectionSpec* spec = find_section(sec);
    for (const OptionSpec& o : spec->options)
      if (o.required && !at.option.count(sec + "." + o.key))
        errors.push_back({where, "[" + sec + "] needs " + o.key + " (" + o.help + ")"});
  }

  if (!errors.empty()) {
    std::stable_sort(errors.begin(), errors.end(), [&](const ConfigError& a, const ConfigError& b) {
      bool fa = a.where.file != file, fb = b.where.file != file;
      return fa != fb ? fb : a.where.line < b.where.line;
    });
    return result;
  }

  Builder b(vm);
  Config c;
  c.box = {b.text("box", "name"), b.text("box", "location"), b.text("box", "mgmt_socket"),
           b.text("box", "admin_group"), b.text("box", "operator_group"), b.text("box", "pidfile"),
           b.text("box", "state_dir"), int(b.integer("box", "rollback_keep")), b.text("box", "log"),
           b.text("box", "log_level")};
  std::vector<std::string> section_order = doc.sections();
  for (const auto& [sec, where] : at.section)
    if (std::find(section_order.begin(), section_order.end(), sec) == section_order.end()) section_order.push_back(sec);
  for (const std::string& sec : section_order) {
    std::string name;
    const SectionSpec* spec = find_section(sec, &name);
    if (!spec || !spec->named) continue;
    if (std::string_view(spec->name) == "uplink") {
      UplinkConfig u;
      u.name = name;
      u.role = b.text(sec, "role");
      u.device = b.text(sec, "device");
      u.carrier = b.text(sec, "carrier");
      std::string addr = b.text(sec, "address");
      u.dhcp = addr == "dhcp";
      if (!u.dhcp) parse_cidr(addr, u.address, u.prefix);
      u.gateway = b.text(sec, "gateway");
      u.probe_targets = split_list(b.text(sec, "probe_targets"));
      // LTE is metered and its RTT higher: slower rounds, longer timeout
      // (the fast path's own LTE defaults).
      bool lte = u.role == "lte";
      u.probe_interval_ms = b.has(sec, "probe_interval_ms") || !lte ? int(b.integer(sec, "probe_interval_ms")) : 100;
      u.probe_timeout_ms = b.has(sec, "probe_timeout_ms") || !lte ? int(b.integer(sec, "probe_timeout_ms")) : 500;
      u.priority = int(b.integer(sec, "priority"));
      u.enabled = b.boolean(sec, "enabled");
      c.uplinks.push_back(std::move(u));
    } else {
      TrunkConfig t;
      t.name = name;
      t.description = b.text(sec, "description");
      t.sbc_address = b.text(sec, "sbc_address");
      t.transport = b.text(sec, "transport");
      t.sbc_port = int(b.integer(sec, "sbc_port", t.transport == "tls" ? 5061 : 5060));
      t.sbc_port_given = b.has(sec, "sbc_port");
      t.domain = b.has(sec, "domain") ? b.text(sec, "domain") : t.sbc_address;
      t.options_interval_ms = int(b.integer(sec, "options_interval_ms"));
      t.options_timeout_ms = int(b.integer(sec, "options_timeout_ms"));
      t.down_after = int(b.integer(sec, "down_after"));
      t.up_after = int(b.integer(sec, "up_after"));
      t.uplinks = split_list(b.text(sec, "uplinks"));
      c.trunks.push_back(std::move(t));
    }
  }
  for (auto& t : c.trunks)
    if (t.uplinks.empty())
      for (const auto& u : c.uplinks) t.uplinks.push_back(u.name);

  const std::string sn = "alarm.snmp";
  c.snmp.enabled = b.boolean(sn, "enabled");
  c.snmp.version = b.text(sn, "version");
  c.snmp.community = b.text(sn, "community");
  c.snmp.user = b.text(sn, "user");
  c.snmp.security_level = b.text(sn, "security_level");
  c.snmp.auth_protocol = b.text(sn, "auth_protocol");
  c.snmp.auth_key = b.text(sn, "auth_key");
  c.snmp.priv_protocol = b.text(sn, "priv_protocol");
  c.snmp.priv_key = b.text(sn, "priv_key");
  c.snmp.engine_id = b.text(sn, "engine_id");
  for (const auto& item : split_list(b.text(sn, "targets"))) {
    SnmpTarget t;
    parse_host_port(item, t.host, t.port);
    if (t.port == 0) t.port = 162;
    c.snmp.targets.push_back(t);
  }
  c.snmp.notification = b.text(sn, "notification");
  c.snmp.inform_timeout_ms = int(b.integer(sn, "inform_timeout_ms"));
  c.snmp.inform_retries = int(b.integer(sn, "inform_retries"));

  const std::string em = "alarm.email";
  c.email.enabled = b.boolean(em, "enabled");
  c.email.smtp_url = b.text(em, "smtp_url");
  c.email.starttls = b.text(em, "starttls");
  if (c.email.smtp_url.rfind("smtps://", 0) == 0 && !b.has(em, "starttls")) c.email.starttls = "none";
  c.email.user = b.text(em, "user");
  c.email.password = b.text(em, "password");
  c.email.from = b.text(em, "from");
  c.email.recipients = split_list(b.text(em, "recipients"));
  c.email.rate_limit_per_hour = int(b.integer(em, "rate_limit_per_hour"));
  c.email.group_window_s = int(b.integer(em, "group_window_s"));
  c.email.timeout_ms = int(b.integer(em, "timeout_ms"));

  const std::string sl = "alarm.syslog";
  c.syslog.enabled = b.boolean(sl, "enabled");
  c.syslog.remote = b.text(sl, "remote");
  c.syslog.facility = b.text(sl, "facility");
  c.syslog.app_name = b.text(sl, "app_name");

  c.thresholds.one_way_delay_ms = int(b.integer("thresholds", "one_way_delay_ms"));
  c.thresholds.rtt_ms = int(b.integer("thresholds", "rtt_ms"));
  c.thresholds.mos = b.real("thresholds", "mos");
  c.thresholds.switch_mos = b.real("thresholds", "switch_mos");
  c.thresholds.loss_percent = b.real("thresholds", "loss_percent");
  c.thresholds.jitter_ms = int(b.integer("thresholds", "jitter_ms"));
  c.thresholds.window_s = int(b.integer("thresholds", "window_s"));
  c.thresholds.switch_rtt_ms = int(b.integer("thresholds", "switch_rtt_ms"));
  c.thresholds.switch_loss_percent = b.real("thresholds", "switch_loss_percent");

  c.trunk_stats.window_min = int(b.integer("trunk_stats", "window_min"));
  c.trunk_stats.congestion_raise_percent = b.real("trunk_stats", "congestion_raise_percent");
  c.trunk_stats.congestion_clear_percent = b.real("trunk_stats", "congestion_clear_percent");
  c.trunk_stats.congestion_min_calls = int(b.integer("trunk_stats", "congestion_min_calls"));

  c.timers.miss_count = int(b.integer("timers", "miss_count"));
  c.timers.holddown_base_ms = int(b.integer("timers", "holddown_base_ms"));
  c.timers.holddown_max_ms = int(b.integer("timers", "holddown_max_ms"));
  c.timers.holddown_decay_ms = int(b.integer("timers", "holddown_decay_ms"));
  c.timers.failback_holddown_ms = int(b.integer("timers", "failback_holddown_ms"));
  c.timers.blackout_ms = int(b.integer("timers", "blackout_ms"));
  c.timers.blackout_min_streams = int(b.integer("timers", "blackout_min_streams"));
  c.timers.quorum_percent = int(b.integer("timers", "quorum_percent"));
  c.timers.flow_min_packets = int(b.integer("timers", "flow_min_packets"));

  c.store.path = b.text("store", "path");
  // Default under state_dir, so one --state-dir (tests, a second box) moves
  // everything the daemon writes.
  if (c.store.path.empty()) c.store.path = c.box.state_dir + "/store.db";
  c.store.max_rows = b.integer("store", "max_rows");
  c.store.notify_retention_h = b.integer("store", "notify_retention_h");
  c.store.max_size_mb = b.integer("store", "max_size_mb");

  c.capture.dir = b.text("capture", "dir");
  if (c.capture.dir.empty()) c.capture.dir = c.box.state_dir + "/captures";
  c.capture.max_packets = b.integer("capture", "max_packets");
  c.capture.max_mb = b.integer("capture", "max_mb");
  c.capture.max_duration_s = b.integer("capture", "max_duration_s");

  cross_checks(c, at, errors, need_uplink);
  if (!errors.empty()) {
    std::stable_sort(errors.begin(), errors.end(), [&](const ConfigError& a, const ConfigError& b2) {
      bool fa = a.where.file != file, fb = b2.where.file != file;
      return fa != fb ? fb : a.where.line < b2.where.line;
    });
    return result;
  }
  result.config = std::move(c);
  return result;
}
}  // namespace

}  // namespace tg::config
