// The typed results a deploy reads from slipway's commands: each reads back what its command
// writes, keeps reading what an older slipway wrote where that is harmless, and refuses (naming
// the key) what is not its document.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "backup/results.hpp"
#include "gate/status.hpp"
#include "migrate/results.hpp"

namespace slipway {
namespace {

namespace json = boost::json;

TEST(GateStatusJson, ReadsBackWhatTheGateWrites) {
  gate::GateStatus s;
  s.mode = "read-only";
  s.upstream = "127.0.0.1:3001";
  s.started_at = "2026-12-07T09:00:00Z";
  s.writes_let_through = 3;
  s.recent_writes_let_through.push_back({3, "2026-12-07T10:00:00Z", "POST", "/login", "203.0.113.9", true});
  s.note = "read-only on";
  auto back = gate::GateStatus::from_json(json::parse(json::serialize(s.to_json())));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->mode, "read-only");
  EXPECT_EQ(back->upstream, "127.0.0.1:3001");
  EXPECT_EQ(back->writes_let_through, 3U);
  ASSERT_EQ(back->recent_writes_let_through.size(), 1U);
  EXPECT_TRUE(back->recent_writes_let_through[0].admin);
  EXPECT_EQ(back->recent_writes_let_through[0].path, "/login");
  EXPECT_EQ(back->note, "read-only on");
}

TEST(GateStatusJson, AnOlderGatesStatusReadsWithDefaultsAndAWrongTypeIsRefused) {
  auto older = gate::GateStatus::from_json(json::parse(R"({"ok":true,"mode":"normal","upstream":"127.0.0.1:1"})"));
  ASSERT_TRUE(older) << older.error().message;
  EXPECT_EQ(older->writes_let_through, 0U);
  EXPECT_TRUE(older->started_at.empty());
  auto wrong = gate::GateStatus::from_json(
      json::parse(R"({"ok":true,"mode":"normal","upstream":"","writes_let_through":"many"})"));
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("'writes_let_through'"), std::string::npos) << wrong.error().message;
  EXPECT_FALSE(gate::GateStatus::from_json(json::parse(R"({"ok":true,"upstream":""})")));  // no mode
}

TEST(BackupJson, CreatedAndRestoredReadBack) {
  backup::Created c;
  c.id = "20261207-0930-ab12";
  c.archive_bytes = 123456789012ULL;
  c.verification = "ok";
  auto created = backup::Created::from_json(c.to_json());
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->id, c.id);
  EXPECT_EQ(created->archive_bytes, c.archive_bytes);
  EXPECT_EQ(created->verification, "ok");

  backup::Restored r;
  r.id = c.id;
  r.status = "ok";
  r.duration_ms = 812;
  r.tables = {{"public.loans", 10, 10}};
  r.schema_matches = true;
  auto restored = backup::Restored::from_json(r.to_json());
  ASSERT_TRUE(restored) << restored.error().message;
  EXPECT_EQ(restored->duration_ms, 812);
  ASSERT_EQ(restored->tables.size(), 1U);
  EXPECT_EQ(restored->tables[0].name, "public.loans");
  EXPECT_EQ(restored->schema_matches, true);

  json::object no_id = c.to_json();
  no_id.erase("id");
  auto refused = backup::Created::from_json(no_id);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("'id'"), std::string::npos) << refused.error().message;
}

TEST(MigrateJson, DigestsReadTheirParts) {
  auto plan = migrate::PlanDigest::from_json(
      json::parse(R"({"summary":{"migrations":2,"statements":5,"safe":3,"review":1,"dangerous":1,"suppressed":0},)"
                  R"("migrations":[{"name":"a","statements":[{"verdict":"safe","findings":[]},)"
                  R"({"verdict":"dangerous","findings":[{"message":"rewrites loans"},{"message":"second"}]}]}]})"));
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->migrations, 2);
  EXPECT_EQ(plan->dangerous, 1);
  EXPECT_EQ(plan->first_dangerous, "rewrites loans");
  auto renamed = migrate::PlanDigest::from_json(json::parse(R"({"totals":{},"migrations":[]})"));
  ASSERT_FALSE(renamed);
  EXPECT_NE(renamed.error().message.find("'summary'"), std::string::npos) << renamed.error().message;

  auto apply = migrate::ApplyDigest::from_json(
      json::parse(R"({"status":"failed","message":"lock timeout","migrations":[{"name":"1","outcome":"committed"},)"
                  R"({"name":"2","outcome":"failed"}]})"));
  ASSERT_TRUE(apply) << apply.error().message;
  EXPECT_EQ(apply->committed, std::vector<std::string>{"1"});
  EXPECT_EQ(apply->message, "lock timeout");

  auto status = migrate::StatusDigest::from_json(
      json::parse(R"({"summary":{"applied":1,"pending":1},"migrations":[{"name":"1","state":"applied"},)"
                  R"({"name":"2","state":"pending"}]})"));
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(status->last_applied, "1");
  EXPECT_EQ(status->pending, 1);
}

}  // namespace
}  // namespace slipway
