// A verdict as a flat list of checks, each pass / warn / fail / skip, in groups: what `slipway
// check` and `slipway verify` print, and what doctor and watch will. One list, one set of
// renderers, one JSON shape that the commands print and a deploy reads back (from_json).
//
// A check's id is a stable kebab-case name its command's docs page lists ("git-pushed",
// "smoke-assert"); its group is the section of the checklist or the part of verify that made it
// ("env", "integrity"); its subject says which instance it is about ("table loans", "TLSv1.0");
// its hint what to do.
//
//   text      each group in the order it first appears: its notes, then
//               ✓ git-pushed   the branch is pushed
//               ✗ env-secret   JWT_SECRET is 8 bytes
//                              hint: openssl rand -hex 32
//             then "check: FAILED: 3 passed, 0 warnings, 1 failed". Without a UTF-8 locale the
//             marks are PASS / WARN / FAIL / SKIP.
//   json      {"checks":[{"id", GROUP_KEY, "status", "message", "hint", "subject"?,
//              "duration_ms"?}], ...extra, "summary":{"pass","warn","fail","skip","total","status"}}
//             where GROUP_KEY is "section" for check and "part" for verify (their documented
//             contracts); "status" of the summary is fail, else warn, else pass.
//   junit     one <testsuite> per group, one <testcase> per check (<skipped/> for skip)
//   markdown  a table, for a pull request or a deploy log
// Every rendering goes through redact(), so a captured token never reaches a report.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "core/error.hpp"
#include "core/output.hpp"

namespace slipway::report {

// skip: a check configured off; its message says why. It neither passes nor fails.
enum class Status { pass, warn, fail, skip };
std::string_view to_string(Status s);

struct Check {
  std::string id;
  std::string group;
  Status status = Status::pass;
  std::string message;
  std::string hint;         // what to do, or empty
  std::string subject;      // which instance, or empty
  double duration_ms = -1;  // when the check timed something; -1 = not reported

  Check& with_hint(std::string text) {
    hint = std::move(text);
    return *this;
  }
  Check& about(std::string what) {
    subject = std::move(what);
    return *this;
  }
};

struct Summary {
  int pass = 0;
  int warn = 0;
  int fail = 0;
  int skip = 0;
  [[nodiscard]] int total() const { return pass + warn + fail + skip; }
  // "fail" when any failed, else "warn" when any warned, else "pass".
  [[nodiscard]] std::string_view status() const;
};

class Report {
 public:
  // `title` starts the verdict line and the headings ("check", "verify"); `group_key` names the
  // group in JSON ("section", "part").
  explicit Report(std::string title = "verify", std::string group_key = "part")
      : title_(std::move(title)), group_key_(std::move(group_key)) {}

  Check& add(std::string id, std::string group, Status status, std::string message);
  void add(Check check) { checks_.push_back(std::move(check)); }

  [[nodiscard]] const std::vector<Check>& checks() const { return checks_; }
  [[nodiscard]] Summary summary() const;
  [[nodiscard]] std::size_t count(Status s) const;
  [[nodiscard]] bool failed() const { return count(Status::fail) > 0; }
  // The first check with `id`, or null.
  [[nodiscard]] const Check* find(std::string_view id) const;
  // The first failed check, or null.
  [[nodiscard]] const Check* first_failure() const;
  // Drops the checks whose id is in `ids`.
  void drop(const std::vector<std::string>& ids);

  // Group-specific data for the JSON report, e.g. "perf" (measurements) or "security" (grade).
  boost::json::object& extra() { return extra_; }
  [[nodiscard]] const boost::json::object& extra() const { return extra_; }

  // Text printed before the checks of a group (a perf summary table, a grade).
  void add_note(std::string group, std::string text);

  // Text marks are glyphs when `unicode` (utf8_locale()), words otherwise.
  [[nodiscard]] std::string render(Format format, const Style& style, bool unicode = utf8_locale()) const;
  [[nodiscard]] boost::json::object to_json() const;
  // A report as render(Format::json) printed it; what is not a report is bad input naming the key.
  static Result<Report> from_json(const boost::json::value& v, std::string title = "verify",
                                  std::string group_key = "part");

  // True when LC_ALL, else LC_CTYPE, else LANG names a UTF-8 locale.
  static bool utf8_locale();

 private:
  [[nodiscard]] std::vector<std::string> groups() const;
  [[nodiscard]] std::string render_text(const Style& style, bool unicode) const;
  [[nodiscard]] std::string render_junit() const;
  [[nodiscard]] std::string render_markdown() const;

  std::string title_;
  std::string group_key_;
  std::vector<Check> checks_;
  std::vector<std::pair<std::string, std::string>> notes_;
  boost::json::object extra_;
};

}  // namespace slipway::report
