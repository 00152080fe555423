// What a lint run found, per file and per statement, and the renderers that print it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/output.hpp"
#include "lint/rule.hpp"

namespace slipway::lint {

struct StatementReport {
  std::size_t offset = 0;
  Position pos;
  std::string sql;
  Verdict verdict = Verdict::safe;
  LockInfo lock;
  std::vector<std::string> tables;
  std::vector<Finding> findings;
};

struct FileReport {
  std::string path;
  std::shared_ptr<const sql::ParsedFile> parsed;  // for carets; null when unreadable
  std::vector<StatementReport> statements;
  std::vector<sql::SyntaxError> errors;
  std::string read_error;  // set when the file could not be read
};

struct Summary {
  int safe = 0;
  int review = 0;
  int dangerous = 0;
  int errors = 0;  // syntax errors and unreadable files
  int suppressed = 0;

  [[nodiscard]] Verdict worst() const {
    return dangerous ? Verdict::dangerous : review ? Verdict::review : Verdict::safe;
  }
};

Summary summarize(const std::vector<FileReport>& files);

struct RenderOptions {
  Format format = Format::text;
  Style style{false};
  bool show_safe = false;   // text/markdown: also list statements without findings
  bool show_advice = true;  // text/markdown: list statements whose findings are all advice (verdict safe)
};

// Whether a text or Markdown report lists this statement.
bool listed(const StatementReport& s, const RenderOptions& options);

// The whole report in the chosen format (text, json, sarif, github, markdown).
std::string render(const std::vector<FileReport>& files, const RenderOptions& options);

}  // namespace slipway::lint
