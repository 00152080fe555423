// The verdict of `slipway verify`: a flat list of checks, rendered for people and for CI.
//
// Every part (smoke, integrity, perf, security, websocket) appends Checks; the command renders
// them once. A check's id is a stable kebab-case name documented in docs/commands/verify.md
// ("smoke-assert", "tls-protocol", "header-hsts"); its subject says which instance it is about
// ("admin login > GET /api/me", "table loans", "TLSv1.0").
//
//   --format json  {"checks":[{"id","part","status","message","subject"}], ...extra,
//                   "summary":{"pass","warn","fail","skip","total","status"}}
//   --format junit one <testsuite> per part, one <testcase> per check (<skipped/> for skip)
//   --format markdown a table, for a pull request or a deploy log
// Output goes through redact(), so a captured token never reaches a report.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/output.hpp"

namespace slipway::verify {

// skip: a check configured off (verify.security.skip, expect_tls = false); its message says why.
// It neither passes nor fails.
enum class Status { pass, warn, fail, skip };
std::string_view to_string(Status s);

struct Check {
  std::string id;
  std::string part;
  Status status = Status::pass;
  std::string message;
  std::string subject;
  double duration_ms = -1;  // when the check timed something; -1 = not reported
};

class Report {
 public:
  Check& add(std::string id, std::string part, Status status, std::string message, std::string subject = {});

  [[nodiscard]] const std::vector<Check>& checks() const { return checks_; }
  [[nodiscard]] std::size_t count(Status s) const;
  [[nodiscard]] bool failed() const { return count(Status::fail) > 0; }

  // Part-specific data for the JSON report, e.g. "perf" (measurements) or "security" (grade).
  boost::json::object& extra() { return extra_; }
  [[nodiscard]] const boost::json::object& extra() const { return extra_; }

  // Text lines printed before the checks of a part (a perf summary table, a grade).
  void add_note(std::string part, std::string text);

  [[nodiscard]] std::string render(Format format, const Style& style) const;

 private:
  std::string render_text(const Style& style) const;
  std::string render_json() const;
  std::string render_junit() const;
  std::string render_markdown() const;

  std::vector<Check> checks_;
  std::vector<std::pair<std::string, std::string>> notes_;
  boost::json::object extra_;
};

}  // namespace slipway::verify
