// Output for CI: GitHub workflow annotations and a Markdown table for a pull-request comment.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/render.hpp"

namespace slipway::lint {
namespace {

// Workflow command escaping (actions/toolkit's command.ts): data escapes % CR LF, properties
// also ':' and ','.
std::string escape_data(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '%')
      out += "%25";
    else if (c == '\r')
      out += "%0D";
    else if (c == '\n')
      out += "%0A";
    else
      out += c;
  }
  return out;
}

std::string escape_property(std::string_view s) {
  std::string out;
  for (char c : escape_data(s)) {
    if (c == ':')
      out += "%3A";
    else if (c == ',')
      out += "%2C";
    else
      out += c;
  }
  return out;
}

std::string_view badge(Verdict v) {
  switch (v) {
    case Verdict::dangerous: return "🔴 dangerous";
    case Verdict::review: return "🟡 review";
    case Verdict::safe: return "🟢 safe";
  }
  return "";
}

}  // namespace

std::string render_github(const std::vector<FileReport>& files) {
  std::string out;
  for (const FileReport& file : files) {
    for (const sql::SyntaxError& e : file.errors) {
      out += fmt::format("::error file={},line={},col={},title={}::{}\n", escape_property(file.path), e.pos.line,
                         e.pos.column, escape_property("slipway: syntax error"), escape_data(e.message));
    }
    for (const StatementReport& s : file.statements) {
      for (const Finding& f : s.findings) {
        if (f.suppressed || f.verdict == Verdict::safe) continue;
        const Position pos = finding_position(file, f);
        out += fmt::format("::{} file={},line={},col={},title={}::{}\n",
                           f.verdict == Verdict::dangerous ? "error" : "warning", escape_property(file.path), pos.line,
                           pos.column, escape_property(fmt::format("slipway {} ({})", f.rule, to_string(f.verdict))),
                           escape_data(f.hint.empty() ? f.message : f.message + "\n" + f.hint));
      }
    }
  }
  const Summary sum = summarize(files);
  out += fmt::format("slipway lint: {} safe, {} review, {} dangerous, {} errors\n", sum.safe, sum.review, sum.dangerous,
                     sum.errors);
  return out;
}

std::string render_markdown(const std::vector<FileReport>& files, const RenderOptions& options) {
  const Summary sum = summarize(files);
  std::string out = "### Slipway migration review\n\n";
  out +=
      fmt::format("**{}** — {} dangerous, {} review, {} safe", badge(sum.worst()), sum.dangerous, sum.review, sum.safe);
  if (sum.errors) out += fmt::format(", {} syntax error{}", sum.errors, sum.errors == 1 ? "" : "s");
  out += fmt::format(" in {} file{}\n\n", files.size(), files.size() == 1 ? "" : "s");
  std::string rows;
  for (const FileReport& file : files) {
    for (const sql::SyntaxError& e : file.errors) {
      rows += fmt::format("| ❌ syntax error | `{}` | | {} |\n", format_location(file.path, e.pos),
                          markdown_cell(e.message));
    }
    for (const StatementReport& s : file.statements) {
      if (!listed(s, options)) continue;
      std::string notes;
      for (const Finding& f : s.findings) {
        if (!notes.empty()) notes += "<br>";
        notes += fmt::format("{}**{}** ({}): {}", f.suppressed ? "~~" : "", f.rule,
                             f.suppressed ? "ignored" : to_string(f.verdict), markdown_cell(f.message));
        if (f.suppressed) notes += "~~ " + markdown_cell(f.suppression_reason);
        if (!f.hint.empty() && !f.suppressed) notes += "<br>&nbsp;&nbsp;↳ _" + markdown_cell(f.hint) + "_";
      }
      const std::string lock = s.lock.mode == LockMode::none
                                   ? std::string("—")
                                   : fmt::format("{} (blocks {})", to_string(s.lock.mode), blocked_by(s.lock.mode));
      rows += fmt::format("| {} | `{}`<br>`{}` | {} | {} |\n", badge(s.verdict), format_location(file.path, s.pos),
                          markdown_cell(headline(s.sql, 60)), lock, notes);
    }
  }
  if (!rows.empty()) out += "| Verdict | Statement | Lock | Findings |\n|---|---|---|---|\n" + rows;
  return out;
}

}  // namespace slipway::lint
