// Smoke flows: declarative HTTP steps with captures and assertions, after Hurl.
//
// A flow is a list of steps; a step sends one request and checks the response. Captures and
// assertions share one small expression language: a query, then (for asserts) a predicate.
//
//   query      status | duration | body | json <path> | header <name> | cookie <name>, then an
//              optional filter, as in Hurl: toInt | toFloat ("42" -> 42, before comparing)
//   predicate  == != < <= > >= <value> | exists | not exists | contains <value>
//              | not contains <value> | matches "<regex>" | is number|string|boolean|array|object|null
//   value      a JSON literal ("text", 42, 1.5, true, false, null), a duration (500ms, 1s), or a
//              template ({{id}}, "{{env.MIN}}", "user-{{run_id}}"), expanded when the step runs
//
//   json $.user.role == "ADMIN"         json /items/0/id exists       header Content-Type contains "json"
//   json $.totals.principal is number   body contains "ok"            duration < 1s
//   status < 400                        json $.items[*].id exists     cookie sid exists
//   json $.count toInt >= 40            json $.id == {{id}}           header X-Owner == "{{env.USER_ID}}"
//
// Templates in URLs, headers and bodies: {{name}} (a capture of an earlier step, or of the
// flow named by `uses`), {{env.NAME}} or ${NAME} (the environment, so credentials never sit in
// the file), {{run_id}} (unique per run, for records that must not collide).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>
#include <tl/expected.hpp>

#include "verify/json_path.hpp"

namespace slipway::verify {

struct Query {
  enum class Kind { status, duration, body, json, header, cookie };
  Kind kind = Kind::status;
  std::string arg;               // the header or cookie name
  std::optional<JsonPath> path;  // for json
  // The filter after the query: toInt / toFloat turn a string ("42") into a number.
  enum class Cast { none, to_int, to_float };
  Cast cast = Cast::none;
};

struct Predicate {
  enum class Op { eq, ne, lt, le, gt, ge, exists, not_exists, contains, not_contains, matches, is };
  Op op = Op::exists;
  boost::json::value value;  // the literal; durations are numbers of milliseconds
  std::string text;          // for contains / matches / is: the string operand
  // The value holds {{...}} or ${...}: expanded when the step runs (resolve_assertion in smoke.hpp).
  bool templated = false;
};

struct Assertion {
  Query query;
  Predicate predicate;
  std::string text;  // as written
};

struct Capture {
  std::string name;
  Query query;
  bool secret = false;  // redacted in every report once captured
};

struct ExprError {
  std::size_t column = 1;  // 1-based, into the expression
  std::string message;
};

// "json $.a exists" -> Assertion. A capture is a query alone.
tl::expected<Assertion, ExprError> parse_assertion(std::string_view text);
tl::expected<Query, ExprError> parse_query(std::string_view text);

std::string_view to_string(Query::Kind kind);

struct Step {
  std::string name;
  std::string method = "GET";
  std::string url;  // relative to base_url, templated
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<boost::json::value> json;  // a JSON body, strings templated
  std::vector<std::pair<std::string, std::string>> form;
  std::string body;
  std::vector<int> status;  // accepted statuses; empty = any 2xx
  std::vector<Capture> captures;
  std::vector<Assertion> asserts;
  // Re-sent until its status, captures and asserts pass, at most `retry` more times, waiting
  // retry_interval between tries (Hurl's retry / retry-interval), for eventually consistent APIs.
  int retry = 0;
  std::chrono::milliseconds retry_interval{1000};
  std::string where;  // file:line:col
};

struct Flow {
  std::string name;
  std::string role;  // "admin", "officer": run with --role
  std::string uses;  // another flow whose captures this one starts with (a login)
  // Sent with every step (templated); a step's own header of the same name wins.
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<Step> steps;
  std::string where;
};

}  // namespace slipway::verify
