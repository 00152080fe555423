// The text report: one block per statement that has findings, a caret under each finding,
// and a summary line.
//
//   prisma/migrations/3_x/migration.sql:2:1: dangerous  ALTER TABLE "members" DROP COLUMN "legacy_code"
//       lock: ACCESS EXCLUSIVE on members (blocks reads and writes)
//     dangerous [ban-drop-column] dropping members.legacy_code deletes its data
//        2 | ALTER TABLE "members" DROP COLUMN "legacy_code";
//          |                       ^
//       hint: stop reading the column in the code, deploy, then drop it in a later release
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/render.hpp"

namespace slipway::lint {
namespace {

Color color_of(Verdict v) {
  switch (v) {
    case Verdict::safe: return Color::green;
    case Verdict::review: return Color::yellow;
    case Verdict::dangerous: return Color::red;
  }
  return Color::green;
}

std::string caret_block(const FileReport& file, Position pos, const Style& style) {
  if (!file.parsed || pos.line <= 0) return {};
  const std::string_view line = file.parsed->lines().line_text(pos.line);
  const std::string number = fmt::format("{}", pos.line);
  std::string pad(number.size(), ' ');
  std::string out = fmt::format("     {} | {}\n", style.paint(Color::dim, number), line);
  std::string spaces;
  // Keep tabs so the caret lines up under tab-indented SQL.
  int col = 1;
  for (std::size_t i = 0; i < line.size() && col < pos.column; ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) == 0x80) continue;
    spaces += line[i] == '\t' ? '\t' : ' ';
    ++col;
  }
  out += fmt::format("     {} | {}{}\n", pad, spaces, style.paint(Color::red, "^"));
  return out;
}

}  // namespace

std::string headline(std::string_view sql, std::size_t width) {
  std::string_view first = sql.substr(0, sql.find('\n'));
  std::string out;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < first.size(); ++i) {
    if ((static_cast<unsigned char>(first[i]) & 0xC0) != 0x80) {
      if (chars == width) return out + "...";
      ++chars;
    }
    out += first[i];
  }
  if (first.size() < sql.size()) out += " ...";
  return out;
}

Position finding_position(const FileReport& file, const Finding& f) {
  return file.parsed ? file.parsed->lines().position(f.offset) : Position{};
}

std::string render_text(const std::vector<FileReport>& files, const RenderOptions& options) {
  const Style& style = options.style;
  std::string out;
  int statements = 0;
  int hidden_advice = 0;
  for (const FileReport& file : files) {
    if (!file.read_error.empty()) {
      out += fmt::format("{}: {}: {}\n", file.path, style.paint(Color::red, "error"), file.read_error);
      continue;
    }
    for (const sql::SyntaxError& e : file.errors) {
      out += fmt::format("{}: {}: {}\n", format_location(file.path, e.pos), style.paint(Color::red, "syntax error"),
                         e.message);
      out += caret_block(file, e.pos, style);
    }
    for (const StatementReport& s : file.statements) {
      ++statements;
      if (!listed(s, options)) {
        for (const Finding& f : s.findings) hidden_advice += f.verdict == Verdict::safe ? 1 : 0;
        continue;
      }
      out += fmt::format("{}: {}  {}\n", format_location(file.path, s.pos),
                         style.paint(color_of(s.verdict), to_string(s.verdict)), headline(s.sql));
      if (s.findings.empty()) continue;
      if (s.lock.mode != LockMode::none) {
        out += fmt::format("    lock: {}{} (blocks {})\n", to_string(s.lock.mode),
                           s.lock.table.empty() ? "" : " on " + display_name(s.lock.table), blocked_by(s.lock.mode));
      }
      for (const Finding& f : s.findings) {
        const std::string verdict = f.suppressed ? std::string("ignored") : std::string(to_string(f.verdict));
        out += fmt::format("  {} [{}] {}\n", style.paint(f.suppressed ? Color::dim : color_of(f.verdict), verdict),
                           style.paint(Color::bold, f.rule), f.message);
        out += caret_block(file, finding_position(file, f), style);
        if (!f.hint.empty()) out += fmt::format("    {} {}\n", style.paint(Color::cyan, "hint:"), f.hint);
        if (f.suppressed) out += fmt::format("    ignored: {}\n", f.suppression_reason);
      }
    }
  }
  const Summary sum = summarize(files);
  out += fmt::format("{} file{}, {} statement{}: {} safe, {} review, {} dangerous", files.size(),
                     files.size() == 1 ? "" : "s", statements, statements == 1 ? "" : "s",
                     style.paint(Color::green, fmt::format("{}", sum.safe)),
                     style.paint(Color::yellow, fmt::format("{}", sum.review)),
                     style.paint(Color::red, fmt::format("{}", sum.dangerous)));
  if (sum.errors) out += fmt::format(", {} error{}", sum.errors, sum.errors == 1 ? "" : "s");
  if (sum.suppressed) out += fmt::format(" ({} finding{} ignored)", sum.suppressed, sum.suppressed == 1 ? "" : "s");
  out += '\n';
  if (hidden_advice) {
    out += style.paint(Color::dim, fmt::format("{} advice finding{} on safe statements not shown (--all shows them)\n",
                                               hidden_advice, hidden_advice == 1 ? "" : "s"));
  }
  return out;
}

}  // namespace slipway::lint
