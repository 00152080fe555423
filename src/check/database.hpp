// The database part of the checklist, read from the catalog of a live server:
//   db-reachable     the server answers (an unreachable one stops the other checks)
//   db-version       server major version >= check.database.min_version (14)
//   db-extensions    every extension in check.database.extensions is installed
//   db-superuser     the app's role is not a superuser (and, as warnings, cannot create roles or
//                    databases or bypass row-level security)
//   db-schema-owner  the app's role does not own the schema (nor belong to the role that does)
//   db-grants        the role's effective privileges (has_*_privilege, so grants through PUBLIC
//                    and role membership count) on the schema, its tables and its sequences
//                    equal the configured lists: extra ones and missing ones are both failures
//   db-connections   connections in use against max_connections minus the reserved ones
#pragma once

#include <string>

#include "check/report.hpp"
#include "core/config.hpp"

namespace slipway::check {

// The user named in a postgres URL or conninfo string ("user=..."), percent-decoded; "" when none.
std::string role_of(const std::string& url);

// Connects to `url` and runs the checks above for `role` (empty: the connection's own user).
void check_database(const CheckDatabaseConfig& config, const std::string& url, std::string role, Report& report);

}  // namespace slipway::check
