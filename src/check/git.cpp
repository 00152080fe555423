#include "check/git.hpp"

#include <sstream>

#include <fmt/format.h>

#include "core/process.hpp"

namespace slipway::check {
namespace {

constexpr std::string_view kSection = "git";

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string plural(std::size_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

void check_clean(const CheckGitConfig& config, const Git& git, Report& report) {
  if (config.uncommitted == "off") return;
  auto status = git.run({"status", "--porcelain"});
  if (!status) {
    report.add("git-clean", std::string(kSection), Status::warn,
               fmt::format("git status failed: {}", status.error().message));
    return;
  }
  std::size_t changed = 0, untracked = 0;
  std::string first;
  std::istringstream lines(*status);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() < 4) continue;
    if (line.starts_with("??")) {
      ++untracked;
    } else {
      if (first.empty()) first = line.substr(3);
      ++changed;
    }
  }
  const std::string extra = untracked ? fmt::format(" ({} not tracked)", plural(untracked, "file")) : "";
  if (changed == 0) {
    report.add("git-clean", std::string(kSection), Status::pass, "everything is committed" + extra);
  } else {
    report
        .add("git-clean", std::string(kSection), severity(config.uncommitted),
             fmt::format("{} with uncommitted changes, first {}{}", plural(changed, "file"), first, extra))
        .with_hint("commit or stash them: a deploy must be reproducible from a commit");
  }
}

void check_branch(const CheckGitConfig& config, const Git& git, Report& report) {
  if (config.wrong_branch == "off") return;
  auto branch = git.run({"symbolic-ref", "--short", "-q", "HEAD"});
  if (!branch) {
    auto sha = git.run({"rev-parse", "--short", "HEAD"});
    report
        .add("git-branch", std::string(kSection), severity(config.wrong_branch),
             fmt::format("HEAD is detached at {}", sha ? trim(*sha) : std::string("an unborn commit")))
        .with_hint(config.branch.empty() ? "check out a branch" : fmt::format("git switch {}", config.branch));
    return;
  }
  const std::string name = trim(*branch);
  if (config.branch.empty()) {
    report
        .add("git-branch", std::string(kSection), Status::pass,
             fmt::format("on {} (no expected branch configured)", name))
        .with_hint("set check.git.branch to the branch production deploys come from");
  } else if (name == config.branch) {
    report.add("git-branch", std::string(kSection), Status::pass, fmt::format("on {}", name));
  } else {
    report
        .add("git-branch", std::string(kSection), severity(config.wrong_branch),
             fmt::format("on {}, expected {}", name, config.branch))
        .with_hint(fmt::format("deploy from {}: git switch {}", config.branch, config.branch));
  }
}

void check_pushed(const CheckGitConfig& config, const Git& git, Report& report) {
  if (config.unpushed == "off") return;
  auto upstream = git.run({"rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}"});
  if (!upstream) {
    report.add("git-pushed", std::string(kSection), severity(config.unpushed), "the branch has no upstream")
        .with_hint("push it: git push -u origin HEAD");
    return;
  }
  const std::string name = trim(*upstream);
  auto counts = git.run({"rev-list", "--left-right", "--count", "HEAD...@{upstream}"});
  std::size_t ahead = 0, behind = 0;
  if (counts) std::istringstream(*counts) >> ahead >> behind;
  if (!counts) {
    report.add("git-pushed", std::string(kSection), Status::warn,
               fmt::format("cannot compare with {}: {}", name, counts.error().message));
  } else if (ahead == 0 && behind == 0) {
    report.add("git-pushed", std::string(kSection), Status::pass,
               fmt::format("HEAD is {} (as of the last fetch)", name));
  } else if (ahead > 0) {
    report
        .add("git-pushed", std::string(kSection), severity(config.unpushed),
             fmt::format("{} not pushed to {}{}", plural(ahead, "commit"), name,
                         behind ? fmt::format(", {} behind", behind) : ""))
        .with_hint("git push, so the deployed commit exists outside this machine");
  } else {
    report
        .add("git-pushed", std::string(kSection), Status::warn,
             fmt::format("{} behind {} (as of the last fetch)", plural(behind, "commit"), name))
        .with_hint("git pull, or deploy knowingly an older commit");
  }
}

}  // namespace

Result<std::string> Git::run(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{"git", "-C", root_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto result = run_process({.argv = std::move(argv)});
  if (!result) return fail(result.error());
  if (!result->status.ok()) {
    const std::string why = last_line(result->err);
    return fail(Error::environment(why.empty() ? "git " + result->status.describe() : why,
                                   fmt::format("git {}", args.empty() ? "" : args.front())));
  }
  return std::move(result->out);
}

bool Git::is_repository() const {
  auto inside = run({"rev-parse", "--is-inside-work-tree"});
  return inside && trim(*inside) == "true";
}

Result<std::filesystem::path> Git::top() const {
  auto top = run({"rev-parse", "--show-toplevel"});
  if (!top) return fail(top.error());
  return std::filesystem::path(trim(*top));
}

void check_git(const CheckGitConfig& config, const Git& git, Report& report) {
  if (!git.is_repository()) {
    report.add("git-repository", std::string(kSection), Status::warn, "not a git repository: git checks skipped")
        .with_hint("deploy from a git checkout, so every release is a commit");
    return;
  }
  check_clean(config, git, report);
  check_branch(config, git, report);
  check_pushed(config, git, report);
}

}  // namespace slipway::check
