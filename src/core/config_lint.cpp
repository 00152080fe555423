// [lint]: when a finding fails the run, the sizes that make a table big, the rules turned off.
#include "core/config_sections.hpp"

namespace slipway {

void read_lint(ConfigReader& r, const toml::table& t, Config& c) {
  r.check_keys(
      t, "lint",
      {"fail_on", "review_rows", "dangerous_rows", "review_size", "dangerous_size", "postgres_version", "disable"});
  r.one_of(t, "lint", "fail_on", c.lint.fail_on, {"dangerous", "review"});
  r.integer(t, "lint", "review_rows", c.lint.review_rows, 0, INT64_MAX);
  r.integer(t, "lint", "dangerous_rows", c.lint.dangerous_rows, 0, INT64_MAX);
  r.size(t, "lint", "review_size", c.lint.review_bytes);
  r.size(t, "lint", "dangerous_size", c.lint.dangerous_bytes);
  r.integer(t, "lint", "postgres_version", c.lint.postgres_version, 10, 99);
  r.strings(t, "lint", "disable", c.lint.disable);
}

}  // namespace slipway
