// [check]: the env schema ([check.env.NAME]), the git states, the secret scan, the database and
// the backup the checklist expects.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "core/config_sections.hpp"
#include "core/suggest.hpp"

namespace slipway {
namespace {

bool is_env_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; });
}

// One [check.env.NAME] table: the keys, then the combinations that make no sense.
void read_env_var(ConfigReader& r, const toml::key& key, const toml::table& t, CheckEnvVar& v) {
  const std::string section = fmt::format("check.env.{}", key.str());
  r.check_keys(t, section,
               {"type", "required", "values", "equals", "not_in", "list", "min", "max", "pooling", "secret",
                "min_bytes", "bytes", "min_entropy", "hint", "unless_set"});
  v.name = std::string(key.str());
  v.position = {static_cast<int>(key.source().begin.line), static_cast<int>(key.source().begin.column)};
  r.one_of(t, section, "type", v.type,
           {"string", "int", "bool", "url", "postgres-url", "origin", "email", "enum", "duration"});
  r.boolean(t, section, "required", v.required);
  r.strings(t, section, "values", v.values);
  std::string equals;
  r.string(t, section, "equals", equals);
  if (t.get("equals") && t.get("equals")->is_string()) v.equals = equals;
  r.strings(t, section, "not_in", v.not_in);
  r.strings(t, section, "unless_set", v.unless_set);
  r.boolean(t, section, "list", v.list);
  r.integer(t, section, "min", v.min, INT64_MIN, INT64_MAX);
  r.integer(t, section, "max", v.max, INT64_MIN, INT64_MAX);
  bool pooling = true;
  r.boolean(t, section, "pooling", pooling);
  if (t.get("pooling") && t.get("pooling")->is_boolean()) v.pooling = pooling;
  r.boolean(t, section, "secret", v.secret);
  r.integer(t, section, "min_bytes", v.min_bytes, 1, 1 << 20);
  r.integer(t, section, "bytes", v.bytes, 1, 1 << 20);
  r.integer(t, section, "min_entropy", v.min_entropy, 0, 4096);
  r.string(t, section, "hint", v.hint);

  const auto misplaced = [&](std::string_view k, bool allowed, std::string why, std::string hint) {
    if (const toml::node* n = t.get(k); n && !allowed) r.error(*n, fmt::format("{}.{} {}", section, k, why), hint);
  };
  misplaced("values", v.type == "enum", "is only for type = \"enum\"", "set type = \"enum\", or remove values");
  misplaced("min", v.type == "int", "is only for type = \"int\"", "set type = \"int\", or remove min");
  misplaced("max", v.type == "int", "is only for type = \"int\"", "set type = \"int\", or remove max");
  misplaced("pooling", v.type == "postgres-url", "is only for type = \"postgres-url\"",
            "set type = \"postgres-url\", or remove pooling");
  for (const char* k : {"min_bytes", "bytes", "min_entropy"}) {
    misplaced(k, v.secret, "is only for secrets", "add secret = true");
  }
  if (v.type == "enum" && v.values.empty()) {
    r.error_at(key, fmt::format("{} has type = \"enum\" but no values", section), "list them: values = [\"a\", \"b\"]");
  }
  if (v.type == "enum" && v.equals && !v.values.empty() &&
      std::find(v.values.begin(), v.values.end(), *v.equals) == v.values.end()) {
    r.error(*t.get("equals"), fmt::format("{}.equals is \"{}\", which is not one of its values", section, *v.equals),
            "add it to values, or fix the spelling");
  }
  if (v.min && v.max && *v.min > *v.max) {
    r.error(*t.get("min"), fmt::format("{}.min is above its max", section), "swap them");
  }
}

}  // namespace

