#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "migrate/folder.hpp"

namespace slipway::migrate {
namespace {

namespace fs = std::filesystem;

class Folder : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("slipway-folder-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  void touch(const fs::path& p) {
    fs::create_directories((dir / p).parent_path());
    std::ofstream(dir / p) << "SELECT 1;\n";
  }
  std::vector<std::string> names(const std::vector<MigrationFile>& files) {
    std::vector<std::string> out;
    for (const auto& f : files) out.push_back(fs::relative(f.path, dir).string());
    return out;
  }
  fs::path dir;
};

TEST_F(Folder, PrismaFoldersInTimestampOrderFromTheProjectRoot) {
  touch("prisma/migrations/20260201000000_b/migration.sql");
  touch("prisma/migrations/20260101000000_a/migration.sql");
  touch("prisma/migrations/migration_lock.toml");
  auto f = discover(dir);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->layout, Layout::prisma);
  EXPECT_EQ(names(f->files), (std::vector<std::string>{"prisma/migrations/20260101000000_a/migration.sql",
                                                       "prisma/migrations/20260201000000_b/migration.sql"}));
  EXPECT_EQ(f->files[0].version, "20260101000000");
  EXPECT_EQ(f->files[0].name, "a");
  EXPECT_TRUE(runs_file_in_transaction(f->layout));
}

TEST_F(Folder, FlywayVersionsCompareNumericallyThenRepeatables) {
  for (auto n : {"V1__init.sql", "V1.10__late.sql", "V1.9__mid.sql", "V2__two.sql", "R__views.sql", "notes.txt"})
    touch(n);
  auto f = discover(dir);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->layout, Layout::flyway);
  EXPECT_EQ(names(f->files), (std::vector<std::string>{"V1__init.sql", "V1.9__mid.sql", "V1.10__late.sql",
                                                       "V2__two.sql", "R__views.sql"}));
  EXPECT_TRUE(f->files.back().repeatable);
}

TEST_F(Folder, GolangMigrateTakesUpFilesInNumericOrder) {
  for (auto n : {"10_c.up.sql", "10_c.down.sql", "2_b.up.sql", "1_a.up.sql", "1_a.down.sql"}) touch(n);
  auto f = discover(dir);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->layout, Layout::golang_migrate);
  EXPECT_EQ(names(f->files), (std::vector<std::string>{"1_a.up.sql", "2_b.up.sql", "10_c.up.sql"}));
}

TEST_F(Folder, PlainFilesInNaturalOrderAndNotInATransaction) {
  for (auto n : {"10_later.sql", "2_early.sql", "README.md"}) touch(n);
  auto f = discover(dir);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->layout, Layout::plain);
  EXPECT_EQ(names(f->files), (std::vector<std::string>{"2_early.sql", "10_later.sql"}));
  EXPECT_FALSE(runs_file_in_transaction(f->layout));
}

TEST_F(Folder, ExplicitLayoutAndErrors) {
  touch("V1__x.sql");
  auto plain = discover(dir, "plain");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->layout, Layout::plain);
  EXPECT_FALSE(discover(dir, "liquibase"));
  auto missing = discover(dir / "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::bad_input);
}

TEST_F(Folder, ASingleFileKnowsItsFoldersLayout) {
  touch("prisma/migrations/migration_lock.toml");
  touch("prisma/migrations/20260101000000_a/migration.sql");
  touch("flyway/V1__a.sql");
  touch("flyway/V2__b.sql");
  touch("plain/001.sql");
  EXPECT_EQ(layout_of_file(dir / "prisma/migrations/20260101000000_a/migration.sql"), Layout::prisma);
  EXPECT_EQ(layout_of_file(dir / "flyway/V2__b.sql"), Layout::flyway);
  EXPECT_EQ(layout_of_file(dir / "plain/001.sql"), Layout::plain);
}

TEST(NaturalOrder, ComparesDigitRunsAsNumbers) {
  EXPECT_TRUE(natural_less("2_x", "10_x"));
  EXPECT_FALSE(natural_less("10_x", "2_x"));
  EXPECT_TRUE(natural_less("a", "b"));
  EXPECT_TRUE(natural_less("001", "2"));
}

}  // namespace
}  // namespace slipway::migrate
