// Every configuration option, declared once: section, key, type, range or
// choices, default and help. The loader builds the Boost.Program_options
// description from it, the candidate checks `configure set` against it, and
// `tg-controld --help-config` and the console's completion print it.
#pragma once
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tg::config {

// Integer/real/boolean are parsed by Boost.PO as such; the others are
// strings checked by check_value() below.
#define TG_VALUE_TYPES(X)                                                    \
  X(integer, "integer")                                                      \
  X(real, "number")                                                          \
  X(boolean, "true|false")                                                   \
  X(text, "text")                                                            \
  X(choice, "one of the listed words")                                       \
  X(ip, "IPv4 or IPv6 address")                                              \
  X(ip_list, "comma-separated IP addresses")                                 \
  X(cidr_or_dhcp, "ADDRESS/PREFIX or dhcp")                                  \
  X(host, "IP address or DNS name")                                          \
  X(host_port_list, "comma-separated HOST[:PORT] ([v6]:PORT)")               \
  X(name_list, "comma-separated names")                                      \
  X(email, "mail address")                                                   \
  X(email_list, "comma-separated mail addresses")                            \
  X(url, "URL")                                                              \
  X(path, "absolute path")                                                   \
  X(secret, "text (not shown)")

enum class ValueType {
#define TG_X(name, text) name,
  TG_VALUE_TYPES(TG_X)
#undef TG_X
};
const char* value_type_text(ValueType);

struct OptionSpec {
  const char* key;
  ValueType type;
  double min, max;          // integer/real: value range; lists: element count; text: length
  const char* choices;      // choice: "a|b|c"; url: allowed schemes "smtp|smtps"
  const char* default_value;  // nullptr: no default (required or optional, see required)
  bool required;
  const char* help;
};

// A section kind: fixed ("thresholds") or named ("trunk" -> [trunk.NAME]).
struct SectionSpec {
  const char* name;
  bool named;
  int max_instances;        // named sections only
  const char* name_choices; // named: allowed instance names "wan0|wan1|lte|up3", nullptr = any
  std::span<const OptionSpec> options;
  const char* help;
};

std::span<const SectionSpec> schema();

// "trunk.carrierA" -> trunk spec (and instance "carrierA"); nullptr if unknown
// or the instance name is not allowed.
const SectionSpec* find_section(std::string_view section, std::string* instance = nullptr,
                                std::string* why = nullptr);
const OptionSpec* find_option(const SectionSpec&, std::string_view key);

// Checks one value against its spec (type, range, choices). Returns an empty
// optional if it is fine, else what is wrong, e.g. "must be 1..65535, got 70000".
std::optional<std::string> check_value(const OptionSpec&, std::string_view value);

// Splits "a, b ,c" into trimmed non-empty items.
std::vector<std::string> split_list(std::string_view value);

// Parsers shared with the typed loader. All return false on bad input.
bool parse_cidr(std::string_view s, std::string& address, int& prefix);
bool parse_host_port(std::string_view s, std::string& host, int& port);
bool valid_hostname(std::string_view s);
bool valid_email(std::string_view s);

}  // namespace tg::config
