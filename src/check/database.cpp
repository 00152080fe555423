#include "check/database.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/redact.hpp"
#include "pg/connection.hpp"
#include "pg/conninfo.hpp"

namespace slipway::check {
namespace {

constexpr std::string_view kSection = "database";

std::string join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (const auto& i : items) out += fmt::format("{}{}", out.empty() ? "" : sep, i);
  return out;
}

// "loans, members, unions and 9 more": a list a message can hold.
std::string some(const std::vector<std::string>& names, std::size_t shown = 3) {
  if (names.size() <= shown) return join(names);
  return fmt::format("{} and {} more", join({names.begin(), names.begin() + static_cast<long>(shown)}),
                     names.size() - shown);
}

std::string quote_ident(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

bool listed(const std::vector<std::string>& list, const std::string& priv) {
  return std::find(list.begin(), list.end(), priv) != list.end();
}

// Privilege differences of one kind of object: privilege -> objects.
struct Diff {
  std::map<std::string, std::vector<std::string>> extra, missing;
};

void grants(pg::Connection& conn, const CheckDatabaseConfig& config, const std::string& role, Report& report) {
  const std::string& schema = config.schema;
  Diff tables, sequences, on_schema;
  std::set<std::string> owned;
  auto t = conn.query(
      "SELECT c.relname, p.priv, has_table_privilege($1, c.oid, p.priv), pg_has_role($1, c.relowner, 'USAGE') "
      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "CROSS JOIN unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) AS p(priv) "
      "WHERE n.nspname = $2 AND c.relkind IN ('r','p','v','m','f') ORDER BY 1, 2",
      {role, schema});
  auto s = conn.query(
      "SELECT c.relname, p.priv, has_sequence_privilege($1, c.oid, p.priv), false "
      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "CROSS JOIN unnest(ARRAY['USAGE','SELECT','UPDATE']) AS p(priv) "
      "WHERE n.nspname = $2 AND c.relkind = 'S' ORDER BY 1, 2",
      {role, schema});
  auto n = conn.query(
      "SELECT $2::text, p.priv, has_schema_privilege($1, $2, p.priv), has_schema_privilege('public', $2, p.priv) "
      "FROM unnest(ARRAY['USAGE','CREATE']) AS p(priv)",
      {role, schema});
  if (!t || !s || !n) {
    const Error& e = !t ? t.error() : !s ? s.error() : n.error();
    report.add("db-grants", std::string(kSection), Status::fail, fmt::format("cannot read privileges: {}", e.message));
    return;
  }
  bool public_create = false;
  const auto diff = [&](const pg::Rows& rows, const std::vector<std::string>& wanted, Diff& d, bool owners) {
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const std::string object = rows.text(i, 0), priv = rows.text(i, 1);
      const bool has = rows.text(i, 2) == "t";
      if (owners && rows.text(i, 3) == "t") owned.insert(object);
      if (!owners && rows.text(i, 3) == "t" && priv == "CREATE" && has) public_create = true;
      if (has && !listed(wanted, priv)) d.extra[priv].push_back(object);
      if (!has && listed(wanted, priv)) d.missing[priv].push_back(object);
    }
  };
  diff(*t, config.table_privileges, tables, true);
  diff(*s, config.sequence_privileges, sequences, true);
  diff(*n, config.schema_privileges, on_schema, false);

  std::vector<std::string> extra, missing, fixes;
  const auto describe = [&](const Diff& d, std::string_view kind, std::string_view all) {
    for (const auto& [priv, objects] : d.extra) {
      extra.push_back(kind == "schema" ? fmt::format("{} on schema {}", priv, schema)
                                       : fmt::format("{} on {} {}{} ({})", priv, objects.size(), kind,
                                                     objects.size() == 1 ? "" : "s", some(objects)));
      fixes.push_back(fmt::format("REVOKE {} ON {} FROM {};", priv, all, quote_ident(role)));
      if (kind == "schema" && priv == "CREATE" && public_create) {
        fixes.push_back(fmt::format("REVOKE CREATE ON SCHEMA {} FROM PUBLIC;", quote_ident(schema)));
      }
    }
    for (const auto& [priv, objects] : d.missing) {
      missing.push_back(kind == "schema" ? fmt::format("{} on schema {}", priv, schema)
                                         : fmt::format("{} on {} {}{} ({})", priv, objects.size(), kind,
                                                       objects.size() == 1 ? "" : "s", some(objects)));
      fixes.push_back(fmt::format("GRANT {} ON {} TO {};", priv, all, quote_ident(role)));
    }
  };
  describe(on_schema, "schema", fmt::format("SCHEMA {}", quote_ident(schema)));
  describe(tables, "table", fmt::format("ALL TABLES IN SCHEMA {}", quote_ident(schema)));
  describe(sequences, "sequence", fmt::format("ALL SEQUENCES IN SCHEMA {}", quote_ident(schema)));

  if (extra.empty() && missing.empty()) {
    report.add("db-grants", std::string(kSection), Status::pass,
               fmt::format("{} has exactly the configured privileges on schema {} ({} on tables, {} on sequences)",
                           role, schema, join(config.table_privileges, "/"), join(config.sequence_privileges, "/")));
    return;
  }
  std::string message = fmt::format("{} on schema {}:", role, schema);
  if (!extra.empty()) message += fmt::format(" extra {}", join(extra, "; "));
  if (!missing.empty()) message += fmt::format("{} missing {}", extra.empty() ? "" : ";", join(missing, "; "));
  std::string hint = join(fixes, " ");
  if (!owned.empty()) {
    std::vector<std::string> names(owned.begin(), owned.end());
    message += fmt::format(" ({} owns {}: an owner holds every privilege)", role, some(names));
    hint =
        fmt::format("let a separate migration role own the tables (ALTER TABLE ... OWNER TO migrator), then {}", hint);
  }
  report.add("db-grants", std::string(kSection), Status::fail, message).with_hint(hint);
}

}  // namespace

