#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/config.hpp"

namespace slipway {
namespace {

using namespace std::chrono_literals;

Config parse_ok(std::string_view text, const Environment& env = Environment({}, false)) {
  auto c = parse_config(text, "/project/slipway.toml", env);
  if (!c) {
    for (const auto& e : c.error()) ADD_FAILURE() << e.render();
    return Config{};
  }
  return *c;
}

ConfigErrors parse_errors(std::string_view text) {
  auto c = parse_config(text, "slipway.toml", Environment({}, false));
  EXPECT_FALSE(c);
  return c ? ConfigErrors{} : c.error();
}

// state.url is a SQLite path, resolved from the config's folder, unless it is a PostgreSQL URL; a
// file whose name merely starts with "postgres" is still a file.
TEST(Config, StateUrlIsAFileUnlessItIsAPostgresUrl) {
  EXPECT_EQ(parse_ok("[state]\nurl = \"postgres-state.db\"\n").state.url, "/project/postgres-state.db");
  EXPECT_EQ(parse_ok("[state]\nurl = \"postgresql://deployer@db/ops\"\n").state.url, "postgresql://deployer@db/ops");
  EXPECT_EQ(parse_ok("[state]\nurl = \"postgres://deployer@db/ops\"\n").state.url, "postgres://deployer@db/ops");
}

TEST(Config, ReadsThePublicContract) {
  Environment env({{"DATABASE_URL", "postgresql://app:pw@db/loans"}, {"JWT_SECRET", "s"}}, false);
  Config c = parse_ok(R"(
[project]
name = "loans"

[database]
url = "${DATABASE_URL}"
direct_url = "${DIRECT_URL}"

[migrations]
dir = "migrations"
format = "prisma"
lock_timeout = "5s"
statement_timeout = "15min"

[lint]
fail_on = "review"
review_rows = 100_000
dangerous_rows = 1_000_000

[backup]
repository = "backups"
compression = "zstd:3"
encryption_key_file = "backup.key"
keep = { last = 3, daily = 7, weekly = 4, monthly = 12 }

[gate]
listen = "127.0.0.1:8080"
upstream = "127.0.0.1:3000"
health_path = "/health"
control_socket = ".slipway/gate.sock"
admin_listen = "127.0.0.1:9091"
allow = ["/api/auth/login"]
admin_writes = false
[gate.admin]
jwt_secret = "${JWT_SECRET}"
claim = "role"
values = ["ADMIN"]

[verify]
base_url = "http://127.0.0.1:8080"

[state]
url = ".slipway/state.db"
)",
                      env);
  EXPECT_EQ(c.project.name, "loans");
  EXPECT_EQ(c.database.url, "postgresql://app:pw@db/loans");
  EXPECT_EQ(c.migrations.dir, "/project/migrations");
  EXPECT_EQ(c.migrations.format, "prisma");
  EXPECT_EQ(c.migrations.lock_timeout, 5s);
  EXPECT_EQ(c.migrations.statement_timeout, 15min);
  EXPECT_EQ(c.lint.fail_on, "review");
  EXPECT_EQ(c.lint.review_rows, 100'000u);
  EXPECT_EQ(c.backup.keep.monthly, 12);
  EXPECT_EQ(c.backup.encryption_key_file, "/project/backup.key");
  EXPECT_EQ(c.gate.allow, std::vector<std::string>{"/api/auth/login"});
  EXPECT_EQ(c.gate.admin.values, std::vector<std::string>{"ADMIN"});
  EXPECT_EQ(c.gate.admin.jwt_secret, "s");
  EXPECT_EQ(c.state.url, "/project/.slipway/state.db");
  // DIRECT_URL is unset: not an error until a command needs it.
  EXPECT_TRUE(c.require("database.url"));
  auto need = c.require("database.direct_url");
  ASSERT_FALSE(need);
  EXPECT_NE(need.error().message.find("DIRECT_URL"), std::string::npos);
  EXPECT_EQ(need.error().where, "/project/slipway.toml:7:14");
}

TEST(Config, UnknownKeysAreErrorsWithPositionAndSuggestion) {
  auto errors = parse_errors("[migrations]\nlock_timout = \"5s\"\n\n[lnt]\nfail_on = \"review\"\n");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].where, "slipway.toml:2:1");
  EXPECT_NE(errors[0].message.find("did you mean 'lock_timeout'"), std::string::npos) << errors[0].message;
  EXPECT_EQ(errors[1].where, "slipway.toml:4:2");
  EXPECT_NE(errors[1].message.find("did you mean 'lint'"), std::string::npos) << errors[1].message;
}

