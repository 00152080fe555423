#include "verify/flow.hpp"

#include <gtest/gtest.h>

#include "core/redact.hpp"
#include "process.hpp"
#include "server.hpp"
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

// Asserts compared against literal text only: an expected value naming a capture or the
// environment did not even parse.
TEST(Assertion, ExpectedValueExpandsCapturesAndEnvironmentTemplates) {
  const auto r = response(200, R"({"id":7,"owner":"ann","label":"run-r1","n":12})");
  Variables vars;
  vars.captures["id"] = 7;
  vars.captures["min"] = "10";
  Environment env({{"SMOKE_OWNER", "ann"}}, false);
  const auto holds = [&](std::string_view text) {
    auto a = parse_assertion(text);
    EXPECT_TRUE(a) << text << ": " << (a ? "" : a.error().message);
    if (!a) return false;
    EXPECT_TRUE(a->predicate.templated) << text;
    auto resolved = resolve_assertion(*a, vars, env, "r1");
    EXPECT_TRUE(resolved) << text << ": " << (resolved ? "" : resolved.error().message);
    return resolved && evaluate_assertion(*resolved, r).pass;
  };
  EXPECT_TRUE(holds("json $.id == {{id}}"));       // Hurl's unquoted spelling; the number stays a number
  EXPECT_TRUE(holds(R"(json $.id == "{{id}}")"));  // quoted: the same, as in a JSON body
  EXPECT_FALSE(holds("json $.id != {{id}}"));
  EXPECT_TRUE(holds(R"(json $.owner == "{{env.SMOKE_OWNER}}")"));
  EXPECT_TRUE(holds(R"(json $.label == "run-{{run_id}}")"));
  EXPECT_TRUE(holds(R"(json $.label contains "{{run_id}}")"));
  EXPECT_TRUE(holds("json $.n > {{min}}"));  // "10" read as a number for >
  EXPECT_FALSE(holds("json $.n < {{min}}"));
  // An unknown capture or an unset variable fails, named, instead of comparing with the raw text.
  auto a = parse_assertion("json $.id == {{nope}}");
  ASSERT_TRUE(a);
  auto resolved = resolve_assertion(*a, vars, env, "r1");
  ASSERT_FALSE(resolved);
  EXPECT_NE(resolved.error().message.find("{{nope}}"), std::string::npos) << resolved.error().message;
  auto word = parse_assertion(R"(json $.n > "{{env.SMOKE_OWNER}}")");
  ASSERT_TRUE(word);
  auto not_number = resolve_assertion(*word, vars, env, "r1");
  ASSERT_FALSE(not_number);
  EXPECT_NE(not_number.error().message.find("not a number"), std::string::npos) << not_number.error().message;
  // Not expanded: never silently compared as text.
  EXPECT_FALSE(evaluate_assertion(*a, r).pass);
}

// APIs that return counts as strings ("42") could not be compared as numbers.
TEST(Assertion, ToIntAndToFloatFiltersCompareCountsReturnedAsStrings) {
  const auto r = response(200, R"({"count":"42","ratio":" 0.75","n":3,"word":"many","big":"99999999999999999999"})");
  EXPECT_FALSE(passes(R"(json $.count >= 40)", r));  // a string is not a number
  EXPECT_TRUE(passes(R"(json $.count toInt >= 40)", r));
  EXPECT_TRUE(passes(R"(json $.count toInt == 42)", r));
  EXPECT_TRUE(passes(R"(json $.count toInt is number)", r));
  EXPECT_TRUE(passes(R"(json $.ratio toFloat < 1)", r));
  EXPECT_TRUE(passes(R"(json $.n toInt == 3)", r));  // a number stays a number
  EXPECT_FALSE(passes(R"(json $.ratio toInt == 0)", r));
  auto bad = parse_assertion("json $.word toInt > 1");
  ASSERT_TRUE(bad);
  const auto o = evaluate_assertion(*bad, r);
  EXPECT_FALSE(o.pass);
  EXPECT_NE(o.message.find(R"(toInt: "many" is not an integer)"), std::string::npos) << o.message;
  EXPECT_FALSE(passes("json $.big toInt > 1", r));  // out of range is not an integer either
  auto q = parse_query("json $.count toInt");
  ASSERT_TRUE(q);
  auto values = select(*q, r);
  ASSERT_TRUE(values);
  ASSERT_EQ(values->size(), 1U);
  EXPECT_EQ(values->front(), boost::json::value(42));
  EXPECT_FALSE(parse_query("json $.count toInt extra"));
  // Not a filter: still an unknown operator, pointed at.
  auto typo = parse_assertion("json $.count toint > 1");
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("unknown operator 'toint'"), std::string::npos) << typo.error().message;
}

