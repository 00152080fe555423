// Slipway's own state: deploy history and audit records, the deploy lock, integrity snapshots.
// It lives in one SQLite file (state.url, default .slipway/state.db), whose schema is versioned
// with PRAGMA user_version and brought up to date when opened.
#pragma once

#include "core/config.hpp"
#include "core/error.hpp"
#include "state/sqlite.hpp"

namespace slipway::state {

// Opens the state database named by `config.state.url` (a SQLite path). A postgresql:// URL is
// refused for now with a clear error: shared state in PostgreSQL is planned, not built.
Result<sqlite::Database> open(const Config& config);

// Opens a state database at `path` (tests use this).
Result<sqlite::Database> open_file(const std::filesystem::path& path);

}  // namespace slipway::state
