#include "core/config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <string_view>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "core/fs.hpp"
#include "core/redact.hpp"
#include "core/suggest.hpp"
#include "core/toml_depth.hpp"

namespace slipway {
namespace fs = std::filesystem;

const std::vector<std::pair<std::string_view, Duration>> kDefaultDeadlines = {
    {"check", std::chrono::minutes(5)},
    {"lint", std::chrono::minutes(10)},
    {"hold-writes", std::chrono::minutes(1)},
    {"snapshot", std::chrono::minutes(10)},
    {"backup", std::chrono::hours(2)},
    {"maintenance-on", std::chrono::minutes(1)},
    {"migrate", std::chrono::hours(1)},
    {"release", std::chrono::minutes(30)},
    {"switch", std::chrono::minutes(10)},
    {"verify", std::chrono::minutes(30)},
    {"maintenance-off", std::chrono::minutes(1)},
    {"after-switch", std::chrono::minutes(10)},
    {"notify", std::chrono::minutes(2)},
    {"restore", std::chrono::hours(2)},
};

Duration DeployConfig::deadline(std::string_view phase) const {
  if (const auto it = deadlines.find(std::string(phase)); it != deadlines.end()) return it->second;
  for (const auto& [name, value] : kDefaultDeadlines)
    if (name == phase) return value;
  return std::chrono::minutes(30);
}

namespace {

std::string type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time: return "a date";
    default: return "nothing";
  }
}

Position position_of(const toml::node& node) {
  const auto& begin = node.source().begin;
  return {static_cast<int>(begin.line), static_cast<int>(begin.column)};
}

// Walks one TOML document against the schema, collecting every error.
class Reader {
 public:
  Reader(Config& config, std::string path, const Environment& env)
      : config_(config), path_(std::move(path)), env_(env) {}

  ConfigErrors errors;

  std::string where(const toml::node& node) const { return format_location(path_, position_of(node)); }

  void error(const toml::node& node, std::string message, std::string hint = {}) {
    errors.push_back(Error::input(std::move(message), where(node), std::move(hint)));
  }

  void error_at(const toml::key& key, std::string message, std::string hint = {}) {
    errors.push_back(Error::input(std::move(message),
                                  format_location(path_, {static_cast<int>(key.source().begin.line),
                                                          static_cast<int>(key.source().begin.column)}),
                                  std::move(hint)));
  }

  // Reports keys of `table` that are not in `known`.
  void check_keys(const toml::table& table, std::string_view section, std::initializer_list<std::string_view> known) {
    check_keys(table, section, std::vector<std::string_view>(known));
  }
  void check_keys(const toml::table& table, std::string_view section, const std::vector<std::string_view>& names) {
    for (const auto& [key, node] : table) {
      const std::string_view k = key.str();
      if (std::find(names.begin(), names.end(), k) != names.end()) continue;
      const std::string full = section.empty() ? std::string(k) : fmt::format("{}.{}", section, k);
      const std::string kind = node.is_table() && section.empty() ? "section" : "key";
      std::string hint = fmt::format("known {}s{}: ", kind, section.empty() ? "" : fmt::format(" in [{}]", section));
      for (std::size_t i = 0; i < names.size(); ++i) hint += fmt::format("{}{}", i ? ", " : "", names[i]);
      error_at(key, fmt::format("unknown {} '{}'{}", kind, full, did_you_mean(k, names)), hint);
    }
  }

  const toml::table* table(const toml::table& parent, std::string_view key, std::string_view section) {
    const toml::node* node = parent.get(key);
    if (!node) return nullptr;
    if (!node->is_table()) {
      error(*node, fmt::format("{} must be a table, not {}", dotted(section, key), type_name(node->type())),
            fmt::format("write [{}] on a line of its own, then its keys", dotted(section, key)));
      return nullptr;
    }
    return node->as_table();
  }

