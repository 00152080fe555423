// The backup rule: newest backup younger than max_age and verified.
#include <gtest/gtest.h>

#include "check/backup.hpp"

namespace slipway::check {
namespace {

using namespace std::chrono_literals;
const auto kNow = std::chrono::system_clock::time_point(std::chrono::hours(500000));

Check one(const Result<std::vector<BackupFact>>& backups, CheckBackupConfig config = {}) {
  Report r;
  check_backup(config, backups, kNow, r);
  EXPECT_EQ(r.checks().size(), 1u);
  return r.checks().at(0);
}

TEST(CheckBackup, RecentAndVerifiedPasses) {
  std::vector<BackupFact> b{{"20240101-old", kNow - 72h, true}, {"20240104-new", kNow - 2h, true}};
  const Check c = one(b);
  EXPECT_EQ(c.status, Status::pass);
  EXPECT_EQ(c.message, "20240104-new is 2h old and verified");
}

TEST(CheckBackup, TooOldFails) {
  std::vector<BackupFact> b{{"old", kNow - 30h, true}};
  const Check c = one(b);
  EXPECT_EQ(c.status, Status::fail);
  EXPECT_EQ(c.message, "the newest backup, old, is 1d6h old (the limit is 1d)");
}

TEST(CheckBackup, UnverifiedFailsUnlessNotRequired) {
  std::vector<BackupFact> b{{"fresh", kNow - 1h, false}};
  EXPECT_EQ(one(b).status, Status::fail);
  EXPECT_EQ(one(b, {.verified = false}).status, Status::pass);
}

TEST(CheckBackup, NoneAndUnreadableFail) {
  std::vector<BackupFact> none;
  EXPECT_EQ(one(none).message, "no backup exists");
  const Check unreadable = one(fail(Error::environment("cannot open the catalog", "backups/catalog.db")));
  EXPECT_EQ(unreadable.status, Status::fail);
  EXPECT_EQ(unreadable.message, "cannot read the backup repository: cannot open the catalog (backups/catalog.db)");
}

// Each deploy's own pre-deploy backup blocked the next deploy: the newest backup was unverified,
// though a verified one existed minutes older. A verified backup within max_age is enough.
TEST(CheckBackup, VerifiedBackupWithinMaxAgePassesThoughTheNewestIsUnverified) {
  std::vector<BackupFact> b{{"20240104-nightly", kNow - 3h, true}, {"20240104-predeploy", kNow - 10min, false}};
  const Check c = one(b);
  EXPECT_EQ(c.status, Status::pass);
  EXPECT_EQ(c.message, "20240104-nightly is 3h old and verified (the newest, 20240104-predeploy, is not verified yet)");
}

TEST(CheckBackup, VerifiedBackupOlderThanMaxAgeDoesNotCount) {
  std::vector<BackupFact> b{{"old-verified", kNow - 30h, true}, {"fresh", kNow - 1h, false}};
  const Check c = one(b);
  EXPECT_EQ(c.status, Status::fail);
  EXPECT_EQ(c.message,
            "no verified backup is younger than 1d: the newest, fresh (1h old), has not been verified, and the newest "
            "verified one, old-verified, is 1d6h old");
  EXPECT_EQ(c.hint, "slipway backup verify fresh");
}

}  // namespace
}  // namespace slipway::check
