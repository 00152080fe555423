#include "sql/parse.hpp"

#include <cctype>

#include <pg_query.h>

namespace slipway::sql {

// Owns the unpacked protobuf trees (one for the whole file, or one per statement after a
// syntax error) and frees them together.
struct ParsedFile::Trees {
  std::vector<PgQuery__ParseResult*> results;
  ~Trees() {
    for (auto* r : results) pg_query__parse_result__free_unpacked(r, nullptr);
  }
};

ParsedFile::ParsedFile(ParsedFile&&) noexcept = default;
ParsedFile& ParsedFile::operator=(ParsedFile&&) noexcept = default;
ParsedFile::~ParsedFile() = default;

std::size_t skip_trivia(std::string_view text, std::size_t i) {
  while (i < text.size()) {
    const char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '-' && i + 1 < text.size() && text[i + 1] == '-') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      int depth = 1;  // PostgreSQL's block comments nest
      i += 2;
      while (i < text.size() && depth > 0) {
        if (text[i] == '/' && i + 1 < text.size() && text[i + 1] == '*') {
          ++depth;
          i += 2;
        } else if (text[i] == '*' && i + 1 < text.size() && text[i + 1] == '/') {
          --depth;
          i += 2;
        } else {
          ++i;
        }
      }
    } else {
      break;
    }
  }
  return i;
}

namespace {

struct RawParse {
  PgQuery__ParseResult* tree = nullptr;
  std::string error;
  int cursor = 0;  // 1-based offset of the error in the input, 0 if unknown
};

RawParse parse_text(const std::string& input) {
  RawParse out;
  PgQueryProtobufParseResult r = pg_query_parse_protobuf(input.c_str());
  if (r.error) {
    out.error = r.error->message;
    out.cursor = r.error->cursorpos;
  } else {
    out.tree =
        pg_query__parse_result__unpack(nullptr, r.parse_tree.len, reinterpret_cast<const uint8_t*>(r.parse_tree.data));
    if (!out.tree) out.error = "cannot read the parser's output";
  }
  pg_query_free_protobuf_parse_result(r);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::vector<Token> scan(std::string_view text) {
  std::vector<Token> out;
  const std::string input(text);  // the scanner wants a NUL-terminated string
  PgQueryScanResult result = pg_query_scan(input.c_str());
  if (!result.error) {
    PgQuery__ScanResult* tokens =
        pg_query__scan_result__unpack(nullptr, result.pbuf.len, reinterpret_cast<const uint8_t*>(result.pbuf.data));
    if (tokens) {
      out.reserve(tokens->n_tokens);
      for (std::size_t i = 0; i < tokens->n_tokens; ++i) {
        const PgQuery__ScanToken* t = tokens->tokens[i];
        out.push_back(
            {static_cast<std::size_t>(t->start), static_cast<std::size_t>(t->end), t->token, t->keyword_kind});
      }
      pg_query__scan_result__free_unpacked(tokens, nullptr);
    }
  }
  pg_query_free_scan_result(result);
  return out;
}

ParsedFile ParsedFile::parse(std::string text) {
  ParsedFile f;
  f.text_ = std::make_unique<const std::string>(std::move(text));
  f.lines_ = std::make_unique<LineIndex>(*f.text_);
  f.trees_ = std::make_unique<Trees>();
  const std::string_view all(*f.text_);

  // Adds the statements of one parse of all[base, base + input size).
  const auto add_statements = [&f, all](PgQuery__ParseResult* tree, std::size_t base, std::size_t limit) {
    f.trees_->results.push_back(tree);
    for (std::size_t i = 0; i < tree->n_stmts; ++i) {
      const PgQuery__RawStmt* raw = tree->stmts[i];
      const std::size_t start = base + static_cast<std::size_t>(raw->stmt_location);
      const std::size_t end = raw->stmt_len == 0 ? limit : start + static_cast<std::size_t>(raw->stmt_len);
      Statement s;
      s.offset = skip_trivia(all, start);
      s.end = end;
      while (s.end > s.offset && std::isspace(static_cast<unsigned char>(all[s.end - 1]))) --s.end;
      s.pos = f.lines_->position(s.offset);
      s.node = raw->stmt;
      s.tree_base = base;
      f.statements_.push_back(s);
    }
  };

  RawParse whole = parse_text(*f.text_);
  if (whole.tree) {
    add_statements(whole.tree, 0, all.size());
  } else {
    // Split with the scanner and parse each statement alone.
    PgQuerySplitResult split = pg_query_split_with_scanner(f.text_->c_str());
    if (split.error) {
      const std::size_t at = whole.cursor > 0 ? static_cast<std::size_t>(whole.cursor - 1) : 0;
      f.errors_.push_back({at, f.lines_->position(at), whole.error});
    } else {
      for (int i = 0; i < split.n_stmts; ++i) {
        const std::size_t start = static_cast<std::size_t>(split.stmts[i]->stmt_location);
        const std::size_t len = static_cast<std::size_t>(split.stmts[i]->stmt_len);
        const std::string piece = f.text_->substr(start, len);
        RawParse one = parse_text(piece);
        if (one.tree) {
          add_statements(one.tree, start, start + len);
        } else {
          const std::size_t at =
              one.cursor > 0 ? start + static_cast<std::size_t>(one.cursor - 1) : skip_trivia(all, start);
          f.errors_.push_back({at, f.lines_->position(at), one.error});
        }
      }
    }
    pg_query_free_split_result(split);
    // The whole text did not parse, so something is wrong even when every piece the scanner cut
    // parsed alone (it can cut a broken statement away: "CREATE TABLE (;" gave no piece at all).
    if (f.errors_.empty()) {
      const std::size_t at = whole.cursor > 0 ? static_cast<std::size_t>(whole.cursor - 1) : 0;
      f.errors_.push_back({at, f.lines_->position(at), whole.error});
    }
  }

  if (all.find("slipway:") != std::string_view::npos) {
    for (const Token& t : scan(all)) {
      if (t.token != PG_QUERY__TOKEN__SQL_COMMENT && t.token != PG_QUERY__TOKEN__C_COMMENT) continue;
      std::string_view body = all.substr(t.start, t.end - t.start);
      if (t.token == PG_QUERY__TOKEN__SQL_COMMENT) {
        body.remove_prefix(2);
      } else if (body.size() >= 4) {
        body = body.substr(2, body.size() - 4);
      }
      f.comments_.push_back({t.start, t.end, f.lines_->position(t.start), trim(body)});
    }
  }
  return f;
}

}  // namespace slipway::sql