TEST(FlowFile, ParsesFlowHeadersRetryAndRetryInterval) {
  auto flows = parse_flow_file(R"(
[[flow]]
name = "eventually"
headers = { "X-Slipway-Bypass" = "{{env.BYPASS}}", Accept = "application/json" }
[[flow.step]]
url = "/jobs/1"
retry = 5
retry_interval = "250ms"
assert = ["json $.done == true"]
)",
                               "flows.toml");
  ASSERT_TRUE(flows) << flows.error().front().message;
  const Flow& f = flows->front();
  ASSERT_EQ(f.headers.size(), 2U);
  EXPECT_EQ(f.steps.at(0).retry, 5);
  EXPECT_EQ(f.steps.at(0).retry_interval, std::chrono::milliseconds(250));

  auto bad = parse_flow_file(R"([[flow]]
name = "x"
headers = "X-A: 1"
[[flow.step]]
url = "/a"
retry = -1
retry_interval = "soon"
retyr = 3
)",
                             "f.toml");
  ASSERT_FALSE(bad);
  std::string all;
  for (const auto& e : bad.error()) all += e.where + " " + e.message + "\n";
  EXPECT_NE(all.find("f.toml:3:11 headers must be a table of strings"), std::string::npos) << all;
  EXPECT_NE(all.find("f.toml:6:9 retry must be an integer from 0 to 1000"), std::string::npos) << all;
  EXPECT_NE(all.find("f.toml:7:18 retry_interval"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown key 'step.retyr', did you mean 'retry'?"), std::string::npos) << all;
}

// Runs `flow_text` against tests/verify/flow_server.js; returns the report.
Report run_against_flow_server(const std::string& flow_text, const Environment& env, bool* passed = nullptr) {
  test::ChildServer server({"node", test::source_path("tests/verify/flow_server.js")});
  auto flows = parse_flow_file(flow_text, "flows.toml");
  EXPECT_TRUE(flows) << (flows ? "" : flows.error().front().where + " " + flows.error().front().message);
  Report report;
  if (!flows) return report;
  VerifySettings settings;
  settings.base_url = "http://127.0.0.1:" + std::to_string(server.port());
  settings.flows = *flows;
  net::HttpClient client(settings.client_options());
  SmokeRunner runner(settings, client, env);
  const bool ok = runner.run(settings.flows.front(), &report).has_value();
  if (passed) *passed = ok;
  return report;
}

std::string dump(const Report& r) {
  return r.render(Format::text, Style(false));
}

TEST(Smoke, CapturedAndEnvironmentValuesAndToIntAreComparedAgainstALiveApi) {
  bool passed = false;
  const Report report = run_against_flow_server(R"(
[[flow]]
name = "stats"
[[flow.step]]
url = "/stats"
capture = { id = "json $.id", count = "json $.count toInt" }
[[flow.step]]
url = "/stats"
assert = ["json $.id == {{id}}", 'json $.owner == "{{env.SMOKE_OWNER}}"', "json $.count toInt >= {{count}}",
          "json $.ratio toFloat < 1"]
)",
                                                Environment({{"SMOKE_OWNER", "ann"}}, false), &passed);
  EXPECT_TRUE(passed) << dump(report);
  EXPECT_EQ(report.count(Status::fail), 0U) << dump(report);
  EXPECT_EQ(report.count(Status::pass), 4U + 2U + 1U) << dump(report);  // asserts, steps, flow
}

