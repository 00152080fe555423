// Git, as `slipway check` needs it: run git in the project, and the checklist's "code committed,
// on the right branch, pushed" items.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "check/report.hpp"
#include "core/config.hpp"
#include "core/error.hpp"

namespace slipway::check {

class Git {
 public:
  explicit Git(std::filesystem::path root) : root_(std::move(root)) {}

  // git's stdout, or an error with git's last stderr line when it exits non-zero
  // (environment error when git itself is missing).
  Result<std::string> run(const std::vector<std::string>& args) const;
  // True when root is inside a work tree.
  [[nodiscard]] bool is_repository() const;
  // The work tree's top folder.
  Result<std::filesystem::path> top() const;

 private:
  std::filesystem::path root_;
};

// git-clean, git-branch, git-pushed (section "git"), each at its configured severity; one warning
// git-repository when `root` is not in a repository.
void check_git(const CheckGitConfig& config, const Git& git, Report& report);

}  // namespace slipway::check
