#include "verify/flow.hpp"

#include <gtest/gtest.h>

#include "core/redact.hpp"
#include "verify/settings.hpp"
#include "verify/smoke.hpp"

namespace slipway::verify {
namespace {

net::HttpResponse response(int status, std::string body, net::Headers headers = {}) {
  net::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  r.elapsed = std::chrono::microseconds(12'500);
  return r;
}

bool passes(std::string_view text, const net::HttpResponse& r) {
  auto a = parse_assertion(text);
  EXPECT_TRUE(a) << text << ": " << (a ? "" : a.error().message);
  return a && evaluate_assertion(*a, r).pass;
}

TEST(Assertion, EveryPredicateOnJson) {
  const auto r = response(200, R"({"user":{"role":"ADMIN","id":7},"items":[{"n":1},{"n":2}],"total":"0120"})");
  EXPECT_TRUE(passes(R"(json $.user.role == "ADMIN")", r));
  EXPECT_FALSE(passes(R"(json $.user.role != "ADMIN")", r));
  EXPECT_TRUE(passes("json /user/id == 7.0", r));
  EXPECT_TRUE(passes("json $.user.id >= 7", r));
  EXPECT_FALSE(passes("json $.user.id < 7", r));
  EXPECT_TRUE(passes("json $.items[*].n > 0", r));
  EXPECT_FALSE(passes("json $.items[*].n > 1", r));
  EXPECT_TRUE(passes("json $.user exists", r));
  EXPECT_TRUE(passes("json $.nope not exists", r));
  EXPECT_TRUE(passes(R"(json $.user.role contains "ADM")", r));
  EXPECT_TRUE(passes(R"(json $.user.role matches "^AD[A-Z]+$")", r));
  EXPECT_TRUE(passes("json $.items is array", r));
  // The v3 bug: a total that is a concatenated string is not a number.
  EXPECT_FALSE(passes("json $.total is number", r));
  EXPECT_FALSE(passes("json $.total > 0", r));
  auto a = parse_assertion("json $.total > 0");
  EXPECT_EQ(evaluate_assertion(*a, r).message, "\"0120\" is a string, not a number");
}

TEST(Assertion, MessagesSayAnArrayNotAArray) {
  const auto r = response(200, R"({"items":[{"n":1}],"user":{"id":7}})");
  EXPECT_EQ(evaluate_assertion(*parse_assertion("json $.items > 0"), r).message,
            "[{\"n\":1}] is an array, not a number");
  EXPECT_EQ(evaluate_assertion(*parse_assertion("json $.user is array"), r).message,
            "{\"id\":7} is an object, not an array");
  EXPECT_EQ(evaluate_assertion(*parse_assertion("json $.items is array"), r).message, "an array");
}

TEST(Assertion, StatusHeaderBodyDurationCookie) {
  const auto r = response(
      201, "all ok", {{"Content-Type", "application/json; charset=utf-8"}, {"Set-Cookie", "sid=abc123; HttpOnly"}});
  EXPECT_TRUE(passes("status == 201", r));
  EXPECT_TRUE(passes("status < 400", r));
  EXPECT_TRUE(passes(R"(header content-type contains "json")", r));
  EXPECT_TRUE(passes("header X-Missing not exists", r));
  EXPECT_TRUE(passes(R"(body contains "ok")", r));
  EXPECT_TRUE(passes("duration < 1s", r));
  EXPECT_TRUE(passes("duration < 13", r));  // bare numbers are milliseconds
  EXPECT_FALSE(passes("duration < 10ms", r));
  EXPECT_TRUE(passes(R"(cookie sid == "abc123")", r));
  auto a = parse_assertion("json $.x exists");
  EXPECT_FALSE(evaluate_assertion(*a, r).pass);
  EXPECT_NE(evaluate_assertion(*a, r).message.find("not JSON"), std::string::npos);
}

TEST(Assertion, ErrorsPointAtTheProblem) {
  auto e = parse_assertion("jsn $.a exists");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().column, 1U);
  e = parse_assertion("json $.a ~= 3");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().column, 10U);
  e = parse_assertion("json $.a < \"x\"");
  ASSERT_FALSE(e);
  e = parse_assertion("json $.a == unquoted");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().column, 13U);
  e = parse_assertion("status exists 3");
  ASSERT_FALSE(e);
  EXPECT_FALSE(parse_query("json $.a == 1"));
  EXPECT_TRUE(parse_query("header Location"));
}

TEST(Template, CapturesEnvironmentAndRunId) {
  Variables vars;
  vars.captures["id"] = 42;
  vars.captures["name"] = "x y";
  Environment env({{"API_PASSWORD", "hunter2-secret"}, {"HOST", "h"}}, false);
  auto s = expand_template("/a/{{id}}/{{ name }}?h=${HOST}&p={{env.API_PASSWORD}}&r={{run_id}}", vars, env, "r1");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(*s, "/a/42/x y?h=h&p=hunter2-secret&r=r1");
  // A secret-named variable is masked from now on.
  EXPECT_EQ(redact("p=hunter2-secret"), "p=***");
  EXPECT_FALSE(expand_template("{{missing}}", vars, env, "r"));
  auto unset = expand_template("{{env.NOT_SET_ANYWHERE}}", vars, env, "r");
  ASSERT_FALSE(unset);
  EXPECT_NE(unset.error().message.find("NOT_SET_ANYWHERE"), std::string::npos);
  EXPECT_FALSE(expand_template("{{open", vars, env, "r"));
}

TEST(FlowFile, ParsesStepsCapturesAndAsserts) {
  auto flows = parse_flow_file(R"(
[[flow]]
name = "login"
role = "admin"
[[flow.step]]
method = "post"
url = "/api/auth/login"
json = { email = "a@b.c", n = 3, nested = { list = [1, "two"] } }
status = [200, 201]
capture = { token = "json $.accessToken", where = "header Location", sid = "cookie sid" }
assert = ["json $.ok == true"]
)",
                               "flows.toml");
  ASSERT_TRUE(flows);
  ASSERT_EQ(flows->size(), 1U);
  const Step& s = flows->front().steps.at(0);
  EXPECT_EQ(s.method, "POST");
  EXPECT_EQ(s.status, (std::vector<int>{200, 201}));
  EXPECT_EQ(s.json->at("nested").at("list").as_array().size(), 2U);
  ASSERT_EQ(s.captures.size(), 3U);
  for (const auto& c : s.captures) EXPECT_EQ(c.secret, c.name != "where") << c.name;
  EXPECT_EQ(s.asserts.size(), 1U);
}

TEST(FlowFile, CollectsEveryErrorWithItsPosition) {
  auto flows = parse_flow_file(R"([[flow]]
name = "x"
[[flow.step]]
urll = "/a"
assert = ["json $.a ~ 1"]
capture = { t = "nope" }
)",
                               "f.toml");
  ASSERT_FALSE(flows);
  std::string all;
  for (const auto& e : flows.error()) all += e.where + " " + e.message + "\n";
  EXPECT_NE(all.find("f.toml:4:1 unknown key 'step.urll', did you mean 'url'?"), std::string::npos) << all;
  EXPECT_NE(all.find("has no url"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown operator '~'"), std::string::npos) << all;
  EXPECT_NE(all.find("capture.t: unknown query 'nope'"), std::string::npos) << all;
}

}  // namespace
}  // namespace slipway::verify