std::string role_of(const std::string& url) {
  auto info = pg::ConnInfo::parse(url);
  return info ? info->get("user") : std::string();
}

void check_database(const CheckDatabaseConfig& config, const std::string& url, std::string role, Report& report) {
  auto conn = pg::Connection::open(url, 10);
  if (!conn) {
    report.add("db-reachable", std::string(kSection), Status::fail, redact(conn.error().message))
        .with_hint(conn.error().hint.empty() ? "check the host, port and credentials, and that the server is up"
                                             : conn.error().hint);
    return;
  }
  auto info = conn->query("SELECT current_user, current_database(), current_setting('server_version')");
  if (!info) {
    report.add("db-reachable", std::string(kSection), Status::fail, info.error().message);
    return;
  }
  if (role.empty()) role = info->text(0, 0);
  report.add("db-reachable", std::string(kSection), Status::pass,
             fmt::format("connected to {} as {}", info->text(0, 1), info->text(0, 0)));

  const int major = conn->server_version() / 10000;
  if (major >= config.min_version) {
    report.add("db-version", std::string(kSection), Status::pass,
               fmt::format("PostgreSQL {} ({}+ required)", info->text(0, 2), config.min_version));
  } else {
    report
        .add("db-version", std::string(kSection), Status::fail,
             fmt::format("PostgreSQL {} is older than the required {}", info->text(0, 2), config.min_version))
        .with_hint("upgrade the server, or lower check.database.min_version if the app supports it");
  }

  if (!config.extensions.empty()) {
    auto installed = conn->query("SELECT extname, extversion FROM pg_extension ORDER BY 1");
    auto available = conn->query("SELECT name FROM pg_available_extensions");
    std::set<std::string> have, can;
    if (installed) {
      for (std::size_t i = 0; i < installed->size(); ++i) have.insert(installed->text(i, 0));
    }
    if (available) {
      for (std::size_t i = 0; i < available->size(); ++i) can.insert(available->text(i, 0));
    }
    std::vector<std::string> missing, fixes;
    for (const auto& ext : config.extensions) {
      if (have.contains(ext)) continue;
      missing.push_back(ext);
      fixes.push_back(can.contains(ext) ? fmt::format("CREATE EXTENSION {};", quote_ident(ext))
                                        : fmt::format("install the package that provides {}", ext));
    }
    if (missing.empty()) {
      report.add("db-extensions", std::string(kSection), Status::pass,
                 fmt::format("extensions installed: {}", join(config.extensions)));
    } else {
      report
          .add("db-extensions", std::string(kSection), Status::fail,
               fmt::format("missing extension{}: {}", missing.size() == 1 ? "" : "s", join(missing)))
          .with_hint(join(fixes, " "));
    }
  }

  auto attrs =
      conn->query("SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles WHERE rolname = $1", {role});
  if (!attrs || attrs->size() == 0) {
    report
        .add("db-superuser", std::string(kSection), Status::fail,
             fmt::format("role {} does not exist on this server", role))
        .with_hint("set check.database.role to the app's role, or fix the user in database.url");
    return;
  }
  if (attrs->text(0, 0) == "t") {
    report
        .add("db-superuser", std::string(kSection), Status::fail,
             fmt::format("{} is a superuser: the app can read, change and drop anything", role))
        .with_hint(fmt::format("create a least-privilege role for the app (ALTER ROLE {} NOSUPERUSER, or a new role)",
                               quote_ident(role)));
  } else {
    std::vector<std::string> powers;
    if (attrs->text(0, 1) == "t") powers.emplace_back("CREATEROLE");
    if (attrs->text(0, 2) == "t") powers.emplace_back("CREATEDB");
    if (attrs->text(0, 3) == "t") powers.emplace_back("BYPASSRLS");
    if (powers.empty()) {
      report.add("db-superuser", std::string(kSection), Status::pass, fmt::format("{} is not a superuser", role));
    } else {
      report
          .add("db-superuser", std::string(kSection), Status::warn,
               fmt::format("{} is not a superuser, but has {}", role, join(powers)))
          .with_hint(fmt::format("ALTER ROLE {} NO{};", quote_ident(role), join(powers, " NO")));
    }
  }

  auto owner = conn->query(
      "SELECT nspowner::regrole::text, pg_has_role($1, nspowner, 'USAGE') FROM pg_namespace WHERE nspname = $2",
      {role, config.schema});
  if (!owner || owner->size() == 0) {
    report
        .add("db-schema-owner", std::string(kSection), Status::fail,
             fmt::format("schema {} does not exist", config.schema))
        .with_hint("set check.database.schema");
  } else if (owner->text(0, 1) == "t") {
    const std::string who = owner->text(0, 0);
    report
        .add("db-schema-owner", std::string(kSection), Status::fail,
             who == role ? fmt::format("{} owns schema {}", role, config.schema)
                         : fmt::format("{} owns schema {} through its membership in {}", role, config.schema, who))
        .with_hint(fmt::format("let the migration role own it: ALTER SCHEMA {} OWNER TO <migration role>;",
                               quote_ident(config.schema)));
  } else {
    report.add("db-schema-owner", std::string(kSection), Status::pass,
               fmt::format("schema {} is owned by {}, not by {}", config.schema, owner->text(0, 0), role));
  }

  if (attrs->text(0, 0) == "t") {
    report
        .add("db-grants", std::string(kSection), Status::fail,
             fmt::format("{} is a superuser: it holds every privilege", role))
        .with_hint("see db-superuser");
  } else {
    grants(*conn, config, role, report);
  }

  auto connections = conn->query(
      "SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'), "
      "current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int");
  if (connections) {
    const long used = std::stol(connections->text(0, 0));
    const long usable = std::max(1L, std::stol(connections->text(0, 1)) - std::stol(connections->text(0, 2)));
    const double ratio = static_cast<double>(used) / static_cast<double>(usable);
    const std::string message = fmt::format("{} of {} connections in use ({:.0f}%)", used, usable, ratio * 100.0);
    if (ratio > config.connections_warn) {
      report.add("db-connections", std::string(kSection), Status::warn, message)
          .with_hint("put a pooler in front (pgbouncer) or lower the app's pool size before deploying more instances");
    } else {
      report.add("db-connections", std::string(kSection), Status::pass, message);
    }
  }
}

}  // namespace slipway::check