void read_check(ConfigReader& r, const toml::table& t, Config& c) {
  r.check_keys(t, "check", {"preset", "env", "skip", "git", "secrets", "database", "backup"});
  r.one_of(t, "check", "preset", c.check.preset, {"node-postgres", "none"});
  r.strings(t, "check", "skip", c.check.skip);
  if (const auto* env = r.table(t, "env", "check")) {
    for (const auto& [key, node] : *env) {
      if (!is_env_name(key.str())) {
        r.error_at(key, fmt::format("check.env.{} is not a valid variable name", key.str()),
                   "names are letters, digits and '_', not starting with a digit");
        continue;
      }
      const auto* var = node.as_table();
      if (!var) {
        r.error(node, fmt::format("check.env.{} must be a table, not {}", key.str(), type_name(node.type())),
                fmt::format("write [check.env.{}] with type = \"...\" under it, or {} = {{ type = \"string\" }}",
                            key.str(), key.str()));
        continue;
      }
      CheckEnvVar v;
      read_env_var(r, key, *var, v);
      c.check.env.push_back(std::move(v));
    }
    // toml++ keeps keys sorted; the report lists variables in the order they were written.
    std::stable_sort(c.check.env.begin(), c.check.env.end(), [](const CheckEnvVar& a, const CheckEnvVar& b) {
      return std::pair(a.position.line, a.position.column) < std::pair(b.position.line, b.position.column);
    });
  }
  if (const auto* git = r.table(t, "git", "check")) {
    r.check_keys(*git, "check.git", {"branch", "uncommitted", "wrong_branch", "unpushed"});
    r.string(*git, "check.git", "branch", c.check.git.branch);
    r.one_of(*git, "check.git", "uncommitted", c.check.git.uncommitted, {"fail", "warn", "off"});
    r.one_of(*git, "check.git", "wrong_branch", c.check.git.wrong_branch, {"fail", "warn", "off"});
    r.one_of(*git, "check.git", "unpushed", c.check.git.unpushed, {"fail", "warn", "off"});
  }
  if (const auto* s = r.table(t, "secrets", "check")) {
    r.check_keys(*s, "check.secrets",
                 {"enabled", "history", "ignore_paths", "ignore", "base64_entropy", "hex_entropy"});
    r.boolean(*s, "check.secrets", "enabled", c.check.secrets.enabled);
    r.integer(*s, "check.secrets", "history", c.check.secrets.history, 0, 100000);
    r.strings(*s, "check.secrets", "ignore_paths", c.check.secrets.ignore_paths);
    r.strings(*s, "check.secrets", "ignore", c.check.secrets.ignore);
    r.number(*s, "check.secrets", "base64_entropy", c.check.secrets.base64_entropy, 0.0, 8.0);
    r.number(*s, "check.secrets", "hex_entropy", c.check.secrets.hex_entropy, 0.0, 8.0);
  }
  if (const auto* d = r.table(t, "database", "check")) {
    r.check_keys(*d, "check.database",
                 {"min_version", "extensions", "schema", "role", "table_privileges", "sequence_privileges",
                  "schema_privileges", "connections_warn"});
    r.integer(*d, "check.database", "min_version", c.check.database.min_version, 9, 99);
    r.strings(*d, "check.database", "extensions", c.check.database.extensions);
    r.string(*d, "check.database", "schema", c.check.database.schema);
    r.string(*d, "check.database", "role", c.check.database.role);
    const auto privileges = [&](std::string_view key, std::vector<std::string>& out,
                                std::initializer_list<std::string_view> known) {
      r.strings(*d, "check.database", key, out);
      const toml::node* node = d->get(key);
      if (!node) return;
      const std::vector<std::string_view> names(known);
      for (std::string& p : out) {
        std::transform(p.begin(), p.end(), p.begin(), [](unsigned char ch) { return std::toupper(ch); });
        if (std::find(names.begin(), names.end(), p) != names.end()) continue;
        std::string list;
        for (auto n : names) list += fmt::format("{}{}", list.empty() ? "" : ", ", n);
        r.error(*node, fmt::format("check.database.{}: unknown privilege '{}'{}", key, p, did_you_mean(p, names)),
                fmt::format("use {}", list));
      }
    };
    privileges("table_privileges", c.check.database.table_privileges,
               {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"});
    privileges("sequence_privileges", c.check.database.sequence_privileges, {"USAGE", "SELECT", "UPDATE"});
    privileges("schema_privileges", c.check.database.schema_privileges, {"USAGE", "CREATE"});
    r.number(*d, "check.database", "connections_warn", c.check.database.connections_warn, 0.0, 1.0);
  }
  if (const auto* b = r.table(t, "backup", "check")) {
    r.check_keys(*b, "check.backup", {"enabled", "max_age", "verified"});
    r.boolean(*b, "check.backup", "enabled", c.check.backup.enabled);
    r.duration(*b, "check.backup", "max_age", c.check.backup.max_age);
    r.boolean(*b, "check.backup", "verified", c.check.backup.verified);
  }
}

}  // namespace slipway
