// Git state on a real repository with a bare remote: dirty, wrong branch, unpushed.
#include <gtest/gtest.h>

#include "check/git.hpp"
#include "support.hpp"

namespace slipway::check {
namespace {

using testing::find;

Report run(const testing::TempRepo& repo, const CheckGitConfig& config = {}) {
  Report r;
  check_git(config, Git(repo.work()), r);
  return r;
}

TEST(CheckGit, CleanOnBranchAndPushedPasses) {
  testing::TempRepo repo("git-ok");
  repo.write("a.txt", "a\n");
  repo.commit("a");
  repo.add_remote();
  const Report r = run(repo, {.branch = "main"});
  ASSERT_EQ(r.checks().size(), 3u);
  EXPECT_EQ(r.summary().pass, 3) << r.checks()[0].message << r.checks()[2].message;
  EXPECT_EQ(find(r, "git-pushed").message, "HEAD is origin/main (as of the last fetch)");
}

TEST(CheckGit, DirtyTreeFailsOrWarnsAsConfigured) {
  testing::TempRepo repo("git-dirty");
  repo.write("a.txt", "a\n");
  repo.commit("a");
  repo.add_remote();
  repo.write("a.txt", "changed\n");
  repo.write("new.txt", "untracked\n");
  EXPECT_EQ(find(run(repo), "git-clean").status, Status::fail);
  EXPECT_EQ(find(run(repo), "git-clean").message, "1 file with uncommitted changes, first a.txt (1 file not tracked)");
  EXPECT_EQ(find(run(repo, {.uncommitted = "warn"}), "git-clean").status, Status::warn);
  const Report off = run(repo, {.uncommitted = "off"});
  for (const auto& c : off.checks()) EXPECT_NE(c.id, "git-clean");
}

TEST(CheckGit, WrongBranchAndDetachedHead) {
  testing::TempRepo repo("git-branch");
  repo.write("a.txt", "a\n");
  repo.commit("a");
  repo.git({"switch", "-q", "-c", "feature"});
  const Check& wrong = find(run(repo, {.branch = "main"}), "git-branch");
  EXPECT_EQ(wrong.status, Status::fail);
  EXPECT_EQ(wrong.message, "on feature, expected main");
  repo.git({"checkout", "-q", "--detach"});
  const Report detached = run(repo, {.branch = "main", .wrong_branch = "warn"});
  EXPECT_EQ(find(detached, "git-branch").status, Status::warn);
  EXPECT_EQ(find(detached, "git-branch").message.rfind("HEAD is detached at ", 0), 0u);
}

TEST(CheckGit, UnpushedCommitsAndNoUpstream) {
  testing::TempRepo repo("git-unpushed");
  repo.write("a.txt", "a\n");
  repo.commit("a");
  EXPECT_EQ(find(run(repo), "git-pushed").message, "the branch has no upstream");
  repo.add_remote();
  repo.write("b.txt", "b\n");
  repo.commit("b");
  repo.write("c.txt", "c\n");
  repo.commit("c");
  const Check& pushed = find(run(repo), "git-pushed");
  EXPECT_EQ(pushed.status, Status::warn);  // unpushed defaults to a warning
  EXPECT_EQ(pushed.message, "2 commits not pushed to origin/main");
  EXPECT_EQ(find(run(repo, {.unpushed = "fail"}), "git-pushed").status, Status::fail);
}

TEST(CheckGit, NotARepository) {
  const auto dir = std::filesystem::temp_directory_path() / ("slipway-check-norepo-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  Report r;
  check_git({}, Git(dir), r);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(r.checks().size(), 1u);
  EXPECT_EQ(r.checks()[0].id, "git-repository");
  EXPECT_EQ(r.checks()[0].status, Status::warn);
}

}  // namespace
}  // namespace slipway::check
