#include <gtest/gtest.h>

#include "pg/catalog.hpp"
#include "pg/connection.hpp"
#include "postgres.hpp"

namespace slipway::pg {
namespace {

TEST(Catalog, ReadsSizesColumnTypesIndexesAndTypes) {
  auto& server = test::Postgres::instance();
  const std::string url = server.create_database();
  server.exec(url,
              "CREATE TYPE \"Role\" AS ENUM ('ADMIN', 'USER');"
              "CREATE TABLE users (id serial PRIMARY KEY, email varchar(20) NOT NULL, role \"Role\", born timestamptz);"
              "INSERT INTO users (email) SELECT 'u' || g FROM generate_series(1, 5000) g;"
              "CREATE SCHEMA audit; CREATE TABLE audit.log (at timestamp(3));"
              "ANALYZE;");
  auto conn = Connection::open(url);
  ASSERT_TRUE(conn) << conn.error().render();
  auto schema = load_live_schema(*conn);
  ASSERT_TRUE(schema) << schema.error().render();
  EXPECT_EQ(schema->server_major, 15);
  const TableStats* users = schema->table("public.users");
  ASSERT_NE(users, nullptr);
  EXPECT_EQ(users->rows, 5000u);
  EXPECT_GT(users->bytes, 100'000u);
  ASSERT_NE(schema->table("audit.log"), nullptr);
  EXPECT_EQ(schema->column("public.users", "email")->type, "character varying(20)");
  EXPECT_TRUE(schema->column("public.users", "email")->not_null);
  EXPECT_EQ(schema->column("public.users", "role")->type, "\"Role\"");
  EXPECT_EQ(schema->column("public.users", "born")->type, "timestamp with time zone");
  EXPECT_EQ(schema->column("audit.log", "at")->type, "timestamp(3) without time zone");
  EXPECT_TRUE(schema->indexes.count("public.users_pkey"));
  EXPECT_TRUE(schema->types.count("public.Role"));
  EXPECT_EQ(schema->column("public.users", "nope"), nullptr);
}

TEST(Connection, UnreachableServerIsAnEnvironmentErrorWithoutThePassword) {
  auto conn = Connection::open("postgresql://app:hunter2secret@127.0.0.1:1/db", 2);
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().kind, ErrorKind::environment);
  EXPECT_EQ(conn.error().render().find("hunter2secret"), std::string::npos) << conn.error().render();
  EXPECT_NE(conn.error().render().find("app:***@"), std::string::npos) << conn.error().render();
}

TEST(Connection, QueryErrorsAreInputErrorsAndRowsComeBackAsText) {
  auto& server = test::Postgres::instance();
  auto conn = Connection::open(server.create_database());
  ASSERT_TRUE(conn);
  auto rows = conn->query("SELECT 1 AS one, NULL AS nothing, $1::text AS p", {"x"});
  ASSERT_TRUE(rows) << rows.error().render();
  EXPECT_EQ(rows->text(0, 0), "1");
  EXPECT_FALSE(rows->rows[0][1].has_value());
  EXPECT_EQ(rows->text(0, 2), "x");
  auto bad = conn->query("SELECT * FROM missing_table");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("missing_table"), std::string::npos);
}

}  // namespace
}  // namespace slipway::pg
