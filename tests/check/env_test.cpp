// The env schema: [check.env] in slipway.toml, the preset, and check_env against values.
#include <gtest/gtest.h>

#include "check/env.hpp"
#include "core/config.hpp"
#include "support.hpp"

namespace slipway::check {
namespace {

using testing::find;

constexpr std::string_view kStrong = "q3Vt9fK2xQ7mZ4pL8vR1tY6wB3nC5hJ0dS2aE7gU4kM9rW1zX8cN6bV3yT5oI0lP";

Config parse_ok(std::string_view text) {
  auto c = parse_config(text, "/project/slipway.toml", Environment({}, false));
  if (!c) {
    for (const auto& e : c.error()) ADD_FAILURE() << e.render();
    return Config{};
  }
  return *c;
}

std::vector<std::string> parse_errors(std::string_view text) {
  auto c = parse_config(text, "slipway.toml", Environment({}, false));
  EXPECT_FALSE(c);
  std::vector<std::string> out;
  if (!c) {
    for (const auto& e : c.error()) out.push_back(e.where + ": " + e.message);
  }
  return out;
}

Report run(const std::vector<CheckEnvVar>& schema, std::map<std::string, std::string> values) {
  Report report;
  check_env(schema, EnvValues(std::move(values), ".env", false), report);
  return report;
}

TEST(CheckConfig, ReadsTheSchemaInFileOrder) {
  Config c = parse_ok(R"(
[check]
preset = "none"
skip = ["git-pushed"]

[check.env.PORT]
type = "int"
min = 1
max = 65535

[check.env.APP_MODE]
type = "enum"
values = ["blue", "green"]
required = false

[check.env.ENCRYPTION_KEY]
secret = true
bytes = 32

[check.git]
branch = "main"
unpushed = "fail"

[check.secrets]
history = 10
ignore_paths = ["test/fixtures/**"]
base64_entropy = 4.8

[check.database]
extensions = ["pgcrypto"]
table_privileges = ["select", "insert"]
connections_warn = 0.9

[check.backup]
max_age = "12h"
)");
  ASSERT_EQ(c.check.env.size(), 3u);
  EXPECT_EQ(c.check.env[0].name, "PORT");
  EXPECT_EQ(c.check.env[0].min, 1);
  EXPECT_EQ(c.check.env[1].name, "APP_MODE");
  EXPECT_FALSE(c.check.env[1].required);
  EXPECT_EQ(c.check.env[2].bytes, 32);
  EXPECT_EQ(c.check.env[0].position.line, 6);
  EXPECT_EQ(c.check.preset, "none");
  EXPECT_EQ(c.check.git.unpushed, "fail");
  EXPECT_EQ(c.check.secrets.history, 10);
  EXPECT_DOUBLE_EQ(c.check.secrets.base64_entropy, 4.8);
  EXPECT_EQ(c.check.database.table_privileges, (std::vector<std::string>{"SELECT", "INSERT"}));
  EXPECT_DOUBLE_EQ(c.check.database.connections_warn, 0.9);
  EXPECT_EQ(c.check.backup.max_age, std::chrono::hours(12));
}

TEST(CheckConfig, BadSchemaIsReportedWithPositions) {
  const auto errors = parse_errors(R"([check.env.NODE_ENV]
type = "text"
[check.env.MODE]
type = "enum"
[check.env.PORT]
type = "int"
bytes = 32
[check.env.1BAD]
type = "string"
[check.database]
table_privileges = ["SELEKT"]
[check.git]
unpushed = "error"
)");
  ASSERT_EQ(errors.size(), 6u);
  EXPECT_EQ(errors[0].substr(0, 19), "slipway.toml:2:8: c");
  EXPECT_NE(errors[0].find("check.env.NODE_ENV.type must be one of"), std::string::npos);
  EXPECT_EQ(errors[1], "slipway.toml:3:12: check.env.MODE has type = \"enum\" but no values");
  EXPECT_EQ(errors[2], "slipway.toml:7:9: check.env.PORT.bytes is only for secrets");
  EXPECT_EQ(errors[3], "slipway.toml:8:12: check.env.1BAD is not a valid variable name");
  EXPECT_NE(errors[4].find("unknown privilege 'SELEKT', did you mean 'SELECT'?"), std::string::npos);
  EXPECT_NE(errors[5].find("slipway.toml:13:12: check.git.unpushed must be one of"), std::string::npos);
}

TEST(CheckConfig, UnknownKeyGetsDidYouMean) {
  const auto errors = parse_errors("[check.env.PORT]\ntpye = \"int\"\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "slipway.toml:2:1: unknown key 'check.env.PORT.tpye', did you mean 'type'?");
}

TEST(CheckEnv, PresetIsOnByDefaultAndUserEntriesReplaceIt) {
  Config c = parse_ok("[check.env.NODE_ENV]\ntype = \"enum\"\nvalues = [\"production\", \"staging\"]\n");
  const auto schema = effective_schema(c.check);
  const auto node_env = std::find_if(schema.begin(), schema.end(), [](auto& v) { return v.name == "NODE_ENV"; });
  ASSERT_NE(node_env, schema.end());
  EXPECT_EQ(node_env->type, "enum");
  EXPECT_FALSE(node_env->equals);
  EXPECT_GT(schema.size(), 5u);
  Config none = parse_ok("[check]\npreset = \"none\"\n");
  EXPECT_TRUE(effective_schema(none.check).empty());
}

TEST(CheckEnv, PresetRulesOfTheChecklist) {
  const auto schema = preset_schema("node-postgres");
  const auto r =
      run(schema, {{"NODE_ENV", "development"},
                   {"ENABLE_DEBUG_ROUTES", "true"},
                   {"LOG_LEVEL", "debug"},
                   {"DATABASE_URL", "postgresql://app:Kx8vQ2mZ9tLp@pooler.example.com:6543/loans?pgbouncer=true"},
                   {"DIRECT_URL", "postgresql://app:Kx8vQ2mZ9tLp@db.example.com:5432/loans?connection_limit=1"},
                   {"CORS_ORIGIN", "https://app.example.com/"}});
  EXPECT_EQ(find(r, "env-node-env").message, "NODE_ENV is \"development\", not \"production\" (from .env)");
  EXPECT_EQ(find(r, "env-enable-debug-routes").status, Status::fail);
  EXPECT_EQ(find(r, "env-log-level").message, "LOG_LEVEL is \"debug\", not allowed here (from .env)");
  EXPECT_EQ(find(r, "env-database-url").status, Status::pass);  // pooling is fine for the app
  EXPECT_EQ(find(r, "env-direct-url").message,
            "DIRECT_URL goes through a connection pooler (the parameter connection_limit) (from .env)");
  EXPECT_EQ(find(r, "env-cors-origin").message,
            "CORS_ORIGIN has a trailing slash (browsers send the origin without it) (from .env)");
  // Optional preset variables that are unset say nothing.
  for (const auto& c : r.checks()) EXPECT_NE(c.id, "env-jwt-secret");
}

TEST(CheckEnv, PresetPassesAProductionEnv) {
  const auto r = run(preset_schema("node-postgres"),
                     {{"NODE_ENV", "production"},
                      {"ENABLE_DEBUG_ROUTES", "0"},
                      {"LOG_LEVEL", "info"},
                      {"DATABASE_URL", "postgresql://app:Kx8vQ2mZ9tLp@pooler.example.com:6543/loans?pgbouncer=true"},
                      {"DIRECT_URL", "postgresql://app:Kx8vQ2mZ9tLp@db.example.com:5432/loans"},
                      {"CORS_ORIGINS", "https://app.example.com, https://admin.example.com:8443"},
                      {"JWT_SECRET", std::string(kStrong)}});
  EXPECT_EQ(r.summary().fail, 0) << r.checks().front().message;
  EXPECT_EQ(find(r, "env-jwt-secret").message, "JWT_SECRET is set and strong (64 bytes) (from .env)");
}

// The preset assumed Node + DATABASE_URL: an app configured through DB_HOST, DB_USER... failed
// "DATABASE_URL is not set" unless the preset was turned off.
TEST(CheckEnv, AnAppConfiguredThroughDbHostNeedsNoDatabaseUrl) {
  const auto schema = preset_schema("node-postgres");
  auto r = run(schema, {{"NODE_ENV", "production"}, {"DB_HOST", "db.internal"}, {"DB_USER", "app"}});
  EXPECT_EQ(find(r, "env-database-url").status, Status::pass);
  EXPECT_EQ(find(r, "env-database-url").message, "DATABASE_URL is not set; DB_HOST is (from .env)");
  r = run(schema, {{"NODE_ENV", "production"}});
  EXPECT_EQ(find(r, "env-database-url").status, Status::fail) << "neither the URL nor a host";
  // A schema of one's own says the same with unless_set.
  const auto c = parse_ok("[check.env.DATABASE_URL]\ntype = \"postgres-url\"\nunless_set = [\"PGHOST\"]\n");
  ASSERT_EQ(c.check.env.size(), 1u);
  EXPECT_EQ(c.check.env[0].unless_set, std::vector<std::string>{"PGHOST"});
}

// CORS_ORIGIN=true (the cors package's "reflect the request's origin") failed as "not an origin".
TEST(CheckEnv, CorsOriginTrueOrStarIsAWarningNotAFailure) {
  const auto schema = preset_schema("node-postgres");
  for (const char* value : {"true", "*"}) {
    const auto r = run(schema, {{"NODE_ENV", "production"},
                                {"DATABASE_URL", "postgresql://app:Kx8vQ2mZ9tLp@db.example.com:5432/loans"},
                                {"CORS_ORIGIN", value}});
    EXPECT_EQ(find(r, "env-cors-origin").status, Status::warn) << value;
    EXPECT_EQ(r.summary().fail, 0) << value;
  }
}

TEST(CheckEnv, DatabasePasswordTooPlainToHideInOutputIsFlaggedWeak) {
  const auto r =
      run(preset_schema("node-postgres"), {{"NODE_ENV", "production"},
                                           {"DATABASE_URL", "postgresql://app:admin@db.example.com/loans"},
                                           {"DIRECT_URL", "postgresql://app:Kx8vQ2mZ9tLp@db.example.com/loans"}});
  const Check& weak = find(r, "env-database-url");
  EXPECT_EQ(weak.status, Status::warn);
  EXPECT_EQ(weak.message,
            "DATABASE_URL has a password that is too plain to hide (under 8 bytes, one kind of character, or little "
            "entropy): output masks it only where it stands as a value (from .env)");
  EXPECT_EQ(weak.message.find("admin"), std::string::npos);
  EXPECT_EQ(find(r, "env-direct-url").status, Status::pass);
}

TEST(CheckEnv, RequiredOptionalAndTypes) {
  Config c = parse_ok(R"(
[check]
preset = "none"
[check.env.PORT]
type = "int"
max = 65535
[check.env.ADMIN_EMAIL]
type = "email"
[check.env.TIMEOUT]
type = "duration"
required = false
[check.env.COLOR]
type = "enum"
values = ["blue", "green"]
[check.env.FEATURE]
required = false
)");
  const auto r = run(c.check.env, {{"PORT", "70000"}, {"TIMEOUT", "30"}, {"COLOR", "red"}});
  EXPECT_EQ(find(r, "env-port").message, "PORT is \"70000\", above the maximum of 65535 (from .env)");
  EXPECT_EQ(find(r, "env-admin-email").message, "ADMIN_EMAIL is not set");
  EXPECT_EQ(find(r, "env-timeout").status, Status::fail);
  EXPECT_EQ(find(r, "env-color").message, "COLOR is \"red\", not one of blue, green (from .env)");
  EXPECT_EQ(find(r, "env-feature").message, "FEATURE is not set (optional)");
  EXPECT_EQ(find(r, "env-feature").status, Status::pass);
}

TEST(CheckEnv, SecretsAreNeverPrintedAndDuplicatesFail) {
  Config c = parse_ok(R"(
[check]
preset = "none"
[check.env.JWT_SECRET]
secret = true
[check.env.JWT_REFRESH_SECRET]
secret = true
[check.env.API_TOKEN]
equals = "expected-token-value"
[check.env.ENCRYPTION_KEY]
secret = true
bytes = 32
)");
  const std::string weak = "hunter2hunter2";
  const auto r = run(c.check.env, {{"JWT_SECRET", std::string(kStrong)},
                                   {"JWT_REFRESH_SECRET", std::string(kStrong)},
                                   {"API_TOKEN", "a-token-that-differs"},
                                   {"ENCRYPTION_KEY", weak}});
  EXPECT_EQ(find(r, "env-jwt-secret").status, Status::pass);
  EXPECT_EQ(find(r, "env-jwt-refresh-secret").message,
            "JWT_REFRESH_SECRET has the same value as JWT_SECRET (from .env)");
  EXPECT_EQ(find(r, "env-api-token").message, "API_TOKEN is not the expected value (from .env)");
  EXPECT_EQ(find(r, "env-encryption-key").status, Status::fail);
  for (const auto& check : r.checks()) {
    EXPECT_EQ(check.message.find(kStrong), std::string::npos) << check.message;
    EXPECT_EQ(check.message.find(weak), std::string::npos) << check.message;
    EXPECT_EQ(check.message.find("a-token-that-differs"), std::string::npos) << check.message;
  }
}

TEST(CheckEnv, TheEnvFileWinsOverTheProcessEnvironment) {
  setenv("SLIPWAY_TEST_MODE", "from-process", 1);
  setenv("SLIPWAY_TEST_ONLY_PROCESS", "yes", 1);
  EnvValues values({{"SLIPWAY_TEST_MODE", "from-file"}}, ".env.production");
  EXPECT_EQ(values.get("SLIPWAY_TEST_MODE")->text, "from-file");
  EXPECT_EQ(values.get("SLIPWAY_TEST_MODE")->origin, ".env.production");
  EXPECT_EQ(values.get("SLIPWAY_TEST_ONLY_PROCESS")->origin, "the environment");
  unsetenv("SLIPWAY_TEST_MODE");
  unsetenv("SLIPWAY_TEST_ONLY_PROCESS");
}

}  // namespace
}  // namespace slipway::check
