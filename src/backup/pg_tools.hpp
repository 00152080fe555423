// pg_dump and pg_restore of the right version.
//
// pg_dump refuses a server newer than itself, and pg_restore an archive from a newer pg_dump, so
// the tool's major version must be at least the server's (or the archive's). Debian installs
// each version in /usr/lib/postgresql/<N>/bin; find_pg_tool() prefers the exact major there,
// then the newest newer one, then the tool on PATH when its version is new enough.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "pg/conninfo.hpp"

namespace slipway::backup {

struct PgTool {
  std::string path;     // "/usr/lib/postgresql/15/bin/pg_dump"
  std::string version;  // "15.18"
  int major = 0;
};

// `name` ("pg_dump", "pg_restore") of major version `min_major` or newer, `preferred` first
// when installed. An environment error (exit 3) names what is missing and how to install it.
Result<PgTool> find_pg_tool(const std::string& name, int min_major, int preferred = 0);

// The connection arguments of a pg_dump or pg_restore child: --no-password and --dbname= with
// every part of the connection but the password, which goes in pg_child_env()'s PGPASSWORD.
std::vector<std::string> pg_child_args(const pg::ConnInfo& info, const std::string& application);
std::map<std::string, std::string> pg_child_env(const pg::ConnInfo& info);

// The line of a pg_dump or pg_restore stderr that says what went wrong: the first one with
// "error:" in it ("pg_restore: error: could not execute query: ERROR:  schema ... does not exist"),
// else the last line.
std::string pg_tool_error(std::string_view stderr_text);

// "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" -> "15.18".
std::string parse_tool_version(const std::string& output);

}  // namespace slipway::backup
