// Shared by the check tests: a throwaway git repository made with the real git, and finding a
// check in a report.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "check/report.hpp"
#include "process.hpp"

namespace slipway::check::testing {

class TempRepo {
 public:
  explicit TempRepo(const std::string& name) {
    dir = std::filesystem::temp_directory_path() / ("slipway-check-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "work");
    git({"init", "-q", "-b", "main"});
  }
  ~TempRepo() { std::filesystem::remove_all(dir); }
  TempRepo(const TempRepo&) = delete;
  TempRepo& operator=(const TempRepo&) = delete;

  [[nodiscard]] std::filesystem::path work() const { return dir / "work"; }

  // Runs git in the work tree; fails the test when git fails.
  std::string git(std::vector<std::string> args, const std::filesystem::path& where = {}) const {
    args.insert(args.begin(), {"git", "-C", (where.empty() ? work() : where).string()});
    auto r = slipway::test::run(args, {},
                                {{"GIT_AUTHOR_NAME", "Test"},
                                 {"GIT_AUTHOR_EMAIL", "test@example.com"},
                                 {"GIT_COMMITTER_NAME", "Test"},
                                 {"GIT_COMMITTER_EMAIL", "test@example.com"},
                                 {"GIT_CONFIG_NOSYSTEM", "1"},
                                 {"HOME", dir.string()}});
    EXPECT_EQ(r.exit_code, 0) << "git " << args[3] << ": " << r.err;
    return r.out;
  }

  void write(const std::string& path, const std::string& text) const {
    std::filesystem::create_directories((work() / path).parent_path());
    std::ofstream(work() / path, std::ios::binary) << text;
  }

  void commit(const std::string& message) const {
    git({"add", "-A"});
    git({"commit", "-q", "-m", message});
  }

  // A bare repository as origin, with main pushed and tracked.
  void add_remote() const {
    git({"init", "-q", "--bare", (dir / "remote.git").string()}, dir);
    git({"remote", "add", "origin", (dir / "remote.git").string()});
    git({"push", "-q", "-u", "origin", "main"});
  }

  std::filesystem::path dir;
};

// The check with `id`, copied (callers often pass a temporary report); a test failure when absent.
inline Check find(const Report& r, std::string_view id) {
  if (const Check* c = r.find(id)) return *c;
  ADD_FAILURE() << "no check " << id;
  return Check{"missing", "", Status::pass, "no such check", ""};
}

}  // namespace slipway::check::testing
