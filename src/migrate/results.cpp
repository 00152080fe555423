#include "migrate/results.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include "core/json_fields.hpp"

namespace slipway::migrate {

namespace json = boost::json;

namespace {

Error not_a(std::string_view command, const JsonFields& f) {
  return Error::input(
      fmt::format("not the JSON of slipway migrate {}: '{}' is missing or has the wrong type", command, f.missing()));
}

}  // namespace

Result<PlanDigest> PlanDigest::from_json(const json::value& v) {
  JsonFields f(v.if_object());
  PlanDigest d;
  JsonFields summary = f.nested(f.obj("summary"));
  d.migrations = summary.num("migrations");
  d.statements = summary.num("statements");
  d.review = summary.num("review");
  d.dangerous = summary.num("dangerous");
  f.adopt(summary);
  if (const json::array* migrations = f.arr("migrations")) {
    for (const json::value& m : *migrations) {
      JsonFields mf(m.if_object());
      if (const json::array* statements = mf.arr("statements")) {
        for (const json::value& st : *statements) {
          JsonFields sf(st.if_object());
          const std::string verdict = sf.str("verdict");
          const json::array* findings = sf.arr("findings");
          if (verdict == "dangerous" && d.first_dangerous.empty() && findings && !findings->empty()) {
            JsonFields finding(findings->front().if_object());
            d.first_dangerous = finding.str("message");
            sf.adopt(finding);
          }
          mf.adopt(sf);
        }
      }
      f.adopt(mf);
    }
  }
  if (!f.missing().empty()) return fail(not_a("plan", f));
  return d;
}

Result<ApplyDigest> ApplyDigest::from_json(const json::value& v) {
  JsonFields f(v.if_object());
  ApplyDigest d;
  d.status = f.str("status");
  d.message = f.str("message", JsonFields::optional);
  if (const json::array* migrations = f.arr("migrations")) {
    for (const json::value& m : *migrations) {
      JsonFields mf(m.if_object());
      const std::string name = mf.str("name");
      if (mf.str("outcome") == "committed") d.committed.push_back(name);
      f.adopt(mf);
    }
  }
  if (!f.missing().empty()) return fail(not_a("apply", f));
  return d;
}

Result<StatusDigest> StatusDigest::from_json(const json::value& v) {
  JsonFields f(v.if_object());
  StatusDigest d;
  JsonFields summary = f.nested(f.obj("summary"));
  d.applied = summary.num("applied");
  d.pending = summary.num("pending");
  f.adopt(summary);
  if (const json::array* migrations = f.arr("migrations")) {
    for (const json::value& m : *migrations) {
      JsonFields mf(m.if_object());
      const std::string name = mf.str("name");
      if (mf.str("state") == "applied") d.last_applied = name;
      f.adopt(mf);
    }
  }
  if (!f.missing().empty()) return fail(not_a("status", f));
  return d;
}

}  // namespace slipway::migrate
