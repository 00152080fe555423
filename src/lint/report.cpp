#include "lint/report.hpp"

#include "lint/render.hpp"

namespace slipway::lint {

Summary summarize(const std::vector<FileReport>& files) {
  Summary s;
  for (const FileReport& f : files) {
    s.errors += static_cast<int>(f.errors.size()) + (f.read_error.empty() ? 0 : 1);
    for (const StatementReport& st : f.statements) {
      switch (st.verdict) {
        case Verdict::safe: ++s.safe; break;
        case Verdict::review: ++s.review; break;
        case Verdict::dangerous: ++s.dangerous; break;
      }
      for (const Finding& fi : st.findings) s.suppressed += fi.suppressed ? 1 : 0;
    }
  }
  return s;
}

bool listed(const StatementReport& s, const RenderOptions& options) {
  if (options.show_safe) return true;
  if (s.findings.empty()) return false;
  if (options.show_advice || s.verdict != Verdict::safe) return true;
  // Directive problems (unused or unexplained ignores) and ignored findings are always shown.
  for (const Finding& f : s.findings) {
    if (f.suppressed || f.rule == "unused-ignore" || f.rule == "ignore-without-reason" || f.rule == "unknown-rule" ||
        f.rule == "ignore-without-rule") {
      return true;
    }
  }
  return false;
}

std::string render(const std::vector<FileReport>& files, const RenderOptions& options) {
  switch (options.format) {
    case Format::json: return render_json(files);
    case Format::sarif: return render_sarif(files);
    case Format::github: return render_github(files);
    case Format::markdown: return render_markdown(files, options);
    default: return render_text(files, options);
  }
}

}  // namespace slipway::lint
