// The tools' checksums, computed the way each tool computes them (no database needed).
#include <regex>
#include <set>

#include <gtest/gtest.h>

#include "migrate/history.hpp"

namespace slipway::migrate {
namespace {

// Expected values from zlib.crc32 over the text without line terminators, as a signed int
// (what java.util.zip.CRC32 and Flyway's ChecksumCalculator give).
TEST(FlywayChecksum, CrcOfTheLinesWithoutTerminatorsAsASignedInt) {
  EXPECT_EQ(flyway_checksum("SELECT 1;\n"), 78787420);
  EXPECT_EQ(flyway_checksum("CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n"), -956080171);
}

TEST(FlywayChecksum, IgnoresLineEndingsAndAByteOrderMark) {
  const std::int32_t lf = flyway_checksum("CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n");
  EXPECT_EQ(flyway_checksum("\xEF\xBB\xBF"
                            "CREATE TABLE a (id int);\r\nCREATE TABLE b (id int);"),
            lf);
  EXPECT_EQ(flyway_checksum("CREATE TABLE a (id int);\rCREATE TABLE b (id int);\r\n"), lf);
  EXPECT_NE(flyway_checksum("CREATE TABLE a (id int); CREATE TABLE b (id int);"), lf);  // a space is content
}

TEST(FlywayHistory, ChecksumIsTheSignedIntAsText) {
  auto h = HistoryTable::for_layout(Layout::flyway);
  EXPECT_EQ(h->checksum("CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n"), "-956080171");
  EXPECT_EQ(h->table(), "flyway_schema_history");
}

TEST(PrismaChecksum, Sha256HexAndPrismasLineEndingTolerance) {
  auto h = HistoryTable::for_layout(Layout::prisma);
  const std::string sum = h->checksum("SELECT 1;\n");
  EXPECT_EQ(sum, "b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd");
  EXPECT_TRUE(h->matches("SELECT 1;\n", sum));
  EXPECT_TRUE(h->matches("SELECT 1;\r\n", sum));  // checked out on Windows
  EXPECT_FALSE(h->matches("SELECT 2;\n", sum));
  EXPECT_FALSE(h->matches("SELECT 1;", sum));
}

TEST(PrismaChecksum, AcceptsTheUnpaddedHexOfOldEngines) {
  // sha256("SELECT 1;\n") has the bytes 0x04, 0x0b, 0x0b, 0x08, 0x05 whose hex lost its zero.
  std::string unpadded;
  const std::string padded = "b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd";
  for (std::size_t i = 0; i < padded.size(); i += 2) {
    unpadded += padded[i] == '0' ? padded.substr(i + 1, 1) : padded.substr(i, 2);
  }
  ASSERT_NE(unpadded.size(), 64U);
  EXPECT_TRUE(prisma_checksum_matches("SELECT 1;\n", unpadded));
  EXPECT_FALSE(prisma_checksum_matches("SELECT 2;\n", unpadded));
}

TEST(PrismaHistory, IdsAreRandomUuidV4) {
  const std::regex v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string id = uuid_v4();
    EXPECT_TRUE(std::regex_match(id, v4)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 200U);
}

TEST(GolangHistory, NoChecksumAndNumericKeys) {
  auto h = HistoryTable::for_layout(Layout::golang_migrate);
  EXPECT_FALSE(h->has_checksum());
  EXPECT_EQ(h->checksum("anything"), "");
  EXPECT_EQ(h->key_of({"000012", "users", "000012_users.up.sql", false}), "12");
  EXPECT_EQ(h->table(), "schema_migrations");
}

TEST(HistoryTable, TableOverride) {
  EXPECT_EQ(HistoryTable::for_layout(Layout::plain)->table(), "slipway_migrations");
  EXPECT_EQ(HistoryTable::for_layout(Layout::plain, "ops.history")->table(), "ops.history");
}

}  // namespace
}  // namespace slipway::migrate