// Each section is read by its own file (core/config_sections.hpp lists them): an unknown one still
// gets its suggestion, and the hint names every section, in the documented order.
TEST(Config, AnUnknownSectionIsSuggestedAndEverySectionListed) {
  auto errors = parse_errors("[notfy]\nwebhook = \"x\"\n[gate]\nlisten = 1\n");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].where, "slipway.toml:1:2");
  EXPECT_EQ(errors[0].message, "unknown section 'notfy', did you mean 'notify'?");
  EXPECT_EQ(errors[0].hint,
            "known sections: project, database, migrations, lint, backup, gate, verify, state, check, deploy, notify, "
            "watch");
  EXPECT_EQ(errors[1].where, "slipway.toml:4:10");
  EXPECT_EQ(errors[1].message, "gate.listen must be a string, not an integer");
}

TEST(Config, WrongTypesAndValuesAreCollectedBeforeStopping) {
  auto errors = parse_errors(
      "[lint]\nreview_rows = \"many\"\nfail_on = \"dangerus\"\n[migrations]\nlock_timeout = 5\nstatement_timeout = "
      "\"soon\"\n");
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0].where, "slipway.toml:2:15");
  EXPECT_NE(errors[0].message.find("must be an integer"), std::string::npos);
  EXPECT_NE(errors[1].message.find("did you mean 'dangerous'"), std::string::npos) << errors[1].message;
  EXPECT_EQ(errors[2].where, "slipway.toml:5:16");
  EXPECT_NE(errors[2].hint.find("\"5s\""), std::string::npos);
  EXPECT_NE(errors[3].message.find("invalid duration 'soon'"), std::string::npos);
}

TEST(Config, SyntaxErrorsPointAtTheProblem) {
  auto errors = parse_errors("[lint]\nfail_on = \"review\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].where.substr(0, 15), "slipway.toml:2:");
}

TEST(Config, BadVariableSyntaxPointsInsideTheString) {
  auto errors = parse_errors("[database]\nurl = \"postgres://${HOST\"\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].where, "slipway.toml:2:19");  // the "$"
}

TEST(Config, NestedDefaultExpandsWithoutAStrayBrace) {
  Config c = parse_ok("[database]\nurl = \"${DATABASE_URL:-${FALLBACK_URL}}\"\n",
                      Environment({{"FALLBACK_URL", "postgresql://db/x"}}, false));
  EXPECT_EQ(c.database.url, "postgresql://db/x");
}

// An array of strings kept "${HOST" as it was written, and dropped unset variables silently.
TEST(Config, BadVariableSyntaxInAnArrayIsAnErrorAtItsPosition) {
  auto errors = parse_errors("[gate]\nallow = [\"/a\", \"/${HOST\"]\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].where, "slipway.toml:2:18");  // the "$"
  EXPECT_NE(errors[0].message.find("unterminated"), std::string::npos) << errors[0].message;
}

TEST(Config, EnvFileFeedsExpansionAndProcessEnvironmentWins) {
  const auto dir = std::filesystem::temp_directory_path() / "slipway-config-test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / ".env") << "DATABASE_URL=postgresql://from-file/db\nOTHER=file\n";
  std::ofstream(dir / "slipway.toml") << "[project]\nenv_file = \".env\"\n[database]\nurl = \"${DATABASE_URL}\"\n"
                                         "direct_url = \"${OTHER}\"\n";
  setenv("OTHER", "process", 1);
  auto c = load_config(dir / "slipway.toml", Environment());
  unsetenv("OTHER");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->database.url, "postgresql://from-file/db");
  EXPECT_EQ(c->database.direct_url, "process");
  std::filesystem::remove_all(dir);
}

TEST(Config, MissingFileIsABadInputError) {
  auto c = load_config("/nonexistent/slipway.toml", Environment());
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error()[0].kind, ErrorKind::bad_input);
  EXPECT_EQ(c.error()[0].where, "/nonexistent/slipway.toml");
}

}  // namespace
}  // namespace slipway

