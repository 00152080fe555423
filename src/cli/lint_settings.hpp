// The linter's settings from slipway.toml, for `slipway lint` and `slipway migrate plan|apply`.
// Apart from command.hpp because lint/rule.hpp brings libpg_query's generated 11,000-line header,
// which no other command needs to compile.
#pragma once

#include <optional>

#include "core/config.hpp"
#include "lint/rule.hpp"

namespace slipway::cli {

// The linter's settings from slipway.toml's [lint]: thresholds, disabled rules, and the target
// server's version (`pg_version`, else lint.postgres_version, else the live database's, else 15).
lint::Settings lint_settings(const Config& config, const pg::LiveSchema* live, std::optional<int> pg_version = {});

}  // namespace slipway::cli
