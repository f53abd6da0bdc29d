#include "control/mgmt/protocol.hpp"


#include "control/mgmt/access.hpp"

// CppUTest last: its leak detector redefines new.
#include <CppUTest/TestHarness.h>

using namespace tg::mgmt;

TEST_GROUP(Protocol){};

TEST(Protocol, ParsesAValidRequest) {
  Request r;
  Error e;
  Json id;
  CHECK(parse_request(R"({"v":1,"id":"a7","cmd":"show.uplinks","args":{"x":1}})", r, e, id));
  STRCMP_EQUAL("show.uplinks", r.cmd.c_str());
  STRCMP_EQUAL("a7", r.id.get<std::string>().c_str());
  LONGS_EQUAL(1, r.args["x"].get<int>());
  CHECK(parse_request(R"({"v":1,"cmd":"hello"})", r, e, id));
  CHECK(r.args.is_object());
  CHECK(r.id.is_null());
}

TEST(Protocol, RejectsBadRequestsWithTheirCode) {
  Request r;
  Error e;
  Json id;
  CHECK_FALSE(parse_request("not json", r, e, id));
  LONGS_EQUAL(int(ErrorCode::bad_json), int(e.code));
  CHECK_FALSE(parse_request("[1,2]", r, e, id));
  LONGS_EQUAL(int(ErrorCode::bad_json), int(e.code));
  CHECK_FALSE(parse_request(R"({"id":3,"cmd":"hello"})", r, e, id));
  LONGS_EQUAL(int(ErrorCode::bad_request), int(e.code));
  LONGS_EQUAL(3, id.get<int>());  // echoed even on errors
  CHECK_FALSE(parse_request(R"({"v":2,"cmd":"hello"})", r, e, id));
  LONGS_EQUAL(int(ErrorCode::bad_version), int(e.code));
  STRCMP_EQUAL("protocol version 2 is not supported; this daemon speaks 1", e.message.c_str());
  CHECK_FALSE(parse_request(R"({"v":1})", r, e, id));
  STRCMP_EQUAL("field \"cmd\" (string) is missing", e.message.c_str());
  CHECK_FALSE(parse_request(R"({"v":1,"cmd":"hello","args":[1]})", r, e, id));
  STRCMP_EQUAL("field \"args\" must be an object", e.message.c_str());
  CHECK_FALSE(parse_request(R"({"v":1,"cmd":"hello","arg":{}})", r, e, id));
  STRCMP_EQUAL("unknown field \"arg\" (fields: v, id, cmd, args)", e.message.c_str());
  std::string huge = R"({"v":1,"cmd":")" + std::string(kMaxLineBytes, 'a') + "\"}";
  CHECK_FALSE(parse_request(huge, r, e, id));
  LONGS_EQUAL(int(ErrorCode::too_long), int(e.code));
}

TEST(Protocol, ResponsesAreSingleLines) {
  std::string ok = ok_response(5, Json{{"a", "x\ny"}});
  STRCMP_EQUAL("{\"id\":5,\"ok\":true,\"result\":{\"a\":\"x\\ny\"},\"v\":1}\n", ok.c_str());
  std::string err = error_response(nullptr, {ErrorCode::config_invalid, "bad", {"candidate:3: x"}});
  STRCMP_EQUAL(
      "{\"error\":{\"code\":\"config_invalid\",\"details\":[\"candidate:3: x\"],\"message\":\"bad\"},\"id\":null,"
      "\"ok\":false,\"v\":1}\n",
      err.c_str());
  // Invalid UTF-8 from a file or packet never breaks the dump.
  std::string bad = ok_response(1, Json{{"s", std::string("\xff\xfe")}});
  CHECK(bad.find("\xef\xbf\xbd") != std::string::npos);
}

TEST(Protocol, TypedArguments) {
  Error e;
  std::string s;
  int64_t n = 0;
  Json args{{"name", "wan1"}, {"n", 3}, {"bad", "x"}};
  CHECK(arg_string(args, "name", s, e));
  STRCMP_EQUAL("wan1", s.c_str());
  CHECK_FALSE(arg_string(args, "n", s, e));
  STRCMP_EQUAL("argument \"n\" must be a string", e.message.c_str());
  CHECK_FALSE(arg_string(args, "missing", s, e));
  CHECK(arg_string(args, "missing", s, e, false));
  CHECK(arg_int(args, "n", n, e, 0, 10));
  LONGS_EQUAL(3, n);
  CHECK_FALSE(arg_int(args, "n", n, e, 5, 10));
  STRCMP_EQUAL("argument \"n\" must be 5..10, got 3", e.message.c_str());
  CHECK_FALSE(args_only(args, {"name", "n"}, e));
  STRCMP_EQUAL("unknown argument \"bad\" (takes: name, n)", e.message.c_str());
  CHECK_FALSE(args_only(args, {}, e));
  STRCMP_EQUAL("unknown argument \"bad\" (takes none)", e.message.c_str());
}

TEST(Protocol, ErrorCodeNamesRoundTrip) {
  for (int i = 0; i < int(ErrorCode::count_); ++i) {
    auto c = error_code_from_name(error_code_name(ErrorCode(i)));
    CHECK(c.has_value());
    LONGS_EQUAL(i, int(*c));
  }
  CHECK_FALSE(error_code_from_name("nope"));
}

TEST_GROUP(Access){};

TEST(Access, RootAdminGroupOperatorGroupOthers) {
  AccessPolicy p;
  p.admin_group = "tgadmin";
  p.operator_group = "tgops";
  p.admin_gid_known = p.operator_gid_known = true;
  p.admin_gid = 990;
  p.operator_gid = 991;
  Peer root{1, 0, 0, {}, "root"};
  Peer admin{2, 1000, 1000, {27, 990}, "alice"};
  Peer primary_admin{2, 1001, 990, {}, "bob"};
  Peer op{3, 1002, 1002, {991}, "carol"};
  Peer other{4, 1003, 1003, {100}, "mallory"};
  LONGS_EQUAL(int(Role::admin), int(p.role_of(root)));
  LONGS_EQUAL(int(Role::admin), int(p.role_of(admin)));
  LONGS_EQUAL(int(Role::admin), int(p.role_of(primary_admin)));
  LONGS_EQUAL(int(Role::operator_), int(p.role_of(op)));
  LONGS_EQUAL(int(Role::none), int(p.role_of(other)));
  STRCMP_EQUAL("user mallory (uid 1003) is not root and not in group tgadmin or tgops", p.refusal(other).c_str());
}

TEST(Access, MissingGroupGrantsNothing) {
  AccessPolicy p = AccessPolicy::resolve("tg-no-such-group-xyz", "");
  CHECK_FALSE(p.admin_gid_known);
  Peer user{1, 1000, 0, {0}, "u"};  // gid 0 must not match an unresolved group
  LONGS_EQUAL(int(Role::none), int(p.role_of(user)));
  STRCMP_CONTAINS("does not exist on this system", p.refusal(user).c_str());
  AccessPolicy root_group = AccessPolicy::resolve("root", "");
  CHECK(root_group.admin_gid_known);
  LONGS_EQUAL(0, root_group.admin_gid);
}
