// The database checks against a real PostgreSQL: superuser, schema owner, extra and missing
// grants, a least-privilege role, version and extensions.
#include <gtest/gtest.h>

#include "check/database.hpp"
#include "postgres.hpp"
#include "support.hpp"

namespace slipway::check {
namespace {

using testing::find;

using slipway::test::Postgres;

class CheckDatabase : public ::testing::Test {
 protected:
  void SetUp() override {
    url = Postgres::instance().create_database();
    // Roles are cluster-wide: name them after the database.
    role = "app_" + url.substr(url.rfind('/') + 1);
    sql("CREATE TABLE loans (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, amount int);"
        "CREATE TABLE members (id serial PRIMARY KEY, name text);");
  }
  void sql(const std::string& text) { Postgres::instance().exec(url, text); }

  // The least-privilege block of the checklist.
  void least_privilege() {
    sql("CREATE ROLE " + role +
        " LOGIN PASSWORD 'pw';"
        "GRANT USAGE ON SCHEMA public TO " +
        role +
        ";"
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " +
        role +
        ";"
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO " +
        role + ";");
  }

  Report run(const CheckDatabaseConfig& config = {}) {
    Report r;
    check_database(config, url, role, r);
    return r;
  }

  std::string url;
  std::string role;
};

TEST_F(CheckDatabase, LeastPrivilegeRolePasses) {
  least_privilege();
  const Report r = run();
  EXPECT_EQ(find(r, "db-reachable").status, Status::pass);
  EXPECT_EQ(find(r, "db-version").status, Status::pass);
  EXPECT_EQ(find(r, "db-superuser").status, Status::pass);
  EXPECT_EQ(find(r, "db-schema-owner").status, Status::pass);
  const Check& grants = find(r, "db-grants");
  EXPECT_EQ(grants.status, Status::pass) << grants.message;
  EXPECT_EQ(find(r, "db-connections").status, Status::pass);
  EXPECT_EQ(r.summary().fail, 0);
}

TEST_F(CheckDatabase, SuperuserFails) {
  sql("CREATE ROLE " + role + " SUPERUSER LOGIN");
  const Report r = run();
  EXPECT_EQ(find(r, "db-superuser").status, Status::fail);
  EXPECT_EQ(find(r, "db-superuser").message, role + " is a superuser: the app can read, change and drop anything");
  EXPECT_EQ(find(r, "db-grants").status, Status::fail);
}

TEST_F(CheckDatabase, SchemaOwnerFails) {
  least_privilege();
  sql("ALTER SCHEMA public OWNER TO " + role);
  const Check& owner = find(run(), "db-schema-owner");
  EXPECT_EQ(owner.status, Status::fail);
  EXPECT_EQ(owner.message, role + " owns schema public");
}

TEST_F(CheckDatabase, ExtraGrantsFailWithTheRevokes) {
  least_privilege();
  sql("GRANT TRUNCATE ON loans TO " + role + "; GRANT CREATE ON SCHEMA public TO " + role);
  const Check& grants = find(run(), "db-grants");
  EXPECT_EQ(grants.status, Status::fail);
  EXPECT_EQ(grants.message, role + " on schema public: extra CREATE on schema public; TRUNCATE on 1 table (loans)");
  EXPECT_NE(grants.hint.find("REVOKE TRUNCATE ON ALL TABLES IN SCHEMA \"public\" FROM \"" + role + "\";"),
            std::string::npos);
  EXPECT_NE(grants.hint.find("REVOKE CREATE ON SCHEMA \"public\" FROM \"" + role + "\";"), std::string::npos);
}

TEST_F(CheckDatabase, MissingGrantsAndOwnedTablesFail) {
  least_privilege();
  sql("REVOKE INSERT ON members FROM " + role + "; ALTER TABLE loans OWNER TO " + role);
  const Check& grants = find(run(), "db-grants");
  EXPECT_EQ(grants.status, Status::fail);
  EXPECT_NE(grants.message.find("missing INSERT on 1 table (members)"), std::string::npos) << grants.message;
  EXPECT_NE(grants.message.find("extra REFERENCES on 1 table (loans)"), std::string::npos) << grants.message;
  EXPECT_NE(grants.message.find("owns loans"), std::string::npos) << grants.message;
}

TEST_F(CheckDatabase, VersionAndExtensions) {
  least_privilege();
  CheckDatabaseConfig config;
  config.min_version = 99;
  config.extensions = {"plpgsql", "no_such_extension"};
  const Report r = run(config);
  EXPECT_EQ(find(r, "db-version").status, Status::fail);
  EXPECT_NE(find(r, "db-version").message.find("is older than the required 99"), std::string::npos);
  const Check& ext = find(r, "db-extensions");
  EXPECT_EQ(ext.status, Status::fail);
  EXPECT_EQ(ext.message, "missing extension: no_such_extension");
  config.min_version = 14;
  config.extensions = {"plpgsql"};
  const Report ok = run(config);
  EXPECT_EQ(find(ok, "db-version").status, Status::pass);
  EXPECT_EQ(find(ok, "db-extensions").message, "extensions installed: plpgsql");
}

TEST_F(CheckDatabase, UnknownRoleAndUnreachableServer) {
  EXPECT_EQ(find(run(), "db-superuser").message, "role " + role + " does not exist on this server");
  Report r;
  check_database({}, "postgresql://app:secretpw@127.0.0.1:1/loans", "app", r);
  ASSERT_EQ(r.checks().size(), 1u);
  EXPECT_EQ(r.checks()[0].id, "db-reachable");
  EXPECT_EQ(r.checks()[0].status, Status::fail);
  EXPECT_EQ(r.checks()[0].message.find("secretpw"), std::string::npos);
}

TEST(CheckDatabaseRole, RoleOfUrl) {
  EXPECT_EQ(role_of("postgresql://app%40x:pw@db/loans"), "app@x");
  EXPECT_EQ(role_of("host=db user=loans_app dbname=loans"), "loans_app");
  EXPECT_EQ(role_of("postgresql://db/loans"), "");
}

}  // namespace
}  // namespace slipway::check
