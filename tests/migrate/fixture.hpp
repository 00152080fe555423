// A fresh database, a temporary migrations folder and a connection, for the migrate tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "migrate/apply.hpp"
#include "migrate/status.hpp"
#include "pg/connection.hpp"
#include "postgres.hpp"

namespace slipway::migrate::test {

namespace fs = std::filesystem;

class MigrateDb : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("slipway-migrate-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    url = slipway::test::Postgres::instance().create_database();
    auto c = pg::Connection::open(url);
    ASSERT_TRUE(c) << c.error().message;
    conn.emplace(std::move(*c));
  }
  void TearDown() override { fs::remove_all(dir); }

  fs::path write(const std::string& name, const std::string& text) {
    fs::create_directories((dir / name).parent_path());
    std::ofstream(dir / name, std::ios::binary) << text;
    return dir / name;
  }
  Folder folder(std::string_view layout = "auto", const fs::path& where = {}) {
    auto f = discover(where.empty() ? dir : where, layout);
    EXPECT_TRUE(f) << f.error().message;
    return *f;
  }
  Status status(const Folder& f, const std::string& table = {}) {
    auto s = read_status(*conn, f, HistoryTable::for_layout(f.layout, table));
    EXPECT_TRUE(s) << s.error().message;
    return std::move(*s);
  }
  ApplyReport apply(const Folder& f, ApplyOptions options = {}, const std::string& table = {}) {
    lint::Settings settings;
    auto r = migrate::apply(*conn, f, HistoryTable::for_layout(f.layout, table), settings, options);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : ApplyReport{};
  }
  // The first value of a query, "" for NULL.
  std::string value(const std::string& sql) {
    auto rows = conn->query(sql);
    EXPECT_TRUE(rows) << rows.error().message << "\n" << sql;
    if (!rows || rows->size() == 0) return "<no row>";
    return rows->text(0, 0);
  }
  std::vector<std::string> states(const Status& s) {
    std::vector<std::string> out;
    for (const auto& m : s.migrations) out.push_back(std::string(to_string(m.state)));
    return out;
  }

  fs::path dir;
  std::string url;
  std::optional<pg::Connection> conn;
};

// A Waiter that never sleeps: it records the waits and runs `on_sleep`.
struct RecordingWaiter : Waiter {
  std::vector<Duration> waits;
  std::function<void()> on_sleep;
  double r = 0.5;
  void sleep(Duration d) override {
    waits.push_back(d);
    if (on_sleep) on_sleep();
  }
  double random() override { return r; }
};

}  // namespace slipway::migrate::test
