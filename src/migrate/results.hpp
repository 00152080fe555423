// What a deploy reads back of `slipway migrate plan | apply | status --format json`. The
// renderers (report.hpp) write the whole documents of docs/commands/migrate.md; these are the parts
// a deploy acts on, each read by from_json, and tests/migrate/migrate_cli_test.cpp reads the real
// command's output through them, so a renamed key fails a unit test rather than a deploy.
// Plain types: including this header pulls in neither lint nor libpg_query.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/fwd.hpp>

#include "core/error.hpp"

namespace slipway::migrate {

// `migrate plan`: its summary, and the first dangerous finding a blocked deploy quotes.
struct PlanDigest {
  std::int64_t migrations = 0;
  std::int64_t statements = 0;
  std::int64_t review = 0;
  std::int64_t dangerous = 0;
  std::string first_dangerous;  // the message of the first dangerous statement's first finding

  static Result<PlanDigest> from_json(const boost::json::value& v);
};

// `migrate apply`: what it committed, and why it stopped.
struct ApplyDigest {
  std::string status;                  // applied | nothing | refused | failed | ...
  std::string message;                 // why it stopped, or empty
  std::vector<std::string> committed;  // migration names, in order

  static Result<ApplyDigest> from_json(const boost::json::value& v);
};

// `migrate status`: the applied and pending counts, and the last applied migration.
struct StatusDigest {
  std::int64_t applied = 0;
  std::int64_t pending = 0;
  std::string last_applied;  // empty when none

  static Result<StatusDigest> from_json(const boost::json::value& v);
};

}  // namespace slipway::migrate