namespace slipway {
namespace {

TEST(Config, ReadsDeployStepsAndNotifications) {
  Environment env({{"SLACK_URL", "http://127.0.0.1:9/hook"}}, false);
  Config c = parse_ok(R"(
[deploy]
maintenance = "read-only"
restore_on_rollback = true
upstream = "127.0.0.1:3002"
health_timeout = "30s"

[[deploy.steps]]
name = "start"
run = "./start.sh v2"
rollback = "./stop.sh v2"
timeout = "2min"
cwd = "ops"
env = { PORT = "3002" }

[[deploy.steps]]
run = "true"

[notify]
on = ["failure", "rollback"]
slack_webhook = "${SLACK_URL}"
[notify.email]
smtp = "127.0.0.1:2525"
to = ["ops@example.com"]
)",
                      env);
  EXPECT_EQ(c.deploy.maintenance, "read-only");
  EXPECT_TRUE(c.deploy.restore_on_rollback);
  EXPECT_EQ(c.deploy.health_timeout, 30s);
  ASSERT_EQ(c.deploy.steps.size(), 2U);
  EXPECT_EQ(c.deploy.steps[0].name, "start");
  EXPECT_EQ(c.deploy.steps[0].rollback, "./stop.sh v2");
  EXPECT_EQ(c.deploy.steps[0].timeout, 2min);
  EXPECT_EQ(c.deploy.steps[0].cwd, std::filesystem::path("/project/ops"));
  EXPECT_EQ(c.deploy.steps[0].env.at("PORT"), "3002");
  EXPECT_EQ(c.deploy.steps[1].name, "step 2");
  EXPECT_EQ(c.notify.on, (std::vector<std::string>{"failure", "rollback"}));
  EXPECT_EQ(c.notify.slack_webhook, "http://127.0.0.1:9/hook");
  EXPECT_EQ(c.notify.email.to, (std::vector<std::string>{"ops@example.com"}));
}

// notify.email.tls: "starttls", "implicit" (SMTPS) or "none"; older files say starttls = true, and
// port 465 without either is implicit TLS.
TEST(Config, EmailTlsIsExplicitOrFollowsStarttlsOrPort465) {
  const auto tls_of = [](std::string_view email) {
    return parse_ok(fmt::format("[notify.email]\n{}\n", email)).notify.email.tls;
  };
  EXPECT_EQ(tls_of("smtp = \"mail.example.com:25\""), "none");
  EXPECT_EQ(tls_of("smtp = \"mail.example.com:587\"\nstarttls = true"), "starttls");
  EXPECT_EQ(tls_of("smtp = \"mail.example.com:587\"\nstarttls = false"), "none");
  EXPECT_EQ(tls_of("smtp = \"mail.example.com:465\""), "implicit");
  EXPECT_EQ(tls_of("smtp = \"[2001:db8::1]:465\""), "implicit");
  EXPECT_EQ(tls_of("smtp = \"mail.example.com:2465\"\ntls = \"implicit\""), "implicit");
  EXPECT_EQ(tls_of("smtp = \"mail.example.com:465\"\ntls = \"none\""), "none");
  EXPECT_EQ(tls_of("smtp = \"mail.example.com\"\ntls = \"starttls\""), "starttls");
  const auto c = parse_ok("[notify.email]\nsmtp = \"mail.example.com\"\nproxy = \"socks5h://127.0.0.1:1080\"\n");
  EXPECT_EQ(c.notify.email.proxy, "socks5h://127.0.0.1:1080");
}

TEST(Config, BadEmailTlsAndProxyAreErrorsWithPositionAndHint) {
  auto errors = parse_errors(
      "[notify.email]\nsmtp = \"mail.example.com\"\ntls = \"startls\"\nstarttls = true\n"
      "proxy = \"ftp://user:Pr0xyPa55w0rd@proxy:21\"\n");
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].where, "slipway.toml:3:7");
  EXPECT_NE(errors[0].message.find("notify.email.tls must be one of \"starttls\", \"implicit\", \"none\", not "
                                   "\"startls\", did you mean 'starttls'?"),
            std::string::npos)
      << errors[0].message;
  EXPECT_NE(errors[0].hint.find("SMTPS, port 465"), std::string::npos) << errors[0].hint;
  EXPECT_EQ(errors[1].where, "slipway.toml:4:12");
  EXPECT_EQ(errors[1].message, "notify.email has both tls and starttls");
  EXPECT_NE(errors[1].hint.find("keep tls only"), std::string::npos);
  EXPECT_EQ(errors[2].where, "slipway.toml:5:9");
  EXPECT_NE(errors[2].message.find("notify.email.proxy must be a socks5h://"), std::string::npos) << errors[2].message;
  EXPECT_EQ(errors[2].message.find("Pr0xyPa55w0rd"), std::string::npos) << errors[2].message;
  EXPECT_NE(errors[2].hint.find("socks5h://proxy.example.com:1080"), std::string::npos);
}

