// Machine output: Slipway's JSON document (DESIGN.md's public contract) and SARIF 2.1.0.
#include <boost/json.hpp>

#include "core/output.hpp"
#include "lint/helpers.hpp"
#include "lint/registry.hpp"
#include "lint/render.hpp"

namespace slipway::lint {
namespace json = boost::json;
namespace {

json::value lock_value(const LockInfo& lock) {
  if (lock.mode == LockMode::none) return nullptr;
  return json::string(to_string(lock.mode));
}

std::string_view sarif_level(Verdict v) {
  switch (v) {
    case Verdict::dangerous: return "error";
    case Verdict::review: return "warning";
    case Verdict::safe: return "note";
  }
  return "note";
}

json::object sarif_location(const std::string& path, Position pos) {
  return {
      {"physicalLocation",
       {{"artifactLocation", {{"uri", path}}}, {"region", {{"startLine", pos.line}, {"startColumn", pos.column}}}}}};
}

}  // namespace

std::string render_json(const std::vector<FileReport>& files) {
  json::array jfiles;
  for (const FileReport& file : files) {
    json::array statements;
    for (const StatementReport& s : file.statements) {
      json::array tables;
      for (const std::string& t : s.tables) tables.emplace_back(display_name(t));
      json::array findings;
      for (const Finding& f : s.findings) {
        const Position pos = finding_position(file, f);
        json::object jf{{"rule", f.rule},       {"verdict", to_string(f.verdict)},
                        {"message", f.message}, {"hint", f.hint},
                        {"line", pos.line},     {"column", pos.column}};
        if (f.suppressed) {
          jf["suppressed"] = true;
          jf["reason"] = f.suppression_reason;
        }
        findings.emplace_back(std::move(jf));
      }
      statements.emplace_back(json::object{{"line", s.pos.line},
                                           {"column", s.pos.column},
                                           {"sql", s.sql},
                                           {"verdict", to_string(s.verdict)},
                                           {"lock", lock_value(s.lock)},
                                           {"blocks", blocked_by(s.lock.mode)},
                                           {"tables", std::move(tables)},
                                           {"findings", std::move(findings)}});
    }
    json::array errors;
    for (const sql::SyntaxError& e : file.errors) {
      errors.emplace_back(json::object{{"line", e.pos.line}, {"column", e.pos.column}, {"message", e.message}});
    }
    if (!file.read_error.empty())
      errors.emplace_back(json::object{{"line", 0}, {"column", 0}, {"message", file.read_error}});
    jfiles.emplace_back(
        json::object{{"path", file.path}, {"statements", std::move(statements)}, {"errors", std::move(errors)}});
  }
  const Summary sum = summarize(files);
  json::object doc{{"files", std::move(jfiles)},
                   {"summary",
                    {{"safe", sum.safe},
                     {"review", sum.review},
                     {"dangerous", sum.dangerous},
                     {"errors", sum.errors},
                     {"suppressed", sum.suppressed}}}};
  return json_text(doc) + "\n";
}

std::string render_sarif(const std::vector<FileReport>& files) {
  json::array rules;
  for (const Rule& r : all_rules()) {
    rules.emplace_back(json::object{{"id", r.id},
                                    {"shortDescription", {{"text", r.summary}}},
                                    {"help", {{"text", "see docs/rules/" + std::string(r.id) + ".md"}}}});
  }
  json::array results;
  for (const FileReport& file : files) {
    for (const sql::SyntaxError& e : file.errors) {
      results.emplace_back(json::object{{"ruleId", "syntax-error"},
                                        {"level", "error"},
                                        {"message", {{"text", e.message}}},
                                        {"locations", json::array{sarif_location(file.path, e.pos)}}});
    }
    for (const StatementReport& s : file.statements) {
      for (const Finding& f : s.findings) {
        json::object r{{"ruleId", f.rule},
                       {"level", sarif_level(f.verdict)},
                       {"message", {{"text", f.hint.empty() ? f.message : f.message + ". " + f.hint}}},
                       {"locations", json::array{sarif_location(file.path, finding_position(file, f))}}};
        if (f.suppressed) {
          r["suppressions"] = json::array{json::object{{"kind", "inSource"}, {"justification", f.suppression_reason}}};
        }
        results.emplace_back(std::move(r));
      }
    }
  }
  json::object doc{
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs", json::array{json::object{{"tool", {{"driver", {{"name", "slipway"}, {"rules", std::move(rules)}}}}},
                                        {"results", std::move(results)}}}}};
  return json_text(doc) + "\n";
}

}  // namespace slipway::lint
