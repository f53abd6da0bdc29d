#include "control/mgmt/protocol.hpp"

namespace tg::mgmt {

namespace {
constexpr const char* kNames[] = {
#define TG_X(name, text) #name,
    TG_MGMT_ERRORS(TG_X)
#undef TG_X
};
constexpr const char* kTexts[] = {
#define TG_X(name, text) text,
    TG_MGMT_ERRORS(TG_X)
#undef TG_X
};
}  // namespace

const char* error_code_name(ErrorCode c) { return size_t(c) < size_t(ErrorCode::count_) ? kNames[size_t(c)] : "?"; }
const char* error_code_text(ErrorCode c) { return size_t(c) < size_t(ErrorCode::count_) ? kTexts[size_t(c)] : "?"; }

std::optional<ErrorCode> error_code_from_name(std::string_view name) {
  for (size_t i = 0; i < size_t(ErrorCode::count_); ++i)
    if (name == kNames[i]) return ErrorCode(i);
  return std::nullopt;
}

bool parse_request(std::string_view line, Request& out, Error& error, Json& id) {
  id = nullptr;
  if (line.size() > kMaxLineBytes) {
    error = {ErrorCode::too_long, "request of " + std::to_string(line.size()) + " bytes; the limit is " +
                                      std::to_string(kMaxLineBytes), {}};
    return false;
  }
  Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    error = {ErrorCode::bad_json, "expected one JSON object per line, e.g. {\"v\":1,\"cmd\":\"hello\"}", {}};
    return false;
  }
  if (auto it = j.find("id"); it != j.end()) id = *it;
  auto v = j.find("v");
  if (v == j.end() || !v->is_number_integer()) {
    error = {ErrorCode::bad_request, "field \"v\" (protocol version, integer) is missing", {}};
    return false;
  }
  if (v->get<int64_t>() != kProtocolVersion) {
    error = {ErrorCode::bad_version,
             "protocol version " + v->dump() + " is not supported; this daemon speaks " +
                 std::to_string(kProtocolVersion),
             {}};
    return false;
  }
  auto cmd = j.find("cmd");
  if (cmd == j.end() || !cmd->is_string() || cmd->get_ref<const std::string&>().empty()) {
    error = {ErrorCode::bad_request, "field \"cmd\" (string) is missing", {}};
    return false;
  }
  Json args = Json::object();
  if (auto a = j.find("args"); a != j.end()) {
    if (!a->is_object() && !a->is_null()) {
      error = {ErrorCode::bad_request, "field \"args\" must be an object", {}};
      return false;
    }
    if (a->is_object()) args = *a;
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() != "v" && it.key() != "id" && it.key() != "cmd" && it.key() != "args") {
      error = {ErrorCode::bad_request, "unknown field \"" + it.key() + "\" (fields: v, id, cmd, args)", {}};
      return false;
    }
  }
  out.id = id;
  out.cmd = cmd->get<std::string>();
  out.args = std::move(args);
  return true;
}

std::string dump_line(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string ok_response(const Json& id, const Json& result) {
  return dump_line(Json{{"v", kProtocolVersion}, {"id", id}, {"ok", true}, {"result", result}});
}

std::string error_response(const Json& id, const Error& e) {
  Json err{{"code", error_code_name(e.code)}, {"message", e.message}};
  if (!e.details.empty()) err["details"] = e.details;
  return dump_line(Json{{"v", kProtocolVersion}, {"id", id}, {"ok", false}, {"error", err}});
}

std::string request_line(const Json& id, std::string_view cmd, const Json& args) {
  return dump_line(Json{{"v", kProtocolVersion}, {"id", id}, {"cmd", cmd}, {"args", args}});
}

bool arg_string(const Json& args, const char* name, std::string& out, Error& error, bool required) {
  auto it = args.find(name);
  if (it == args.end() || it->is_null()) {
    if (!required) return true;
    error = {ErrorCode::bad_argument, std::string("argument \"") + name + "\" is missing", {}};
    return false;
  }
  if (!it->is_string()) {
    error = {ErrorCode::bad_argument, std::string("argument \"") + name + "\" must be a string", {}};
    return false;
  }
  out = it->get<std::string>();
  return true;
}

bool arg_int(const Json& args, const char* name, int64_t& out, Error& error, int64_t min, int64_t max, bool required) {
  auto it = args.find(name);
  if (it == args.end() || it->is_null()) {
    if (!required) return true;
    error = {ErrorCode::bad_argument, std::string("argument \"") + name + "\" is missing", {}};
    return false;
  }
  if (!it->is_number_integer()) {
    error = {ErrorCode::bad_argument, std::string("argument \"") + name + "\" must be an integer", {}};
    return false;
  }
  int64_t v = it->get<int64_t>();
  if (v < min || v > max) {
    error = {ErrorCode::bad_argument,
             std::string("argument \"") + name + "\" must be " + std::to_string(min) + ".." + std::to_string(max) +
                 ", got " + std::to_string(v),
             {}};
    return false;
  }
  out = v;
  return true;
}

bool args_only(const Json& args, std::initializer_list<const char*> allowed, Error& error) {
  for (auto it = args.begin(); it != args.end(); ++it) {
    bool known = false;
    for (const char* a : allowed) known = known || it.key() == a;
    if (!known) {
      std::string list;
      for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
      error = {ErrorCode::bad_argument,
               "unknown argument \"" + it.key() + "\"" + (list.empty() ? " (takes none)" : " (takes: " + list + ")"),
               {}};
      return false;
    }
  }
  return true;
}

}  // namespace tg::mgmt
