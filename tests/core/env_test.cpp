#include <cstdlib>

#include <gtest/gtest.h>

#include "core/env.hpp"

namespace slipway {
namespace {

TEST(Env, ExpandsVariablesDefaultsAndEscapes) {
  Environment env({{"HOST", "db"}, {"EMPTY", ""}}, /*use_process_env=*/false);
  EXPECT_EQ(expand_variables("postgresql://${HOST}/x", env)->value, "postgresql://db/x");
  EXPECT_EQ(expand_variables("${MISSING:-fallback}", env)->value, "fallback");
  EXPECT_EQ(expand_variables("${EMPTY:-fallback}", env)->value, "fallback");
  EXPECT_EQ(expand_variables("cost $$5 and p$ss", env)->value, "cost $5 and p$ss");
  auto missing = expand_variables("${A}-${HOST}-${B}", env);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->value, "-db-");
  EXPECT_EQ(missing->missing, (std::vector<std::string>{"A", "B"}));
}

TEST(Env, ReportsMalformedReferencesWithOffset) {
  Environment env({}, false);
  std::size_t offset = 99;
  auto r = expand_variables("abc${HOST", env, &offset);
  ASSERT_FALSE(r);
  EXPECT_EQ(offset, 3u);
  EXPECT_FALSE(expand_variables("${1BAD}", env));
}

// `${A:-${B}}` used to take "${B" as the fallback and leave the "}" in the value.
TEST(Env, NestedDefaultsExpandRecursively) {
  Environment env({{"B", "b"}, {"EMPTY", ""}, {"A", "a"}}, false);
  EXPECT_EQ(expand_variables("${UNSET:-${B}}", env)->value, "b");
  EXPECT_EQ(expand_variables("${EMPTY:-${B}}!", env)->value, "b!");
  EXPECT_EQ(expand_variables("${A:-${B}}", env)->value, "a");
  EXPECT_EQ(expand_variables("${UNSET:-x${UNSET2:-${B}y}z}", env)->value, "xbyz");
  EXPECT_EQ(expand_variables("${UNSET:-$${B}}", env)->value, "${B}");
  EXPECT_EQ(expand_variables("${UNSET:-a}b}", env)->value, "ab}");
  // A fallback that is not used is not looked at: its unset variables are not missing.
  auto unused = expand_variables("${A:-${NOPE}}", env);
  ASSERT_TRUE(unused);
  EXPECT_TRUE(unused->missing.empty());
  auto missing = expand_variables("${UNSET:-${NOPE}}", env);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->value, "");
  EXPECT_EQ(missing->missing, (std::vector<std::string>{"NOPE"}));
}

TEST(Env, UnterminatedOrTooDeepNestedDefaultsAreErrorsWithOffset) {
  Environment env({}, false);
  std::size_t offset = 99;
  auto open = expand_variables("x${A:-${B}", env, &offset);
  ASSERT_FALSE(open);
  EXPECT_EQ(offset, 1u);
  auto inner = expand_variables("${A:-${1B}}", env, &offset);
  ASSERT_FALSE(inner);
  EXPECT_EQ(offset, 5u);
  std::string deep;
  for (int i = 0; i < 50'000; ++i) deep += "${A:-";
  deep += "x";
  for (int i = 0; i < 50'000; ++i) deep += "}";
  auto too_deep = expand_variables(deep, env, &offset);
  ASSERT_FALSE(too_deep);
  EXPECT_NE(too_deep.error().message.find("nested"), std::string::npos) << too_deep.error().message;
  std::string ok;
  for (int i = 0; i < 16; ++i) ok += "${A:-";
  ok += "x";
  for (int i = 0; i < 16; ++i) ok += "}";
  EXPECT_EQ(expand_variables(ok, env)->value, "x");
}

TEST(Env, ProcessEnvironmentWinsOverTheFile) {
  setenv("SLIPWAY_TEST_VAR", "from-process", 1);
  Environment env({{"SLIPWAY_TEST_VAR", "from-file"}, {"ONLY_FILE", "f"}});
  EXPECT_EQ(env.get("SLIPWAY_TEST_VAR"), "from-process");
  EXPECT_EQ(env.get("ONLY_FILE"), "f");
  unsetenv("SLIPWAY_TEST_VAR");
}

TEST(EnvFile, ParsesTheCommonDialect) {
  auto values = parse_env_file(
      "# comment\n"
      "export DATABASE_URL=postgresql://u:p@h/db\n"
      "JWT_SECRET='single $quoted # not a comment'\n"
      "MULTI=\"a\\nb\"\n"
      "PLAIN = value # trailing comment\n"
      "\n"
      "EMPTY=\n",
      ".env");
  ASSERT_TRUE(values) << values.error().render();
  EXPECT_EQ(values->at("DATABASE_URL"), "postgresql://u:p@h/db");
  EXPECT_EQ(values->at("JWT_SECRET"), "single $quoted # not a comment");
  EXPECT_EQ(values->at("MULTI"), "a\nb");
  EXPECT_EQ(values->at("PLAIN"), "value");
  EXPECT_EQ(values->at("EMPTY"), "");
}

TEST(EnvFile, ErrorsNameFileLineAndColumn) {
  auto r = parse_env_file("A=1\nB 2\n", "prod.env");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().where, "prod.env:2:3");
  auto q = parse_env_file("A=\"open\n", "x.env");
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().where, "x.env:1:3");
  auto n = parse_env_file("1A=x\n", "x.env");
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().where, "x.env:1:1");
}

}  // namespace
}  // namespace slipway