  // A string, with ${VAR} expanded.
  void string(const toml::table& t, std::string_view section, std::string_view key, std::string& out) {
    const toml::node* node = t.get(key);
    if (!node) return;
    const std::string full = dotted(section, key);
    const auto* s = node->as_string();
    if (!s) {
      error(*node, fmt::format("{} must be a string, not {}", full, type_name(node->type())),
            fmt::format("quote it: {} = \"...\"", key));
      return;
    }
    config_.positions[full] = position_of(*node);
    if (auto expanded = expand(*s, full)) out = std::move(*expanded);
  }

  // A string value with ${VAR} expanded; a malformed reference is an error at its position, an
  // unset variable is recorded under `key` for require().
  std::optional<std::string> expand(const toml::value<std::string>& s, const std::string& key) {
    std::size_t offset = 0;
    auto expanded = expand_variables(s.get(), env_, &offset);
    if (!expanded) {
      Position pos = position_of(s);
      pos.column += static_cast<int>(offset) + 1;  // past the opening quote
      errors.push_back(Error::input(expanded.error().message, format_location(path_, pos), expanded.error().hint));
      return std::nullopt;
    }
    auto& unresolved = config_.unresolved[key];
    unresolved.insert(unresolved.end(), expanded->missing.begin(), expanded->missing.end());
    if (unresolved.empty()) config_.unresolved.erase(key);
    return std::move(expanded->value);
  }

  void path(const toml::table& t, std::string_view section, std::string_view key, fs::path& out) {
    std::string s;
    string(t, section, key, s);
    if (!s.empty()) out = resolve(s);
  }

  fs::path resolve(const std::string& s) const {
    fs::path p(s);
    return p.is_absolute() ? p : (config_.root / p).lexically_normal();
  }

  void boolean(const toml::table& t, std::string_view section, std::string_view key, bool& out) {
    const toml::node* node = t.get(key);
    if (!node) return;
    if (const auto* b = node->as_boolean()) {
      out = b->get();
      config_.positions[dotted(section, key)] = position_of(*node);
    } else {
      error(*node, fmt::format("{} must be true or false, not {}", dotted(section, key), type_name(node->type())));
    }
  }

  template <typename Int>
  void integer(const toml::table& t, std::string_view section, std::string_view key, Int& out, std::int64_t min,
               std::int64_t max) {
    const toml::node* node = t.get(key);
    if (!node) return;
    const auto* i = node->as_integer();
    if (!i) {
      error(*node, fmt::format("{} must be an integer, not {}", dotted(section, key), type_name(node->type())));
      return;
    }
    if (i->get() < min || i->get() > max) {
      error(*node, fmt::format("{} must be between {} and {}, not {}", dotted(section, key), min, max, i->get()));
      return;
    }
    config_.positions[dotted(section, key)] = position_of(*node);
    out = static_cast<Int>(i->get());
  }

  void duration(const toml::table& t, std::string_view section, std::string_view key, Duration& out) {
    const toml::node* node = t.get(key);
    if (!node) return;
    const auto* s = node->as_string();
    if (!s) {
      error(*node, fmt::format("{} must be a duration string, not {}", dotted(section, key), type_name(node->type())),
            fmt::format("write it with a unit: {} = \"5s\"", key));
      return;
    }
    auto d = parse_duration(s->get());
    if (!d) {
      error(*node, fmt::format("{}: {}", dotted(section, key), d.error().message), d.error().hint);
      return;
    }
    config_.positions[dotted(section, key)] = position_of(*node);
    out = *d;
  }

  // An integer into an optional: set only when the key is written.
  void integer(const toml::table& t, std::string_view section, std::string_view key, std::optional<std::int64_t>& out,
               std::int64_t min, std::int64_t max) {
    if (!t.get(key)) return;
    std::int64_t value = 0;
    integer(t, section, key, value, min, max);
    if (config_.positions.contains(dotted(section, key))) out = value;
  }

