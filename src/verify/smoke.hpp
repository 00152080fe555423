// The smoke part: runs flows (flow.hpp) against a live service and reports each step,
// capture and assertion as a check.
//
// A step that fails (no response, an unexpected status, a failed assertion) stops its flow:
// later steps depend on what it should have produced. Each flow keeps a cookie jar. Captured
// secrets (names like token/secret/password, cookies, or listed in `secret`) are registered
// with redact() as soon as they are captured, so no report or error shows them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "core/env.hpp"
#include "net/http_client.hpp"
#include "verify/report.hpp"
#include "verify/settings.hpp"

namespace slipway::verify {

struct Variables {
  std::map<std::string, boost::json::value> captures;
  std::map<std::string, std::string> cookies;
};

// Expands {{name}}, {{env.NAME}}, ${NAME} and {{run_id}} in `text`. Fails naming the first
// unknown capture or unset variable. Values of secret-named variables are registered as secrets.
Result<std::string> expand_template(std::string_view text, const Variables& vars, const Environment& env,
                                    const std::string& run_id);

// `assertion` with its expected value expanded (Predicate::templated): "{{id}}" alone takes the
// capture's JSON type, anything else becomes a string, which < <= > >= read as a number. Fails
// naming an unknown capture, an unset variable, or a value that must be a number and is not.
Result<Assertion> resolve_assertion(const Assertion& assertion, const Variables& vars, const Environment& env,
                                    const std::string& run_id);

// Whether `assertion` holds for `response`; the message says what was found.
struct AssertOutcome {
  bool pass = false;
  std::string message;
};
AssertOutcome evaluate_assertion(const Assertion& assertion, const net::HttpResponse& response);

// The values a query selects in a response (none when absent), after its toInt / toFloat filter.
// Fails when the body must be JSON and is not, or a value does not convert.
Result<std::vector<boost::json::value>> select(const Query& query, const net::HttpResponse& response);

class SmokeRunner {
 public:
  SmokeRunner(const VerifySettings& settings, net::HttpClient& client, const Environment& env);

  // Runs `flow` (after the flow it `uses`), adding checks to `report` when given. Returns the
  // flow's variables when every step passed.
  std::optional<Variables> run(const Flow& flow, Report* report);
  // Runs the flow named `name` (once; later calls reuse its variables).
  std::optional<Variables> run_named(const std::string& name, Report* report);

  [[nodiscard]] const std::string& run_id() const { return run_id_; }

 private:
  const VerifySettings& settings_;
  net::HttpClient& client_;
  const Environment& env_;
  std::string run_id_;
  std::map<std::string, std::optional<Variables>> done_;
};

}  // namespace slipway::verify
