// The linter across rules: what one statement's context (earlier statements of the file) changes.
#include <gtest/gtest.h>

#include "lint/linter.hpp"

namespace slipway::lint {
namespace {

// A table created earlier in the same file is empty and nobody uses it yet: its index needs no
// CONCURRENTLY, and in the migration tool's per-file transaction CONCURRENTLY would even fail.
TEST(Linter, IndexOnATableCreatedEarlierInTheFileIsNotToldToUseConcurrently) {
  for (const bool file_in_transaction : {false, true}) {
    Settings settings;
    settings.file_in_transaction = file_in_transaction;
    Linter linter(settings);
    const FileReport report = linter.lint("migration.sql", R"(
CREATE TABLE "Session" ("id" TEXT NOT NULL, "userId" TEXT NOT NULL, CONSTRAINT "Session_pkey" PRIMARY KEY ("id"));
CREATE INDEX "Session_userId_idx" ON "Session"("userId");
CREATE UNIQUE INDEX session_id_user ON "Session" (id, "userId");
)");
    ASSERT_TRUE(report.errors.empty());
    ASSERT_EQ(report.statements.size(), 3U);
    for (const StatementReport& s : report.statements) {
      for (const Finding& f : s.findings) {
        EXPECT_EQ(f.message.find("CONCURRENTLY"), std::string::npos) << f.rule << ": " << f.message;
        EXPECT_EQ(f.hint.find("CONCURRENTLY"), std::string::npos) << f.rule << ": " << f.hint;
        EXPECT_EQ(f.verdict, Verdict::safe) << f.rule << ": " << f.message;
      }
    }
  }
}

// An existing table still gets the advice.
TEST(Linter, IndexOnAnExistingTableIsStillToldToUseConcurrently) {
  Linter linter(Settings{});
  const FileReport report = linter.lint("migration.sql", "CREATE INDEX loans_member_idx ON loans (member_id);\n");
  ASSERT_EQ(report.statements.size(), 1U);
  bool advised = false;
  for (const Finding& f : report.statements[0].findings)
    advised =
        advised || (f.rule == "require-concurrent-index-creation" && f.hint.find("CONCURRENTLY") != std::string::npos);
  EXPECT_TRUE(advised);
}

}  // namespace
}  // namespace slipway::lint
