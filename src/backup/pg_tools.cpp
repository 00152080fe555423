#include "backup/pg_tools.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "core/process.hpp"

namespace slipway::backup {

namespace {

int major_of(const std::string& version) {
  int major = 0;
  std::from_chars(version.data(), version.data() + version.size(), major);
  return major;
}

Result<PgTool> probe(const std::string& path) {
  auto out = run_process({.argv = {path, "--version"}});
  if (!out) return fail(out.error());
  if (!out->status.ok()) {
    return fail(Error::environment(fmt::format("`{} --version` {}", path, out->status.describe())));
  }
  PgTool tool{path, parse_tool_version(out->out), 0};
  tool.major = major_of(tool.version);
  return tool;
}

}  // namespace

std::vector<std::string> pg_child_args(const pg::ConnInfo& info, const std::string& application) {
  return {"--no-password", "--dbname=" + info.without_password().with("application_name", application).to_string()};
}

std::map<std::string, std::string> pg_child_env(const pg::ConnInfo& info) {
  std::map<std::string, std::string> env{{"PGCONNECT_TIMEOUT", "10"}};
  if (!info.password().empty()) env["PGPASSWORD"] = info.password();
  return env;
}

std::string pg_tool_error(std::string_view stderr_text) {
  std::size_t start = 0;
  while (start < stderr_text.size()) {
    const std::size_t end = std::min(stderr_text.find('\n', start), stderr_text.size());
    const std::string_view line = stderr_text.substr(start, end - start);
    if (line.find("error:") != std::string_view::npos) return std::string(line);
    start = end + 1;
  }
  return last_line(stderr_text);
}

std::string parse_tool_version(const std::string& output) {
  // The first word that starts with a digit.
  std::size_t i = 0;
  while (i < output.size()) {
    while (i < output.size() && output[i] == ' ') ++i;
    const std::size_t end = output.find_first_of(" \n", i);
    const std::string word = output.substr(i, end == std::string::npos ? std::string::npos : end - i);
    if (!word.empty() && word[0] >= '0' && word[0] <= '9') return word;
    if (end == std::string::npos) break;
    i = end + 1;
  }
  return {};
}

Result<PgTool> find_pg_tool(const std::string& name, int min_major, int preferred) {
  std::map<int, std::string> installed;  // major -> path
  std::error_code ec;
  for (const auto& dir : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string major = dir.path().filename().string();
    const std::filesystem::path tool = dir.path() / "bin" / name;
    if (::access(tool.c_str(), X_OK) == 0) installed[major_of(major)] = tool.string();
  }
  std::string chosen;
  for (int want : {preferred, min_major}) {
    if (auto it = installed.find(want); want > 0 && it != installed.end()) {
      chosen = it->second;
      break;
    }
  }
  if (chosen.empty() && !installed.empty() && installed.rbegin()->first >= min_major) {
    chosen = installed.rbegin()->second;
  }
  std::string found_note;
  if (chosen.empty()) {
    auto on_path = probe(name);
    if (on_path && on_path->major >= min_major) return on_path;
    if (on_path) found_note = fmt::format("; {} on PATH is version {}", name, on_path->version);
  } else {
    auto tool = probe(chosen);
    if (tool && tool->major >= min_major) return tool;
  }
  return fail(Error::environment(
      fmt::format("{} {} or newer is needed and was not found{}", name, min_major, found_note), "",
      fmt::format("install the PostgreSQL {} client tools (Debian: apt-get install postgresql-client-{})", min_major,
                  min_major)));
}

}  // namespace slipway::backup
