// One report for check, verify, doctor and watch: what it counts, how it prints, and that what
// it prints as JSON reads back as the same report (a deploy reads check's and verify's that way).
#include "core/report.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace slipway::report {
namespace {

namespace json = boost::json;

Report sample() {
  Report r("check", "section");
  r.add("env-jwt-secret", "env", Status::pass, "JWT_SECRET is set");
  r.add("env-cors", "env", Status::warn, "CORS_ORIGIN is *").with_hint("name the origins");
  r.add("git-pushed", "git", Status::fail, "2 commits not pushed").with_hint("git push");
  r.add("header-csp", "git", Status::skip, "configured off").about("Content-Security-Policy");
  return r;
}

TEST(Report, CountsEachStatusAndNamesTheWorst) {
  const Summary s = sample().summary();
  EXPECT_EQ(s.pass, 1);
  EXPECT_EQ(s.warn, 1);
  EXPECT_EQ(s.fail, 1);
  EXPECT_EQ(s.skip, 1);
  EXPECT_EQ(s.total(), 4);
  EXPECT_EQ(s.status(), "fail");
  Report warned;
  warned.add("a", "g", Status::warn, "w");
  EXPECT_EQ(warned.summary().status(), "warn");
  EXPECT_EQ(Report().summary().status(), "pass");
}

TEST(Report, TextGroupsChecksWithMarksHintsAndAVerdict) {
  const Style plain{false};
  const std::string words = sample().render(Format::text, plain, false);
  EXPECT_NE(words.find("env\n  PASS env-jwt-secret  JWT_SECRET is set\n"), std::string::npos) << words;
  EXPECT_NE(words.find("  WARN env-cors        CORS_ORIGIN is *\n"), std::string::npos) << words;
  EXPECT_NE(words.find("hint: name the origins"), std::string::npos) << words;
  EXPECT_NE(words.find("  SKIP header-csp [Content-Security-Policy]  configured off"), std::string::npos) << words;
  EXPECT_NE(words.find("\ncheck: FAILED: 1 passed, 1 warning, 1 failed, 1 skipped\n"), std::string::npos) << words;
  const std::string glyphs = sample().render(Format::text, plain, true);
  EXPECT_NE(glyphs.find("  ✗ git-pushed"), std::string::npos) << glyphs;
}

TEST(Report, JsonReadsBackAsTheSameReport) {
  Report r = sample();
  r.extra()["snapshot_id"] = 7;
  auto back = Report::from_json(r.to_json(), "check", "section");
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ(back->checks().size(), 4U);
  EXPECT_EQ(back->checks()[1].hint, "name the origins");
  EXPECT_EQ(back->checks()[3].subject, "Content-Security-Policy");
  EXPECT_EQ(back->checks()[3].status, Status::skip);
  EXPECT_EQ(back->extra().at("snapshot_id").as_int64(), 7);
  EXPECT_EQ(back->render(Format::json, Style{false}), r.render(Format::json, Style{false}));
  EXPECT_EQ(r.to_json().at("checks").as_array()[0].as_object().at("section").as_string(), "env");
}

TEST(Report, WhatIsNotAReportIsRefusedNamingWhy) {
  EXPECT_FALSE(Report::from_json(json::value(nullptr)));
  auto no_checks = Report::from_json(json::parse(R"({"summary":{"pass":3}})"));
  ASSERT_FALSE(no_checks);
  EXPECT_NE(no_checks.error().message.find("checks"), std::string::npos);
  // A report read with the wrong group key: verify's "part" is not check's "section".
  auto renamed = Report::from_json(json::parse(R"({"checks":[{"id":"a","part":"g","status":"pass","message":""}]})"),
                                   "check", "section");
  ASSERT_FALSE(renamed);
  EXPECT_NE(renamed.error().message.find("section"), std::string::npos);
  auto status = Report::from_json(json::parse(R"({"checks":[{"id":"a","part":"g","status":"ok","message":""}]})"));
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("\"ok\""), std::string::npos);
}

TEST(Report, JunitAndMarkdownCarryEveryCheck) {
  const Report r = sample();
  const std::string junit = r.render(Format::junit, Style{false});
  EXPECT_NE(junit.find("<testsuite name=\"slipway check git\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"1\""),
            std::string::npos)
      << junit;
  EXPECT_NE(junit.find("<failure message=\"2 commits not pushed\" type=\"git-pushed\">hint: git push</failure>"),
            std::string::npos)
      << junit;
  const std::string md = r.render(Format::markdown, Style{false});
  EXPECT_NE(md.find("### slipway check: failed"), std::string::npos) << md;
  EXPECT_NE(md.find("| ❌ fail | git | `git-pushed` |  | 2 commits not pushed (hint: git push) |"), std::string::npos)
      << md;
}

TEST(Report, DropRemovesSkippedIds) {
  Report r = sample();
  r.drop({"git-pushed", "nope"});
  EXPECT_EQ(r.find("git-pushed"), nullptr);
  EXPECT_EQ(r.checks().size(), 3U);
  EXPECT_EQ(r.first_failure(), nullptr);
}

}  // namespace
}  // namespace slipway::report