TEST(Config, BadDeployStepsAreErrorsWithPositions) {
  auto errors = parse_errors(R"([deploy]
maintenance = "sometimes"
[[deploy.steps]]
name = "no command"
rollbak = "x"
[notify]
on = ["sucess"]
)");
  std::string all;
  for (const auto& e : errors) all += e.render() + "\n";
  EXPECT_NE(all.find("slipway.toml:2:"), std::string::npos) << all;
  EXPECT_NE(all.find("deploy.steps[0] has no run command"), std::string::npos) << all;
  EXPECT_NE(all.find("rollbak"), std::string::npos) << all;
  EXPECT_NE(all.find("did you mean 'rollback'"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown event \"sucess\""), std::string::npos) << all;
}

TEST(Config, DeployDeadlinesOverTheDefaultsAndReleaseMigrates) {
  auto c = parse_ok("[deploy]\nrelease_migrates = true\n[deploy.deadlines]\nverify = \"5min\"\n");
  EXPECT_TRUE(c.deploy.release_migrates);
  EXPECT_EQ(c.deploy.deadline("verify"), 5min);
  EXPECT_EQ(c.deploy.deadline("backup"), 2h);
  EXPECT_EQ(c.deploy.deadline("restore"), 2h);
  auto errors = parse_errors("[deploy.deadlines]\nverfy = \"5min\"\nbackup = 3\nrelease = \"0s\"\n");
  std::string all;
  for (const auto& e : errors) all += e.render() + "\n";
  EXPECT_NE(all.find("unknown key 'deploy.deadlines.verfy'"), std::string::npos) << all;
  EXPECT_NE(all.find("did you mean 'verify'"), std::string::npos) << all;
  EXPECT_NE(all.find("deploy.deadlines.backup must be a duration string"), std::string::npos) << all;
  EXPECT_NE(all.find("slipway.toml:4:11: deploy.deadlines.release is 0"), std::string::npos) << all;
}

}  // namespace
}  // namespace slipway

