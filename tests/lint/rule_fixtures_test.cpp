// Every rule has a fixture file tests/lint/fixtures/<rule>.sql with statements the rule flags and
// statements it passes, and a snapshot <rule>.expected of the text report (message, caret and
// hint) that the rule alone produces for it. SLIPWAY_UPDATE_FIXTURES=1 rewrites the snapshots;
// review the diff before committing.
//
// A fixture may start with settings: "-- fixture: postgres_version=10" or
// "-- fixture: file_in_transaction=true".
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "lint/linter.hpp"
#include "lint/registry.hpp"
#include "process.hpp"

namespace slipway::lint {
namespace {

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Settings settings_for(const std::string& rule, const std::string& sql) {
  Settings s;
  s.only = std::set<std::string>{rule};
  std::istringstream lines(sql);
  std::string line;
  while (std::getline(lines, line) && line.starts_with("-- fixture:")) {
    const std::string kv = line.substr(12);
    const auto eq = kv.find('=');
    const std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
    if (key == "postgres_version") s.postgres_version = std::stoi(value);
    if (key == "file_in_transaction") s.file_in_transaction = value == "true";
  }
  return s;
}

class RuleFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(RuleFixture, FlagsAndPassesWithTheExpectedReport) {
  const std::string rule = GetParam();
  const std::filesystem::path dir = test::source_path("tests/lint/fixtures");
  const std::filesystem::path sql_path = dir / (rule + ".sql");
  ASSERT_TRUE(std::filesystem::exists(sql_path)) << "missing fixture " << sql_path;
  ASSERT_TRUE(std::filesystem::exists(test::source_path("docs/rules/" + rule + ".md")))
      << "missing doc page for " << rule;

  const std::string sql = read(sql_path);
  Linter linter(settings_for(rule, sql));
  std::vector<FileReport> reports{linter.lint(rule + ".sql", sql)};
  ASSERT_TRUE(reports[0].errors.empty()) << "fixture has a syntax error: " << reports[0].errors[0].message;

  int flagged = 0, passed = 0;
  for (const StatementReport& s : reports[0].statements) {
    bool hit = false;
    for (const Finding& f : s.findings) hit = hit || f.rule == rule;
    (hit ? flagged : passed) += 1;
  }
  EXPECT_GT(flagged, 0) << rule << ": no statement in the fixture is flagged";
  EXPECT_GT(passed, 0) << rule << ": no statement in the fixture passes";

  const std::string rendered = render(reports, RenderOptions{});
  const std::filesystem::path expected_path = dir / (rule + ".expected");
  if (std::getenv("SLIPWAY_UPDATE_FIXTURES")) {
    std::ofstream(expected_path, std::ios::binary) << rendered;
  }
  ASSERT_TRUE(std::filesystem::exists(expected_path))
      << "missing snapshot " << expected_path << " (run with SLIPWAY_UPDATE_FIXTURES=1 and review it)";
  EXPECT_EQ(rendered, read(expected_path)) << "the report for " << sql_path << " changed";
}

std::vector<std::string> rule_ids() {
  std::vector<std::string> ids;
  for (const Rule& r : all_rules()) ids.emplace_back(r.id);
  return ids;
}

INSTANTIATE_TEST_SUITE_P(AllRules, RuleFixture, ::testing::ValuesIn(rule_ids()), [](const auto& param_info) {
  std::string name = param_info.param;
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
});

}  // namespace
}  // namespace slipway::lint
