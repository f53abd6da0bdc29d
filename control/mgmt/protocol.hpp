// Management protocol between tg-controld and its clients (tg-cli, scripts):
// one JSON object per line over a unix stream socket, request then response.
//
//   request:  {"v":1, "id":7, "cmd":"show.uplinks", "args":{...}}
//   response: {"v":1, "id":7, "ok":true,  "result":{...}}
//             {"v":1, "id":7, "ok":false, "error":{"code":"bad_argument",
//                                                  "message":"...", "details":[...]}}
//
// "v" is the protocol version; a server answers bad_version to a version it
// does not speak (and says which it speaks). "id" is echoed (any JSON value).
// On connect the server sends nothing; "hello" returns the versions and the
// peer's access role.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tg::mgmt {

using Json = nlohmann::json;

constexpr int kProtocolVersion = 1;
constexpr size_t kMaxLineBytes = 64 * 1024;  // requests and responses are small

#define TG_MGMT_ERRORS(X)                                                         \
  X(bad_json, "request is not a JSON object on one line")                         \
  X(bad_version, "protocol version not supported")                                \
  X(bad_request, "request lacks a field or has one of the wrong type")            \
  X(too_long, "request longer than the line limit")                               \
  X(unknown_command, "no such command")                                           \
  X(bad_argument, "an argument is missing, unknown or out of range")              \
  X(permission_denied, "the peer's role does not allow this command")             \
  X(not_available, "the daemon cannot answer this (part absent or not running)")  \
  X(fastpath_unavailable, "the fast path is not running or not answering")        \
  X(config_invalid, "the candidate configuration has errors")                     \
  X(io_error, "a file could not be written")                                      \
  X(busy, "too many clients")                                                     \
  X(internal, "unexpected failure in the daemon")

enum class ErrorCode {
#define TG_X(name, text) name,
  TG_MGMT_ERRORS(TG_X)
#undef TG_X
      count_
};
const char* error_code_name(ErrorCode);
const char* error_code_text(ErrorCode);
std::optional<ErrorCode> error_code_from_name(std::string_view);

struct Request {
  Json id;           // null when absent
  std::string cmd;
  Json args;         // always an object
};

struct Error {
  ErrorCode code;
  std::string message;
  std::vector<std::string> details;
};

// Parses one line. On failure `error` says why (bad_json, bad_version,
// bad_request) and `id` holds the request's id when it could be read.
bool parse_request(std::string_view line, Request& out, Error& error, Json& id);

// Responses as one line each (with the trailing newline). Strings that are
// not valid UTF-8 are replaced, never make the dump fail.
std::string ok_response(const Json& id, const Json& result);
std::string error_response(const Json& id, const Error& error);
std::string request_line(const Json& id, std::string_view cmd, const Json& args);
std::string dump_line(const Json& j);

// Reads a typed argument; false with error filled when it is missing (and
// required) or of the wrong type.
bool arg_string(const Json& args, const char* name, std::string& out, Error& error, bool required = true);
bool arg_int(const Json& args, const char* name, int64_t& out, Error& error, int64_t min, int64_t max,
             bool required = true);
// Rejects arguments not in `allowed` (catches typos in scripts).
bool args_only(const Json& args, std::initializer_list<const char*> allowed, Error& error);

}  // namespace tg::mgmt
