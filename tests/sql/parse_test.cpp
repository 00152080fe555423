#include <memory>

#include <gtest/gtest.h>

#include "sql/parse.hpp"

namespace slipway::sql {
namespace {

TEST(Parse, SplitsStatementsWithExactPositions) {
  auto f = ParsedFile::parse(
      "-- header\nCREATE TABLE a (id int);\n\n  /* c */ ALTER TABLE a\n  ADD COLUMN b text;\nSELECT 1");
  ASSERT_TRUE(f.errors().empty());
  ASSERT_EQ(f.statements().size(), 3u);
  EXPECT_EQ(f.statements()[0].pos.line, 2);
  EXPECT_EQ(f.statements()[0].pos.column, 1);
  EXPECT_EQ(f.source(f.statements()[0]), "CREATE TABLE a (id int)");
  EXPECT_EQ(f.statements()[1].pos.line, 4);
  EXPECT_EQ(f.statements()[1].pos.column, 11);
  EXPECT_EQ(f.source(f.statements()[1]), "ALTER TABLE a\n  ADD COLUMN b text");
  EXPECT_EQ(f.source(f.statements()[2]), "SELECT 1");
  EXPECT_EQ(f.statements()[1].node->node_case, PG_QUERY__NODE__NODE_ALTER_TABLE_STMT);
}

TEST(Parse, ColumnsCountCharactersNotBytes) {
  auto f = ParsedFile::parse("SELECT 'é'; SELECT 2;");
  ASSERT_EQ(f.statements().size(), 2u);
  EXPECT_EQ(f.statements()[1].pos.column, 13);
}

TEST(Parse, ASyntaxErrorCostsOneStatementNotTheFile) {
  auto f = ParsedFile::parse("CREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN;\nDROP TABLE a;\n");
  ASSERT_EQ(f.errors().size(), 1u);
  EXPECT_EQ(f.errors()[0].pos.line, 2);
  EXPECT_EQ(f.errors()[0].pos.column, 25);
  EXPECT_NE(f.errors()[0].message.find("syntax error"), std::string::npos);
  ASSERT_EQ(f.statements().size(), 2u);
  EXPECT_EQ(f.statements()[1].pos.line, 3);
  EXPECT_EQ(f.statements()[1].node->node_case, PG_QUERY__NODE__NODE_DROP_STMT);
}

TEST(Parse, UnterminatedStringIsReportedWhereItStarts) {
  auto f = ParsedFile::parse("SELECT 1;\nSELECT 'oops;\n");
  ASSERT_EQ(f.errors().size(), 1u);
  EXPECT_EQ(f.errors()[0].pos.line, 2);
}

TEST(Parse, DollarQuotedBodiesStayOneStatement) {
  auto f = ParsedFile::parse(
      "DO $$ BEGIN ALTER TABLE a ADD COLUMN x int; END $$;\nCREATE FUNCTION f() RETURNS int "
      "LANGUAGE sql AS $body$ SELECT 1; $body$;\n");
  ASSERT_TRUE(f.errors().empty());
  ASSERT_EQ(f.statements().size(), 2u);
  EXPECT_EQ(f.statements()[0].node->node_case, PG_QUERY__NODE__NODE_DO_STMT);
  EXPECT_EQ(f.statements()[1].node->node_case, PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT);
}

TEST(Parse, KeepsCommentsOnlyWhenTheFileHasDirectives) {
  auto plain = ParsedFile::parse("-- just a comment\nSELECT 1;");
  EXPECT_TRUE(plain.comments().empty());
  auto f = ParsedFile::parse("-- slipway:ignore ban-drop-table legacy\nDROP TABLE t; /* slipway:ignore x y */");
  ASSERT_EQ(f.comments().size(), 2u);
  EXPECT_EQ(f.comments()[0].text, "slipway:ignore ban-drop-table legacy");
  EXPECT_EQ(f.comments()[1].text, "slipway:ignore x y");
  EXPECT_EQ(f.comments()[1].pos.line, 2);
}

TEST(Parse, TypeNamesAreSpelledLikeFormatType) {
  auto f = ParsedFile::parse(
      "CREATE TABLE t (a int, b varchar(20), c timestamptz, d numeric(10,2), e text[], f \"Role\", g timestamp(3), h "
      "bigserial)");
  ASSERT_EQ(f.statements().size(), 1u);
  const auto& s = *f.statements()[0].node->create_stmt;
  std::vector<std::string> types;
  for (std::size_t i = 0; i < s.n_table_elts; ++i) types.push_back(type_string(s.table_elts[i]->column_def->type_name));
  EXPECT_EQ(types,
            (std::vector<std::string>{"integer", "character varying(20)", "timestamp with time zone", "numeric(10,2)",
                                      "text[]", "\"Role\"", "timestamp(3) without time zone", "bigserial"}));
}

// Found by sql_fuzzer ("-rule;J"): a text short enough for std::string's inline buffer moved
// with the ParsedFile, leaving the line index and comment views pointing at the old object.
TEST(Parse, ShortFileKeepsItsLinesAndCommentsAfterAMove) {
  auto first = std::make_unique<ParsedFile>(ParsedFile::parse("-rule;J"));
  ParsedFile moved = std::move(*first);
  first.reset();
  EXPECT_EQ(moved.lines().line_text(1), "-rule;J");
  auto with_comment = std::make_unique<ParsedFile>(ParsedFile::parse("--slipway:x\n"));
  ParsedFile moved_comment = std::move(*with_comment);
  with_comment.reset();
  ASSERT_EQ(moved_comment.comments().size(), 1u);
  EXPECT_EQ(moved_comment.comments()[0].text, "slipway:x");
}

TEST(Parse, EmptyAndCommentOnlyInputHasNoStatements) {
  EXPECT_TRUE(ParsedFile::parse("").statements().empty());
  EXPECT_TRUE(ParsedFile::parse("-- nothing\n/* at all */\n").statements().empty());
  EXPECT_TRUE(ParsedFile::parse("").errors().empty());
}

}  // namespace
}  // namespace slipway::sql

namespace slipway::sql {
namespace {

// Regression: the scanner cut "CREATE TABLE (;" away entirely, and the file came out as zero
// statements and zero errors, so lint, plan and apply saw nothing wrong.
TEST(Parse, AStatementTheScannerDropsIsStillAnError) {
  auto f = ParsedFile::parse("SELECT 1;\nCREATE TABLE (;\n");
  ASSERT_EQ(f.errors().size(), 1u);
  EXPECT_EQ(f.errors()[0].pos.line, 2);
  EXPECT_NE(f.errors()[0].message.find("syntax error"), std::string::npos);
}

}  // namespace
}  // namespace slipway::sql