namespace slipway {
namespace {

std::string repeated(std::string_view piece, int n) {
  std::string out;
  out.reserve(piece.size() * static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) out += piece;
  return out;
}

// A 100 KB key `a.a.a....a = 1` made toml++ build (and free) 50,000 nested tables recursively:
// SIGSEGV in every command. The depth is bounded before toml++ sees the text.
TEST(Config, DottedKeyWith50000PartsIsAnErrorNotACrash) {
  auto errors = parse_errors("a" + repeated(".a", 49'999) + " = 1\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].where.substr(0, 15), "slipway.toml:1:") << errors[0].where;
  EXPECT_NE(errors[0].message.find("nested more than 64 levels"), std::string::npos) << errors[0].message;
}

TEST(Config, TableHeaderWith50000PartsIsAnErrorNotACrash) {
  auto errors = parse_errors("[project]\nname = \"x\"\n[a" + repeated(".a", 49'999) + "]\nb = 1\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].where.substr(0, 15), "slipway.toml:3:") << errors[0].where;
}

TEST(Config, ArraysAndInlineTablesNested50000DeepAreAnErrorNotACrash) {
  for (const std::string& text : {"a = " + repeated("[", 50'000) + repeated("]", 50'000) + "\n",
                                  "a = " + repeated("{b=", 50'000) + "1" + repeated("}", 50'000) + "\n",
                                  "a = " + repeated("[{b.c=", 50'000) + "1" + repeated("}]", 50'000) + "\n",
                                  "[[a" + repeated(".b", 50'000) + "]]\n", "a = " + repeated("[", 50'000) + "\n"}) {
    auto errors = parse_errors(text);
    ASSERT_EQ(errors.size(), 1u) << text.substr(0, 40);
    EXPECT_EQ(errors[0].where.substr(0, 15), "slipway.toml:1:") << errors[0].where;
    EXPECT_EQ(errors[0].kind, ErrorKind::bad_input);
  }
}

// The bound counts every level a value sits at: table header, dotted key, arrays, inline tables.
TEST(Config, NestingDepthIsBoundedAtSixtyFourLevels) {
  // [a.b] (2) + c.d (2) + 60 arrays = 64: accepted by the bound, so the schema reports the unknown key.
  auto ok = parse_errors("[a.b]\nc.d = " + repeated("[", 60) + repeated("]", 60) + "\n");
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_NE(ok[0].message.find("unknown section 'a'"), std::string::npos) << ok[0].message;
  auto deep = parse_errors("[a.b]\nc.d = " + repeated("[", 61) + repeated("]", 61) + "\n");
  ASSERT_EQ(deep.size(), 1u);
  EXPECT_EQ(deep[0].where, "slipway.toml:2:67");  // the 61st '['
  EXPECT_NE(deep[0].message.find("nested more than 64 levels"), std::string::npos) << deep[0].message;
  // Inline tables: a at 1, then one level per nested b; toml++ alone would take 256.
  auto tables = parse_errors("a = " + repeated("{b = ", 63) + "1" + repeated("}", 63) + "\n");
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_NE(tables[0].message.find("unknown section 'a'"), std::string::npos) << tables[0].message;
  auto deep_tables = parse_errors("a = " + repeated("{b = ", 64) + "1" + repeated("}", 64) + "\n");
  ASSERT_EQ(deep_tables.size(), 1u);
  EXPECT_EQ(deep_tables[0].where, fmt::format("slipway.toml:1:{}", 4 + 63 * 5 + 4));  // the 64th b's '='
  EXPECT_NE(deep_tables[0].message.find("nested more than 64 levels"), std::string::npos) << deep_tables[0].message;
  // A 64-part header leaves no level for its keys.
  auto header = parse_errors("[a" + repeated(".a", 63) + "]\nb = 1\n");
  ASSERT_EQ(header.size(), 1u);
  EXPECT_EQ(header[0].where, "slipway.toml:2:3");
  // Brackets, dots and braces inside strings and comments are text, not nesting.
  auto text = parse_errors("[a]\nb = \"" + repeated("[{.", 100) + "\" # " + repeated("[", 100) + "\n'c." +
                           repeated(".", 100) + "' = '''\n" + repeated("[", 100) + "'''\n");
  ASSERT_EQ(text.size(), 1u);
  EXPECT_NE(text[0].message.find("unknown section 'a'"), std::string::npos) << text[0].message;
}

}  // namespace
}  // namespace slipway

namespace slipway {
namespace {

TEST(Config, ReadsWatchProbesWithTheirTiming) {
  Config c = parse_ok(R"(
[watch]
listen = "127.0.0.1:9092"
[[watch.probe]]
name = "api"
url = "http://127.0.0.1:3000/health"
every = "200ms"
retry_every = "100ms"
down_after = "1s"
up_after = 3
conditions = ["status == 200", "json $.status == \"ok\""]
[[watch.probe]]
name = "db"
kind = "postgres"
severity = "warning"
)");
  EXPECT_EQ(c.watch.listen, "127.0.0.1:9092");
  ASSERT_EQ(c.watch.probes.size(), 2u);
  const WatchProbe& api = c.watch.probes[0];
  EXPECT_EQ(api.kind, "http");
  EXPECT_EQ(api.every, 200ms);
  EXPECT_EQ(api.retry_every, 100ms);
  EXPECT_EQ(api.down_after, 1s);
  EXPECT_EQ(api.up_after, 3);
  ASSERT_EQ(api.conditions.size(), 2u);
  EXPECT_EQ(api.conditions[1].first, "json $.status == \"ok\"");
  EXPECT_EQ(api.conditions[1].second, "/project/slipway.toml:11:32");
  const WatchProbe& db = c.watch.probes[1];
  EXPECT_EQ(db.severity, "warning");
  EXPECT_EQ(db.every, 5min);  // the checklist's defaults
  EXPECT_EQ(db.retry_every, 30s);
  EXPECT_EQ(db.down_after, 2min);
  EXPECT_EQ(db.up_after, 2);
  EXPECT_EQ(db.repeat, 30min);
  EXPECT_EQ(c.watch.history_raw, 48h);  // defaults
  EXPECT_EQ(c.watch.history_keep, 90 * 24h);
  EXPECT_EQ(c.watch.log_format, "text");
}

TEST(Config, WatchHistoryAndLogKeys) {
  Config c = parse_ok("[watch]\nhistory_raw = \"6h\"\nhistory_keep = \"30d\"\nlog_format = \"json\"\n");
  EXPECT_EQ(c.watch.history_raw, 6h);
  EXPECT_EQ(c.watch.history_keep, 30 * 24h);
  EXPECT_EQ(c.watch.log_format, "json");
  auto errors = parse_errors("[watch]\nhistory_raw = \"7d\"\nhistory_keep = \"1d\"\nlog_format = \"xml\"\n");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].where, "slipway.toml:3:16");
  EXPECT_NE(errors[0].message.find("history_keep (1d) is shorter than watch.history_raw (7d)"), std::string::npos)
      << errors[0].message;
  EXPECT_EQ(errors[1].where, "slipway.toml:4:14");
}

TEST(Config, WatchProbeMistakesAreErrorsAtTheirPosition) {
  auto errors = parse_errors(R"([[watch.probe]]
name = "api"
kind = "htp"
url = "http://x/"
down_afer = "1m"
[[watch.probe]]
name = "api"
kind = "tcp"
every = "0s"
)");
  ASSERT_EQ(errors.size(), 5u);  // in the file's order
  EXPECT_EQ(errors[0].where, "slipway.toml:3:8");
  EXPECT_NE(errors[0].message.find("watch.probe[0].kind"), std::string::npos) << errors[0].message;
  EXPECT_EQ(errors[1].where, "slipway.toml:5:1");
  EXPECT_NE(errors[1].message.find("did you mean 'down_after'"), std::string::npos) << errors[1].message;
  std::vector<std::string> rest;
  for (std::size_t i = 2; i < errors.size(); ++i) rest.push_back(errors[i].message);
  std::sort(rest.begin(), rest.end());
  EXPECT_EQ(rest, (std::vector<std::string>{"watch.probe[1] (kind \"tcp\") has no address",
                                            "watch.probe[1].every must be longer than 0",
                                            "watch.probe[1]: another probe is already named \"api\""}));
}

TEST(Config, ReadsWatchHoldsLeaseRoutingAndSms) {
  Config c = parse_ok(R"(
[notify.sms]
url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"
username = "AC1"
password = "token"
from = "+15550100"
to = ["+15550111"]
[watch]
lease = "20s"
window_max = "1h"
store_down_after = "1m"
flap_window = 10
flap_threshold = 40
group_wait = "30s"
rate_limit = 12
route = { critical = ["sms", "webhook"], warning = ["email"] }
[[watch.probe]]
name = "db"
kind = "tcp"
address = "127.0.0.1:5432"
deploy_window = false
[[watch.probe]]
name = "api"
url = "http://127.0.0.1:3000/health"
depends_on = "db"
)");
  EXPECT_EQ(c.notify.sms.to, std::vector<std::string>{"+15550111"});
  EXPECT_EQ(c.watch.lease, 20s);
  EXPECT_EQ(c.watch.window_max, 1h);
  EXPECT_EQ(c.watch.store_down_after, 1min);
  EXPECT_EQ(c.watch.flap_window, 10);
  EXPECT_EQ(c.watch.flap_threshold, 40);
  EXPECT_EQ(c.watch.group_wait, 30s);
  EXPECT_EQ(c.watch.rate_limit, 12);
  EXPECT_EQ(c.watch.route_critical, (std::vector<std::string>{"sms", "webhook"}));
  EXPECT_EQ(c.watch.route_warning, std::vector<std::string>{"email"});
  EXPECT_FALSE(c.watch.probes[0].deploy_window);
  EXPECT_TRUE(c.watch.probes[1].deploy_window);
  EXPECT_EQ(c.watch.probes[1].depends_on, "db");
}

TEST(Config, WatchDependencyAndRoutingMistakesAreErrorsAtTheirPosition) {
  auto errors = parse_errors(R"([watch]
route = { critical = ["pager"] }
[notify.sms]
url = "https://sms.example.com/"
[[watch.probe]]
name = "a"
url = "http://x/"
depends_on = "b"
[[watch.probe]]
name = "b"
url = "http://x/"
depends_on = "a"
[[watch.probe]]
name = "c"
url = "http://x/"
depends_on = "nope"
)");
  std::vector<std::string> messages;
  for (const auto& e : errors) messages.push_back(e.where + " " + e.message);
  std::sort(messages.begin(), messages.end());
  EXPECT_EQ(messages, (std::vector<std::string>{
                          "slipway.toml:12:14 watch.probe[1].depends_on makes a loop: b -> a -> b",
                          "slipway.toml:16:14 watch.probe[2].depends_on names \"nope\", which is not a probe here",
                          "slipway.toml:2:22 watch.route.critical has an unknown channel \"pager\"",
                          "slipway.toml:3:1 notify.sms needs url, from and to",
                          "slipway.toml:8:14 watch.probe[0].depends_on makes a loop: a -> b -> a"}));
}

TEST(Config, ReadsTheKeysOfTheTlsSqlHostAndMetricsProbes) {
  Config c = parse_ok(R"([[watch.probe]]
name = "cert"
kind = "tls"
address = "example.com:443"
server_name = "www.example.com"
ca_file = "certs/ca.pem"
cert_days = 21
[[watch.probe]]
name = "failed-logins"
kind = "sql"
query = "SELECT count(*) FROM audit_log"
condition = "value <= 12.5"
[[watch.probe]]
name = "memory"
kind = "host"
check = "memory"
above = 80
down_after = "5m"
[[watch.probe]]
name = "disk"
kind = "host"
check = "disk"
path = "/var/lib"
forecast = "24h"
[[watch.probe]]
name = "errors"
kind = "metrics"
url = "http://127.0.0.1:9091/metrics"
error_rate_above = 2.5
p99_above = "3s"
min_requests = 50
window = "10m"
[[watch.probe]]
name = "api"
url = "https://api.example.com/health"
cert_days = 14
)");
  ASSERT_EQ(c.watch.probes.size(), 6u);
  const auto& tls = c.watch.probes[0];
  EXPECT_EQ(tls.server_name, "www.example.com");
  EXPECT_EQ(tls.ca_file, "/project/certs/ca.pem");
  EXPECT_EQ(tls.cert_days, 21);
  const auto& sql = c.watch.probes[1];
  EXPECT_EQ(sql.condition_op, "<=");
  EXPECT_EQ(sql.condition_value, 12.5);
  const auto& memory = c.watch.probes[2];
  EXPECT_EQ(memory.check, "memory");
  EXPECT_EQ(memory.above, 80);
  EXPECT_EQ(memory.down_after, 5min);
  const auto& disk = c.watch.probes[3];
  EXPECT_EQ(disk.path, "/var/lib");
  EXPECT_EQ(disk.forecast, 24h);
  const auto& metrics = c.watch.probes[4];
  EXPECT_EQ(metrics.requests, "slipway_gate_requests_total");  // the gate's names by default
  EXPECT_EQ(metrics.duration, "slipway_gate_upstream_latency_seconds");
  EXPECT_EQ(metrics.error_rate_above, 2.5);
  EXPECT_EQ(metrics.p95_above, 2s);
  EXPECT_EQ(metrics.p99_above, 3s);
  EXPECT_EQ(metrics.min_requests, 50);
  EXPECT_EQ(metrics.window, 10min);
  EXPECT_EQ(c.watch.probes[5].cert_days, 14);
}

// In the file's order, each at its key.
TEST(Config, AnotherKindsKeyAndABadConditionAreErrorsAtTheKey) {
  auto errors = parse_errors(R"([[watch.probe]]
name = "disk"
kind = "host"
check = "disk"
query = "SELECT 1"
[[watch.probe]]
name = "logins"
kind = "sql"
query = "SELECT 1"
condition = "value <> 5"
[[watch.probe]]
name = "mem"
kind = "host"
check = "memory"
forecast = "1h"
above = 120
[[watch.probe]]
name = "api"
url = "http://api/health"
cert_days = 14
[[watch.probe]]
name = "scrape"
kind = "metrics"
url = "http://127.0.0.1:9091/metrics"
requests = "2xx-total"
[[watch.probe]]
name = "nothing"
kind = "sql"
)");
  std::vector<std::string> got;
  for (const auto& e : errors) got.push_back(e.where + " " + e.message);
  EXPECT_EQ(got, (std::vector<std::string>{
                     "slipway.toml:5:9 watch.probe[0].query is for sql probes, not host",
                     "slipway.toml:10:13 watch.probe[1].condition \"value <> 5\" is not `value OPERATOR NUMBER`",
                     "slipway.toml:15:12 watch.probe[2].forecast is for check = \"disk\", not \"memory\"",
                     "slipway.toml:16:9 watch.probe[2].above must be between 0 and 100, not 120",
                     "slipway.toml:20:13 watch.probe[3].cert_days needs an https url",
                     "slipway.toml:25:12 watch.probe[4].requests \"2xx-total\" is not a Prometheus metric name",
                     "slipway.toml:26:1 watch.probe[5] (kind \"sql\") has no query",
                     "slipway.toml:26:1 watch.probe[5] (kind \"sql\") has no condition",
                 }));
}

}  // namespace
}  // namespace slipway