  // A number: an integer or a float, between `min` and `max`.
  void number(const toml::table& t, std::string_view section, std::string_view key, double& out, double min,
              double max) {
    const toml::node* node = t.get(key);
    if (!node) return;
    const auto value = node->value<double>();
    if (!value || !(node->is_integer() || node->is_floating_point())) {
      error(*node, fmt::format("{} must be a number, not {}", dotted(section, key), type_name(node->type())));
      return;
    }
    if (!(*value >= min && *value <= max)) {
      error(*node, fmt::format("{} must be between {} and {}, not {}", dotted(section, key), min, max, *value));
      return;
    }
    config_.positions[dotted(section, key)] = position_of(*node);
    out = *value;
  }

  // A size: "100MB" or an integer number of bytes.
  void size(const toml::table& t, std::string_view section, std::string_view key, std::uint64_t& out) {
    const toml::node* node = t.get(key);
    if (!node) return;
    if (const auto* i = node->as_integer(); i && i->get() >= 0) {
      out = static_cast<std::uint64_t>(i->get());
      return;
    }
    const auto* s = node->as_string();
    if (!s) {
      error(*node,
            fmt::format("{} must be a size such as \"100MB\", not {}", dotted(section, key), type_name(node->type())));
      return;
    }
    auto v = parse_size(s->get());
    if (!v) {
      error(*node, fmt::format("{}: {}", dotted(section, key), v.error().message), v.error().hint);
      return;
    }
    out = *v;
  }

  void one_of(const toml::table& t, std::string_view section, std::string_view key, std::string& out,
              std::initializer_list<std::string_view> choices, std::string hint = {}) {
    const toml::node* node = t.get(key);
    std::string value = out;
    string(t, section, key, value);
    if (!node || !node->is_string()) return;
    const std::vector<std::string_view> names(choices);
    if (std::find(names.begin(), names.end(), value) == names.end()) {
      std::string list;
      for (std::size_t i = 0; i < names.size(); ++i) list += fmt::format("{}\"{}\"", i ? ", " : "", names[i]);
      error(*node,
            fmt::format("{} must be one of {}, not \"{}\"{}", dotted(section, key), list, value,
                        did_you_mean(value, names)),
            std::move(hint));
      return;
    }
    out = value;
  }

  void strings(const toml::table& t, std::string_view section, std::string_view key, std::vector<std::string>& out) {
    const toml::node* node = t.get(key);
    if (!node) return;
    const auto* arr = node->as_array();
    if (!arr) {
      error(*node, fmt::format("{} must be an array of strings, not {}", dotted(section, key), type_name(node->type())),
            fmt::format("write {} = [\"a\", \"b\"]", key));
      return;
    }
    out.clear();
    const std::string full = dotted(section, key);
    for (const toml::node& item : *arr) {
      if (const auto* s = item.as_string()) {
        if (auto expanded = expand(*s, full)) out.push_back(std::move(*expanded));
      } else {
        error(item, fmt::format("{} must hold strings only, not {}", dotted(section, key), type_name(item.type())));
      }
    }
    config_.positions[dotted(section, key)] = position_of(*node);
  }

 private:
  static std::string dotted(std::string_view section, std::string_view key) {
    return section.empty() ? std::string(key) : fmt::format("{}.{}", section, key);
  }

  Config& config_;
  std::string path_;
  const Environment& env_;
};

bool is_env_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; });
}