// A bypass cookie had to be repeated on every step: the flow's headers go with each step, and a
// step's own header of the same name wins.
TEST(Smoke, FlowHeadersAreSentWithEveryStepAndAStepHeaderWins) {
  bool passed = false;
  const Report report = run_against_flow_server(R"(
[[flow]]
name = "headers"
headers = { "X-Slipway-Bypass" = "{{env.BYPASS}}", "X-Tenant" = "flow" }
[[flow.step]]
url = "/headers"
assert = ["json $['x-slipway-bypass'] == \"b-1\"", "json $['x-tenant'] == \"flow\""]
[[flow.step]]
url = "/headers"
headers = { "x-tenant" = "step" }
assert = ["json $['x-slipway-bypass'] == \"b-1\"", "json $['x-tenant'] == \"step\""]
)",
                                                Environment({{"BYPASS", "b-1"}}, false), &passed);
  EXPECT_TRUE(passed) << dump(report);
  EXPECT_EQ(report.count(Status::fail), 0U) << dump(report);
}

// An eventually consistent endpoint: the step is re-sent until its asserts pass, and only the
// last try is reported.
// A header value with a line break (written, or from a captured value) was sent as is and
// injected a second header.
TEST(Smoke, AHeaderValueWithALineBreakIsRefusedNotInjected) {
  bool passed = true;
  const Report report = run_against_flow_server(R"(
[[flow]]
name = "inject"
headers = { "X-A" = "a\r\nX-Injected: 1" }
[[flow.step]]
url = "/headers"
assert = ["json $['x-injected'] not exists"]
)",
                                                Environment({}, false), &passed);
  EXPECT_FALSE(passed);
  const std::string text = dump(report);
  EXPECT_NE(text.find("header X-A holds a line break"), std::string::npos) << text;
  EXPECT_EQ(text.find("GET /headers -> 200"), std::string::npos) << text;  // never sent
}

TEST(Smoke, RetryResendsAStepUntilItsAssertsPass) {
  bool passed = false;
  const Report report = run_against_flow_server(R"(
[[flow]]
name = "eventually"
[[flow.step]]
url = "/eventually"
retry = 5
retry_interval = "10ms"
assert = ["json $.ready == true"]
)",
                                                Environment({}, false), &passed);
  EXPECT_TRUE(passed) << dump(report);
  EXPECT_EQ(report.count(Status::fail), 0U) << dump(report);
  const std::string text = dump(report);
  EXPECT_NE(text.find("(try 3 of 6)"), std::string::npos) << text;
  EXPECT_EQ(report.checks().size(), 3U) << text;  // step, assert, flow: the failed tries are not reported
}

TEST(Smoke, RetryIsBoundedAndTheFailureNamesTheLastTryAndTheNumberOfTries) {
  bool passed = true;
  const Report report = run_against_flow_server(R"(
[[flow]]
name = "never"
[[flow.step]]
url = "/never"
retry = 2
retry_interval = "10ms"
assert = ["json $.ready == true"]
)",
                                                Environment({}, false), &passed);
  EXPECT_FALSE(passed);
  const std::string text = dump(report);
  EXPECT_NE(text.find("GET /never -> 200"), std::string::npos) << text;
  EXPECT_NE(text.find("(try 3 of 3)"), std::string::npos) << text;
  EXPECT_NE(text.find("a capture or assertion failed, after 3 tries"), std::string::npos) << text;
  EXPECT_EQ(report.count(Status::fail), 2U) << text;  // the assert and the flow
}

}  // namespace
}  // namespace slipway::verify
