#include "check/env.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include <fmt/format.h>

#include "check/strength.hpp"
#include "check/values.hpp"
#include "core/redact.hpp"

namespace slipway::check {
namespace {

constexpr std::string_view kSection = "env";

CheckEnvVar var(std::string name, std::string type, bool required) {
  CheckEnvVar v;
  v.name = std::move(name);
  v.type = std::move(type);
  v.required = required;
  return v;
}

CheckEnvVar secret(std::string name) {
  CheckEnvVar v = var(std::move(name), "string", false);
  v.secret = true;
  v.hint = "generate one: openssl rand -base64 48";
  return v;
}

// The deployment checklist's environment rules, as a schema.
std::vector<CheckEnvVar> node_postgres() {
  std::vector<CheckEnvVar> s;
  s.push_back(var("NODE_ENV", "string", true));
  s.back().equals = "production";
  s.back().hint = "set NODE_ENV=production: frameworks keep debug output and stack traces on otherwise";
  s.push_back(var("ENABLE_DEBUG_ROUTES", "bool", false));
  s.back().equals = "false";
  s.back().hint = "debug routes must be off in production: set ENABLE_DEBUG_ROUTES=false";
  s.push_back(var("LOG_LEVEL", "string", false));
  s.back().not_in = {"debug", "trace", "silly", "verbose", "all"};
  s.back().hint = "use info or warn in production: debug logs leak request bodies and cost disk";
  s.push_back(var("DATABASE_URL", "postgres-url", true));
  s.back().hint = "the app's connection string; it may go through a pooler (pgbouncer=true, connection_limit=...)";
  // Apps configured through discrete variables (DB_HOST, DB_USER, DB_PASSWORD...) need no URL.
  s.back().unless_set = {"DB_HOST", "DATABASE_HOST", "POSTGRES_HOST", "PGHOST"};
  s.push_back(var("DIRECT_URL", "postgres-url", false));
  s.back().pooling = false;
  s.back().hint =
      "DIRECT_URL is for migrations and backups, which need a session: point it at the server itself "
      "(port 5432, no pgbouncer=true or connection_limit)";
  for (const char* name : {"CORS_ORIGIN", "CORS_ORIGINS", "ALLOWED_ORIGINS"}) {
    s.push_back(var(name, "origin", false));
    s.back().list = true;
    s.back().hint = "write each origin as https://host[:port], comma-separated, without a path or trailing slash";
  }
  for (const char* name : {"JWT_SECRET", "JWT_REFRESH_SECRET", "SESSION_SECRET", "COOKIE_SECRET", "NEXTAUTH_SECRET"}) {
    s.push_back(secret(name));
  }
  s.push_back(secret("ENCRYPTION_KEY"));
  s.back().bytes = 32;
  s.back().hint = "a 32-byte key: openssl rand -hex 32 (or -base64 32)";
  return s;
}

bool is_preset(const CheckEnvVar& v) {
  return v.position.line == 0;
}

bool hides_value(const CheckEnvVar& v) {
  return v.secret || is_secret_name(v.name);
}

// `is "development", ` or, for a value that must not be shown, `is `: the start of a message
// that ends with what is wrong ("not one of production, staging").
std::string is(const CheckEnvVar& v, std::string_view value) {
  if (hides_value(v)) return "is ";
  return fmt::format("is \"{}\", ", redact(value));
}

// Why one item of a value breaks the variable's rules, or nothing.
std::optional<std::string> item_problem(const CheckEnvVar& v, std::string_view item) {
  if (auto p = type_problem(v.type, item)) return p;
  if (v.type == "enum" && std::find(v.values.begin(), v.values.end(), item) == v.values.end()) {
    std::string list;
    for (const auto& allowed : v.values) list += fmt::format("{}{}", list.empty() ? "" : ", ", allowed);
    return fmt::format("{}not one of {}", is(v, item), list);
  }
  if (v.type == "int" && (v.min || v.max)) {
    std::int64_t n = 0;
    std::from_chars(item.data(), item.data() + item.size(), n);
    if (v.min && n < *v.min) return fmt::format("{}under the minimum of {}", is(v, item), *v.min);
    if (v.max && n > *v.max) return fmt::format("{}above the maximum of {}", is(v, item), *v.max);
  }
  if (v.equals) {
    bool same = item == *v.equals;
    if (v.type == "bool") {
      const auto a = parse_bool(item), b = parse_bool(*v.equals);
      same = a && b && *a == *b;
    }
    if (!same) {
      return hides_value(v) ? std::string("is not the expected value")
                            : fmt::format("{}not \"{}\"", is(v, item), redact(*v.equals));
    }
  }
  if (std::find(v.not_in.begin(), v.not_in.end(), item) != v.not_in.end()) {
    return fmt::format("{}not allowed here", is(v, item));
  }
  if (v.type == "postgres-url" && v.pooling == false) {
    auto url = Url::parse(item);
    const auto signs = url ? pooling_signs(*url) : std::vector<std::string>{};
    if (!signs.empty()) {
      std::string list;
      for (const auto& s : signs) list += fmt::format("{}{}", list.empty() ? "" : ", ", s);
      return fmt::format("goes through a connection pooler ({})", list);
    }
  }
  return std::nullopt;
}

}  // namespace

EnvValues::EnvValues(std::map<std::string, std::string> file, std::string file_name, bool use_process)
    : file_(std::move(file)), file_name_(std::move(file_name)), use_process_(use_process) {}

std::optional<EnvValues::Value> EnvValues::get(const std::string& name) const {
  if (auto it = file_.find(name); it != file_.end()) return Value{it->second, file_name_};
  if (use_process_) {
    if (const char* v = std::getenv(name.c_str())) return Value{v, "the environment"};
  }
  return std::nullopt;
}

std::vector<CheckEnvVar> preset_schema(std::string_view preset) {
  if (preset == "node-postgres") return node_postgres();
  return {};
}

std::vector<CheckEnvVar> effective_schema(const CheckConfig& config) {
  std::vector<CheckEnvVar> schema = preset_schema(config.preset);
  for (const CheckEnvVar& v : config.env) {
    auto it = std::find_if(schema.begin(), schema.end(), [&](const CheckEnvVar& p) { return p.name == v.name; });
    if (it != schema.end()) {
      *it = v;
    } else {
      schema.push_back(v);
    }
  }
  return schema;
}

void check_env(const std::vector<CheckEnvVar>& schema, const EnvValues& values, Report& report) {
  // Secrets seen so far, for the duplicate rule: value -> the first variable that had it.
  std::map<std::string, std::string> secrets;
  for (const CheckEnvVar& v : schema) {
    const std::string id = fmt::format("env-{}", kebab(v.name));
    const std::string hint = v.hint;
    const auto value = values.get(v.name);
    const auto instead = std::find_if(v.unless_set.begin(), v.unless_set.end(),
                                      [&](const std::string& other) { return values.get(other).has_value(); });
    if (!value && instead != v.unless_set.end()) {
      report.add(id, std::string(kSection), Status::pass,
                 fmt::format("{} is not set; {} is (from {})", v.name, *instead, values.get(*instead)->origin));
      continue;
    }
    // cors's `origin: true` reflects whatever origin asks: valid, but not the exact origin the
    // checklist wants, and with credentials any site can read the API as the user.
    if (value && v.type == "origin" && (value->text == "true" || value->text == "*")) {
      report
          .add(id, std::string(kSection), Status::warn,
               fmt::format("{} = {} lets every origin in (from {})", v.name, value->text, value->origin))
          .with_hint(
              "name the exact origin (https://app.example.com), as the checklist asks; or give the variable "
              "a rule of your own in [check.env]");
      continue;
    }
    if (!value) {
      if (v.required) {
        report.add(id, std::string(kSection), Status::fail, fmt::format("{} is not set", v.name))
            .with_hint(hint.empty() ? "set it in the environment or in the env file (--env-file)" : hint);
      } else if (!is_preset(v)) {
        report.add(id, std::string(kSection), Status::pass, fmt::format("{} is not set (optional)", v.name));
      }
      continue;
    }
    if (hides_value(v)) register_secret(value->text);

    std::vector<std::string> problems;
    if (value->text.empty()) {
      if (v.required) problems.emplace_back("is empty");
    } else if (v.list) {
      const auto items = split_list(value->text);
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (items[i].empty()) {
          problems.push_back(fmt::format("item {} is empty", i + 1));
        } else if (auto p = item_problem(v, items[i])) {
          problems.push_back(items.size() == 1 ? *p : fmt::format("item {} {}", i + 1, *p));
        }
      }
    } else if (auto p = item_problem(v, value->text)) {
      problems.push_back(*p);
    }
    if (v.secret && !value->text.empty()) {
      SecretRules rules{v.min_bytes, v.bytes, v.min_entropy};
      for (auto& p : secret_problems(value->text, rules)) problems.push_back(std::move(p));
      auto [it, inserted] = secrets.emplace(value->text, v.name);
      if (!inserted) problems.push_back(fmt::format("has the same value as {}", it->second));
    }

    // A URL's password too plain to hide in output (see strength.hpp): a warning, the URL itself is fine.
    if (auto weak = problems.empty() && !v.list ? weak_url_password(value->text) : std::nullopt) {
      report.add(id, std::string(kSection), Status::warn, fmt::format("{} {} (from {})", v.name, *weak, value->origin))
          .with_hint(
              "use a long random password (openssl rand -base64 24), with '/' and '@' percent-encoded in the URL");
      continue;
    }
    if (problems.empty()) {
      std::string what;
      if (v.secret) {
        what = fmt::format("{} is set and strong ({} bytes)", v.name, value->text.size());
      } else if (hides_value(v)) {
        what = fmt::format("{} is set", v.name);
      } else {
        what = fmt::format("{} = {}", v.name, redact(value->text));
      }
      report.add(id, std::string(kSection), Status::pass, fmt::format("{} (from {})", what, value->origin));
      continue;
    }
    std::string message = v.name;
    for (std::size_t i = 0; i < problems.size(); ++i) message += fmt::format("{} {}", i ? ";" : "", problems[i]);
    report.add(id, std::string(kSection), Status::fail, fmt::format("{} (from {})", message, value->origin))
        .with_hint(hint);
  }
}

}  // namespace slipway::check