// One [check.env.NAME] table: the keys, then the combinations that make no sense.
void read_env_var(Reader& r, const toml::key& key, const toml::table& t, CheckEnvVar& v) {
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

void read_check(Reader& r, const toml::table& t, Config& c) {
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

void read_deploy(Reader& r, const toml::table& t, Config& c) {
  r.check_keys(t, "deploy",
               {"maintenance", "maintenance_without_migrations", "restore_on_rollback", "upstream", "health_url",
                "health_timeout", "lock_lease", "release_migrates", "deadlines", "steps"});
  r.boolean(t, "deploy", "release_migrates", c.deploy.release_migrates);
  if (const auto* d = r.table(t, "deadlines", "deploy")) {
    std::vector<std::string_view> phases;
    for (const auto& [phase, _] : kDefaultDeadlines) phases.push_back(phase);
    r.check_keys(*d, "deploy.deadlines", phases);
    for (const auto& [phase, _] : kDefaultDeadlines) {
      const toml::node* node = d->get(phase);
      if (!node) continue;
      Duration value{-1};
      r.duration(*d, "deploy.deadlines", phase, value);
      if (value == Duration::zero())
        r.error(*node, fmt::format("deploy.deadlines.{} is 0: the phase would be stopped as it starts", phase),
                "give it the time it may take, e.g. \"10min\"; leave the key out for the default");
      if (value > Duration::zero()) c.deploy.deadlines[std::string(phase)] = value;
    }
  }
  r.one_of(t, "deploy", "maintenance", c.deploy.maintenance, {"maintenance", "read-only", "off"});
  r.boolean(t, "deploy", "maintenance_without_migrations", c.deploy.maintenance_without_migrations);
  r.boolean(t, "deploy", "restore_on_rollback", c.deploy.restore_on_rollback);
  r.string(t, "deploy", "upstream", c.deploy.upstream);
  r.string(t, "deploy", "health_url", c.deploy.health_url);
  r.duration(t, "deploy", "health_timeout", c.deploy.health_timeout);
  r.duration(t, "deploy", "lock_lease", c.deploy.lock_lease);
  const toml::node* steps = t.get("steps");
  if (!steps) return;
  const auto* list = steps->as_array();
  if (!list) {
    r.error(*steps, fmt::format("deploy.steps must be an array of tables, not {}", type_name(steps->type())),
            "write each step as [[deploy.steps]] with name = \"...\" and run = \"...\" under it");
    return;
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    const toml::node& node = *list->get(i);
    const std::string key = fmt::format("deploy.steps[{}]", i);
    const auto* step = node.as_table();
    if (!step) {
      r.error(node, fmt::format("{} must be a table, not {}", key, type_name(node.type())),
              "write each step as [[deploy.steps]] with name = \"...\" and run = \"...\" under it");
      continue;
    }
    r.check_keys(*step, key, {"name", "run", "rollback", "after_switch", "timeout", "cwd", "env"});
    DeployStep s;
    s.key = key;
    r.string(*step, key, "name", s.name);
    r.string(*step, key, "run", s.run);
    r.string(*step, key, "rollback", s.rollback);
    r.string(*step, key, "after_switch", s.after_switch);
    r.duration(*step, key, "timeout", s.timeout);
    r.path(*step, key, "cwd", s.cwd);
    if (const auto* env = r.table(*step, "env", key)) {
      for (const auto& [name, value] : *env) {
        std::string v;
        r.string(*env, key + ".env", name.str(), v);
        s.env[std::string(name.str())] = v;
      }
    }
    if (s.run.empty())
      r.error(node, fmt::format("{} has no run command", key), "add run = \"the command\" (it runs with /bin/sh -c)");
    if (s.name.empty()) s.name = fmt::format("step {}", i + 1);
    c.deploy.steps.push_back(std::move(s));
  }
}

// tls = "starttls" | "implicit" | "none"; without it, the older starttls = true, or port 465.
void read_email_tls(Reader& r, const toml::table& e, NotifyEmail& email) {
  bool starttls = false;
  r.boolean(e, "notify.email", "starttls", starttls);
  if (e.get("tls")) {
    r.one_of(e, "notify.email", "tls", email.tls, {"starttls", "implicit", "none"},
             "\"starttls\" upgrades a plain connection (port 587), \"implicit\" is TLS from the first byte (SMTPS, "
             "port 465), \"none\" is plain text (a local relay)");
    if (const toml::node* old = e.get("starttls"))
      r.error(*old, "notify.email has both tls and starttls",
              "starttls = true is the older spelling of tls = \"starttls\": keep tls only");
  } else if (starttls) {
    email.tls = "starttls";
  } else if (email.smtp.ends_with(":465")) {
    email.tls = "implicit";  // as Alertmanager and Grafana do: port 465 is SMTPS
  }
}

void read_notify(Reader& r, const toml::table& t, Config& c) {
  r.check_keys(t, "notify", {"on", "webhook", "slack_webhook", "pagerduty_routing_key", "pagerduty_url", "email"});
  if (t.get("on")) {
    c.notify.on.clear();
    r.strings(t, "notify", "on", c.notify.on);
    for (const auto& e : c.notify.on) {
      if (e != "start" && e != "success" && e != "failure" && e != "rollback" && e != "blocked")
        r.error(*t.get("on"), fmt::format("notify.on has an unknown event \"{}\"", e),
                "events are start, success, failure, rollback and blocked");
    }
  }
  r.string(t, "notify", "webhook", c.notify.webhook);
  r.string(t, "notify", "slack_webhook", c.notify.slack_webhook);
  r.string(t, "notify", "pagerduty_routing_key", c.notify.pagerduty_routing_key);
  r.string(t, "notify", "pagerduty_url", c.notify.pagerduty_url);
  if (const auto* e = r.table(t, "email", "notify")) {
    r.check_keys(*e, "notify.email", {"smtp", "from", "to", "username", "password", "tls", "starttls", "proxy"});
    r.string(*e, "notify.email", "smtp", c.notify.email.smtp);
    r.string(*e, "notify.email", "from", c.notify.email.from);
    r.strings(*e, "notify.email", "to", c.notify.email.to);
    r.string(*e, "notify.email", "username", c.notify.email.username);
    r.string(*e, "notify.email", "password", c.notify.email.password);
    read_email_tls(r, *e, c.notify.email);
    r.string(*e, "notify.email", "proxy", c.notify.email.proxy);
    const std::string_view proxy = c.notify.email.proxy;
    const std::string_view scheme = proxy.substr(0, proxy.find("://"));
    constexpr std::array<std::string_view, 6> kProxySchemes{"socks5h", "socks5", "socks4a", "socks4", "http", "https"};
    if (!proxy.empty() && (scheme.size() == proxy.size() ||
                           std::find(kProxySchemes.begin(), kProxySchemes.end(), scheme) == kProxySchemes.end()))
      r.error(*e->get("proxy"),
              fmt::format("notify.email.proxy must be a socks5h://, socks5://, socks4a://, socks4://, "
                          "http:// or https:// URL, not \"{}\"",
                          redact(proxy)),
              "for example proxy = \"socks5h://proxy.example.com:1080\" or \"http://proxy.example.com:3128\"");
  }
}

void read_document(Reader& r, const toml::table& doc, Config& c) {
  r.check_keys(
      doc, "",
      {"project", "database", "migrations", "lint", "backup", "gate", "verify", "state", "check", "deploy", "notify"});
  if (const auto* t = r.table(doc, "check", "")) read_check(r, *t, c);
  if (const auto* t = r.table(doc, "deploy", "")) read_deploy(r, *t, c);
  if (const auto* t = r.table(doc, "notify", "")) read_notify(r, *t, c);

  if (const auto* t = r.table(doc, "project", "")) {
    r.check_keys(*t, "project", {"name", "env_file"});
    r.string(*t, "project", "name", c.project.name);
    fs::path env_file;
    r.path(*t, "project", "env_file", env_file);
    if (!env_file.empty()) c.project.env_file = env_file.string();
  }
  if (const auto* t = r.table(doc, "database", "")) {
    r.check_keys(*t, "database", {"url", "direct_url"});
    r.string(*t, "database", "url", c.database.url);
    r.string(*t, "database", "direct_url", c.database.direct_url);
  }
  if (const auto* t = r.table(doc, "migrations", "")) {
    r.check_keys(*t, "migrations",
                 {"dir", "format", "lock_timeout", "statement_timeout", "lock_retries", "retry_backoff", "table"});
    r.path(*t, "migrations", "dir", c.migrations.dir);
    r.one_of(*t, "migrations", "format", c.migrations.format, {"auto", "prisma", "flyway", "golang-migrate", "plain"});
    r.duration(*t, "migrations", "lock_timeout", c.migrations.lock_timeout);
    r.duration(*t, "migrations", "statement_timeout", c.migrations.statement_timeout);
    r.integer(*t, "migrations", "lock_retries", c.migrations.lock_retries, 0, 100);
    r.duration(*t, "migrations", "retry_backoff", c.migrations.retry_backoff);
    r.string(*t, "migrations", "table", c.migrations.table);
  }
  if (const auto* t = r.table(doc, "lint", "")) {
    r.check_keys(
        *t, "lint",
        {"fail_on", "review_rows", "dangerous_rows", "review_size", "dangerous_size", "postgres_version", "disable"});
    r.one_of(*t, "lint", "fail_on", c.lint.fail_on, {"dangerous", "review"});
    r.integer(*t, "lint", "review_rows", c.lint.review_rows, 0, INT64_MAX);
    r.integer(*t, "lint", "dangerous_rows", c.lint.dangerous_rows, 0, INT64_MAX);
    r.size(*t, "lint", "review_size", c.lint.review_bytes);
    r.size(*t, "lint", "dangerous_size", c.lint.dangerous_bytes);
    r.integer(*t, "lint", "postgres_version", c.lint.postgres_version, 10, 99);
    r.strings(*t, "lint", "disable", c.lint.disable);
  }
  if (const auto* t = r.table(doc, "backup", "")) {
    r.check_keys(*t, "backup",
                 {"repository", "compression", "encryption_key_file", "keep", "timezone", "threads", "export_tables"});
    r.path(*t, "backup", "repository", c.backup.repository);
    r.string(*t, "backup", "compression", c.backup.compression);
    r.path(*t, "backup", "encryption_key_file", c.backup.encryption_key_file);
    if (const auto* keep = r.table(*t, "keep", "backup")) {
      r.check_keys(*keep, "backup.keep", {"last", "daily", "weekly", "monthly", "yearly"});
      r.integer(*keep, "backup.keep", "last", c.backup.keep.last, 0, 100000);
      r.integer(*keep, "backup.keep", "daily", c.backup.keep.daily, 0, 100000);
      r.integer(*keep, "backup.keep", "weekly", c.backup.keep.weekly, 0, 100000);
      r.integer(*keep, "backup.keep", "monthly", c.backup.keep.monthly, 0, 100000);
      r.integer(*keep, "backup.keep", "yearly", c.backup.keep.yearly, 0, 100000);
    }
    r.string(*t, "backup", "timezone", c.backup.timezone);
    r.integer(*t, "backup", "threads", c.backup.threads, 0, 256);
    r.strings(*t, "backup", "export_tables", c.backup.export_tables);
  }
  if (const auto* t = r.table(doc, "gate", "")) {
    r.check_keys(*t, "gate",
                 {"listen",
                  "upstream",
                  "health_path",
                  "control_socket",
                  "admin_listen",
                  "allow",
                  "admin_writes",
                  "admin",
                  "message",
                  "retry_after",
                  "maintenance_page",
                  "security_headers",
                  "forwarded_proto",
                  "access_log",
                  "state_file",
                  "threads",
                  "max_connections",
                  "max_header_size",
                  "max_body_size",
                  "header_timeout",
                  "idle_timeout",
                  "upstream_timeout",
                  "switch_healthy",
                  "switch_timeout",
                  "drain_timeout",
                  "trusted_proxies",
                  "access_log_max_size",
                  "access_log_keep"});
    r.string(*t, "gate", "listen", c.gate.listen);
    r.string(*t, "gate", "upstream", c.gate.upstream);
    r.string(*t, "gate", "health_path", c.gate.health_path);
    r.path(*t, "gate", "control_socket", c.gate.control_socket);
    r.string(*t, "gate", "admin_listen", c.gate.admin_listen);
    r.strings(*t, "gate", "allow", c.gate.allow);
    r.boolean(*t, "gate", "admin_writes", c.gate.admin_writes);
    r.string(*t, "gate", "message", c.gate.message);
    r.duration(*t, "gate", "retry_after", c.gate.retry_after);
    r.path(*t, "gate", "maintenance_page", c.gate.maintenance_page);
    r.strings(*t, "gate", "security_headers", c.gate.security_headers);
    r.one_of(*t, "gate", "forwarded_proto", c.gate.forwarded_proto, {"http", "https", "keep"});
    std::string access_log;
    r.string(*t, "gate", "access_log", access_log);
    if (!access_log.empty()) c.gate.access_log = access_log == "-" ? fs::path("-") : r.resolve(access_log);
    r.size(*t, "gate", "access_log_max_size", c.gate.access_log_max_size);
    r.integer(*t, "gate", "access_log_keep", c.gate.access_log_keep, 1, 1000);
    r.strings(*t, "gate", "trusted_proxies", c.gate.trusted_proxies);
    r.path(*t, "gate", "state_file", c.gate.state_file);
    r.integer(*t, "gate", "threads", c.gate.threads, 0, 256);
    r.integer(*t, "gate", "max_connections", c.gate.max_connections, 1, 1'000'000);
    r.size(*t, "gate", "max_header_size", c.gate.max_header_size);
    r.size(*t, "gate", "max_body_size", c.gate.max_body_size);
    r.duration(*t, "gate", "header_timeout", c.gate.header_timeout);
    r.duration(*t, "gate", "idle_timeout", c.gate.idle_timeout);
    r.duration(*t, "gate", "upstream_timeout", c.gate.upstream_timeout);
    r.integer(*t, "gate", "switch_healthy", c.gate.switch_healthy, 1, 1000);
    r.duration(*t, "gate", "switch_timeout", c.gate.switch_timeout);
    r.duration(*t, "gate", "drain_timeout", c.gate.drain_timeout);
    if (const auto* admin = r.table(*t, "admin", "gate")) {
      r.check_keys(*admin, "gate.admin",
                   {"jwt_secret", "jwt_public_key", "jwks_file", "claim", "values", "cookie", "leeway", "ips",
                    "bypass_secret", "bypass_cookie", "query_param"});
      r.string(*admin, "gate.admin", "jwt_secret", c.gate.admin.jwt_secret);
      r.path(*admin, "gate.admin", "jwt_public_key", c.gate.admin.jwt_public_key);
      r.path(*admin, "gate.admin", "jwks_file", c.gate.admin.jwks_file);
      r.string(*admin, "gate.admin", "claim", c.gate.admin.claim);
      r.strings(*admin, "gate.admin", "values", c.gate.admin.values);
      r.string(*admin, "gate.admin", "cookie", c.gate.admin.cookie);
      r.string(*admin, "gate.admin", "query_param", c.gate.admin.query_param);
      r.duration(*admin, "gate.admin", "leeway", c.gate.admin.leeway);
      r.strings(*admin, "gate.admin", "ips", c.gate.admin.ips);
      r.string(*admin, "gate.admin", "bypass_secret", c.gate.admin.bypass_secret);
      r.string(*admin, "gate.admin", "bypass_cookie", c.gate.admin.bypass_cookie);
    }
  }
  if (const auto* t = r.table(doc, "verify", "")) {
    // The other keys are read by verify/settings.cpp, which knows their shapes.
    r.check_keys(*t, "verify",
                 {"base_url", "flows", "flow", "timeout", "ca_file", "insecure", "perf", "integrity", "security",
                  "websocket", "soak"});
    r.string(*t, "verify", "base_url", c.verify.base_url);
  }
  if (const auto* t = r.table(doc, "state", "")) {
    r.check_keys(*t, "state", {"url"});
    r.string(*t, "state", "url", c.state.url);
    if (!c.state.url.empty() && !is_postgres_url(c.state.url)) c.state.url = r.resolve(c.state.url).string();
  }
}

// (line, column) of a "file:line:col" location, for ordering errors.
std::pair<long, long> location_key(const std::string& where) {
  const auto last = where.rfind(':');
  const auto prev = last == std::string::npos ? std::string::npos : where.rfind(':', last - 1);
  if (prev == std::string::npos) return {0, 0};
  return {std::atol(where.c_str() + prev + 1), std::atol(where.c_str() + last + 1)};
}

}  // namespace

std::string Config::where(const std::string& key) const {
  const std::string name = file.empty() ? std::string("defaults") : file.string();
  if (auto it = positions.find(key); it != positions.end()) return format_location(name, it->second);
  return name;
}

Result<void> Config::require(const std::string& key) const {
  auto it = unresolved.find(key);
  if (it == unresolved.end()) return {};
  std::string names;
  for (const auto& n : it->second) names += (names.empty() ? "" : ", ") + n;
  return fail(Error::input(
      fmt::format("{} uses {}, which is not set", key, names), where(key),
      fmt::format("export {} or put it in the env file (project.env_file or --env-file)", it->second.front())));
}

Config default_config(const fs::path& root) {
  Config c;
  c.root = root;
  c.state.url = (root / ".slipway" / "state.db").string();
  c.backup.repository = root / "backups";
  c.gate.control_socket = root / ".slipway" / "gate.sock";
  return c;
}

tl::expected<Config, ConfigErrors> parse_config(std::string_view text, const fs::path& path, const Environment& env) {
  Config config = default_config(path.has_parent_path() ? path.parent_path() : fs::path("."));
  config.file = path;
  // toml++ recurses as deep as the document nests: bound it first.
  if (auto depth = check_toml_depth(text, path.string()); !depth) return tl::unexpected(ConfigErrors{depth.error()});
  toml::table doc;
  try {
    doc = toml::parse(text, path.string());
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return tl::unexpected(ConfigErrors{
        Error::input(std::string(e.description()),
                     format_location(path.string(), {static_cast<int>(b.line), static_cast<int>(b.column)}),
                     "fix the TOML syntax; see docs/config.md for the format")});
  }

  // The env file feeds ${VAR} expansion everywhere, so read it first.
  Environment effective = env;
  if (const auto* project = doc["project"].as_table()) {
    if (const auto* env_file = project->get_as<std::string>("env_file")) {
      fs::path p(env_file->get());
      if (!p.is_absolute()) p = config.root / p;
      auto values = load_env_file(p.string());
      if (!values) return tl::unexpected(ConfigErrors{values.error()});
      for (auto& [k, v] : *values) {
        if (!env.get(k)) effective.set(k, v);
      }
    }
  }

  Reader reader(config, path.string(), effective);
  read_document(reader, doc, config);
  if (!reader.errors.empty()) {
    // toml++ walks keys in sorted order; report in file order.
    std::stable_sort(reader.errors.begin(), reader.errors.end(),
                     [](const Error& a, const Error& b) { return location_key(a.where) < location_key(b.where); });
    return tl::unexpected(std::move(reader.errors));
  }
  return config;
}

tl::expected<Config, ConfigErrors> load_config(const fs::path& path, const Environment& env) {
  auto text = read_text_file(path, kMaxConfigFileBytes);
  if (!text) {
    return tl::unexpected(ConfigErrors{Error::input(
        fmt::format("cannot use the config file: {}", text.error().message), path.string(),
        fmt::format("check the path (a regular file of at most {}), or run without --config to use the defaults",
                    format_size(kMaxConfigFileBytes)))});
  }
  return parse_config(*text, path, env);
}

tl::expected<Config, ConfigErrors> find_and_load_config(const std::optional<fs::path>& explicit_path,
                                                        const std::optional<std::string>& env_file) {
  Environment env;
  if (env_file) {
    auto values = load_env_file(*env_file);
    if (!values) return tl::unexpected(ConfigErrors{values.error()});
    env = Environment(std::move(*values));
  }
  if (explicit_path) return load_config(*explicit_path, env);
  if (fs::exists("slipway.toml")) return load_config("slipway.toml", env);
  return default_config(fs::current_path());
}

bool is_postgres_url(std::string_view url) {
  return url.starts_with("postgres://") || url.starts_with("postgresql://");
}

}  // namespace slipway
