// The SQL front end: a migration file, split into statements with exact positions and parsed
// by libpg_query (the real PostgreSQL parser).
//
// A file is parsed whole in one call. When that fails, the file is split with the scanner and
// each statement is parsed alone, so one syntax error costs one statement, not the file:
//
//   CREATE TABLE a (id int);      -- parsed, linted
//   ALTER TABLE a ADD COLUMN;     -- SyntaxError at 2:25 "syntax error at or near ";""
//   DROP TABLE a;                 -- parsed, linted
//
// Comments are kept only when the file mentions "slipway:" (the suppression directives), so the
// common file costs one parse and nothing more.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/source.hpp"
#include "sql/tree.hpp"

namespace slipway::sql {

struct Statement {
  std::size_t offset = 0;      // byte offset of the first token in the file
  std::size_t end = 0;         // byte offset just past the statement (before the ';')
  Position pos;                // position of the first token
  const Node* node = nullptr;  // the parse tree
  std::size_t tree_base = 0;   // add to a node's `location` to get a file offset
};

struct SyntaxError {
  std::size_t offset = 0;
  Position pos;
  std::string message;  // PostgreSQL's message, e.g. syntax error at or near "COLUMN"
};

struct Comment {
  std::size_t offset = 0;
  std::size_t end = 0;
  Position pos;
  std::string_view text;  // without the "--" or "/* */" markers, trimmed
};

class ParsedFile {
 public:
  // Parses `text`; never fails: problems are in errors().
  static ParsedFile parse(std::string text);

  ParsedFile(ParsedFile&&) noexcept;
  ParsedFile& operator=(ParsedFile&&) noexcept;
  ~ParsedFile();

  [[nodiscard]] const std::string& text() const { return *text_; }
  [[nodiscard]] std::span<const Statement> statements() const { return statements_; }
  [[nodiscard]] const std::vector<SyntaxError>& errors() const { return errors_; }
  [[nodiscard]] const std::vector<Comment>& comments() const { return comments_; }
  [[nodiscard]] const LineIndex& lines() const { return *lines_; }

  [[nodiscard]] std::string_view source(const Statement& s) const {
    return std::string_view(*text_).substr(s.offset, s.end - s.offset);
  }
  // The file offset of a node location inside statement `s` (-1 locations map to the statement).
  [[nodiscard]] std::size_t offset_of(const Statement& s, int location) const {
    return location < 0 ? s.offset : s.tree_base + static_cast<std::size_t>(location);
  }

 private:
  ParsedFile() = default;
  struct Trees;

  // On the heap, so that the views into it (lines_, comments_) survive moving the ParsedFile:
  // a short std::string keeps its bytes inside the object (SSO), and would move them.
  std::unique_ptr<const std::string> text_;
  std::unique_ptr<LineIndex> lines_;
  std::vector<Statement> statements_;
  std::vector<SyntaxError> errors_;
  std::vector<Comment> comments_;
  std::unique_ptr<Trees> trees_;
};

// A token of PostgreSQL's scanner: byte range in the scanned text, kind, and keyword class.
struct Token {
  std::size_t start = 0;
  std::size_t end = 0;
  PgQuery__Token token = PG_QUERY__TOKEN__NUL;
  PgQuery__KeywordKind keyword_kind = PG_QUERY__KEYWORD_KIND__NO_KEYWORD;
};

// Every token of `text`, comments included; empty when the scanner fails (an unterminated quote).
std::vector<Token> scan(std::string_view text);

// The byte offset of the first token at or after `offset`, skipping whitespace and comments.
std::size_t skip_trivia(std::string_view text, std::size_t offset);

}  // namespace slipway::sql
