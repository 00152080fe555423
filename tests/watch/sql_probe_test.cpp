// The sql probe against the test PostgreSQL: the checklist's failed logins in an audit table,
// and every way a query can fail to be one number.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "postgres.hpp"
#include "watch/probe.hpp"

namespace slipway::watch {
namespace {

using namespace std::chrono_literals;

constexpr const char* kFailedLogins =
    "SELECT count(*) FROM audit_log WHERE action = 'LOGIN_FAILED' AND at > now() - interval '5 minutes'";

WatchProbe sql(const std::string& url, const std::string& query, const std::string& op = "<", double bound = 5) {
  WatchProbe p;
  p.name = "failed-logins";
  p.key = "watch.probe[0]";
  p.kind = "sql";
  p.timeout = 5s;
  p.database_url = url;
  p.query = query;
  p.condition = "value " + op + " " + fmt::format("{}", bound);
  p.condition_op = op;
  p.condition_value = bound;
  return p;
}

std::unique_ptr<Probe> make(const WatchProbe& p) {
  auto probe = make_probe(p, Config{});
  EXPECT_TRUE(probe) << probe.error().render();
  return probe ? std::move(*probe) : nullptr;
}

class SqlProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = test::Postgres::instance().create_database();
    test::Postgres::instance().exec(url_, R"(
      CREATE TABLE audit_log (id serial PRIMARY KEY, action text NOT NULL, at timestamptz NOT NULL DEFAULT now());
      INSERT INTO audit_log (action, at) SELECT 'LOGIN_FAILED', now() - interval '1 hour' FROM generate_series(1, 50);
      INSERT INTO audit_log (action) SELECT 'LOGIN_FAILED' FROM generate_series(1, 3);
    )");
  }
  std::string url_;
};

TEST_F(SqlProbeTest, FailedLoginsInTheLastFiveMinutesAboveTheBoundFail) {
  auto probe = make(sql(url_, kFailedLogins));
  ASSERT_TRUE(probe);
  auto r = probe->run();
  EXPECT_TRUE(r.ok) << r.reason;
  ASSERT_EQ(r.values.size(), 1u);
  EXPECT_EQ(r.values[0], (std::pair<std::string, double>{"value", 3}));

  test::Postgres::instance().exec(url_,
                                  "INSERT INTO audit_log (action) SELECT 'LOGIN_FAILED' FROM generate_series(1, 9)");
  r = probe->run();  // the same kept connection sees the new rows: each run is its own transaction
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "value 12 breaks value < 5");
}

TEST_F(SqlProbeTest, TheQueryRunsReadOnly) {
  auto probe = make(sql(url_, "WITH gone AS (DELETE FROM audit_log RETURNING 1) SELECT count(*) FROM gone"));
  ASSERT_TRUE(probe);
  const auto r = probe->run();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("read-only transaction"), std::string::npos) << r.reason;
  // A second statement is refused, so it cannot end the read-only transaction and write.
  auto two = make(sql(url_, "SELECT 1; COMMIT; DELETE FROM audit_log"));
  ASSERT_TRUE(two);
  const auto r2 = two->run();
  EXPECT_FALSE(r2.ok);
  EXPECT_NE(r2.reason.find("cannot insert multiple commands"), std::string::npos) << r2.reason;
  auto count = make(sql(url_, "SELECT count(*) FROM audit_log", "==", 53));
  ASSERT_TRUE(count);
  const auto left = count->run();  // nothing was deleted, and the connection is still usable
  EXPECT_TRUE(left.ok) << left.reason;
  EXPECT_TRUE(probe->run().reason.find("read-only") != std::string::npos);
}

TEST_F(SqlProbeTest, AnAnswerThatIsNotOneNumberFailsSayingWhat) {
  const std::pair<const char*, const char*> cases[] = {
      {"SELECT 1 WHERE false", "the query answered 0 rows, not one"},
      {"SELECT 1, 2", "the query answers 2 columns, not one number"},
      {"SELECT generate_series(1, 3)", "the query answered 3 rows, not one"},
      {"SELECT 'many'", "the query answered \"many\", not a number"},
      {"SELECT NULL::int", "the query answered NULL, not a number"},
      {"SELECT count(*) FROM no_such_table", "the query failed: relation \"no_such_table\" does not exist"},
  };
  for (const auto& [query, reason] : cases) {
    auto probe = make(sql(url_, query));
    ASSERT_TRUE(probe);
    const auto r = probe->run();
    EXPECT_FALSE(r.ok) << query;
    EXPECT_EQ(r.reason, reason) << query;
  }
  auto numeric = make(sql(url_, "SELECT 2.5::numeric", "<=", 2.5));
  ASSERT_TRUE(numeric);
  EXPECT_TRUE(numeric->run().ok);
}

TEST_F(SqlProbeTest, AQueryLongerThanTheTimeoutIsCancelledByTheServerAndTheConnectionKept) {
  auto p = sql(url_, "SELECT count(*) FROM (SELECT pg_sleep(5)) s", ">=", 0);
  p.timeout = 300ms;
  auto probe = make(p);
  ASSERT_TRUE(probe);
  const auto r = probe->run();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("statement timeout"), std::string::npos) << r.reason;
  // The slow probe's connection is still open: the server cancelled the statement, not the session.
  auto others = make(sql(url_,
                         "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'slipway' AND "
                         "datname = current_database() AND pid <> pg_backend_pid()",
                         "==", 1));
  ASSERT_TRUE(others);
  const auto kept = others->run();
  EXPECT_TRUE(kept.ok) << kept.reason;
}

TEST_F(SqlProbeTest, ADatabaseThatIsNotThereFails) {
  auto probe = make(sql("postgresql://nobody@127.0.0.1:1/none", "SELECT 1"));
  ASSERT_TRUE(probe);
  const auto r = probe->run();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("cannot connect"), std::string::npos) << r.reason;
}

}  // namespace
}  // namespace slipway::watch
