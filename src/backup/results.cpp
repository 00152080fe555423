#include "backup/results.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include "core/json_fields.hpp"

namespace slipway::backup {

namespace json = boost::json;

namespace {

Error not_a(std::string_view what, const JsonFields& f) {
  return Error::input(fmt::format("not the JSON of {}: '{}' is missing or has the wrong type", what, f.missing()));
}

}  // namespace

json::array table_checks_json(const std::vector<TableCheck>& tables) {
  json::array out;
  for (const auto& t : tables)
    out.push_back(json::object{{"name", t.name}, {"expected", t.expected}, {"actual", t.actual}});
  return out;
}

Created Created::of(const Manifest& m, std::string archive, const VerifyOutcome* verified) {
  Created c;
  c.id = m.id;
  c.label = m.label;
  c.created_at = m.created_at;
  c.database = m.database;
  c.duration_ms = m.duration_ms;
  c.dump_bytes = m.dump_bytes;
  c.archive_bytes = m.archive_bytes;
  c.archive = std::move(archive);
  c.sha256 = m.archive_sha256;
  c.encrypted = m.encrypted();
  c.tables = m.tables.size();
  c.rows = m.total_rows();
  c.pg_dump = m.pg_dump_path;
  if (verified) {
    c.verification = verified->ok() ? "ok" : "corrupt";
    c.verification_failure = verified->failure;
  }
  return c;
}

json::object Created::to_json() const {
  json::object out{{"id", id},
                   {"label", label},
                   {"created_at", created_at},
                   {"database", database},
                   {"duration_ms", duration_ms},
                   {"dump_bytes", dump_bytes},
                   {"archive_bytes", archive_bytes},
                   {"archive", archive},
                   {"sha256", sha256},
                   {"encrypted", encrypted},
                   {"tables", tables},
                   {"rows", rows},
                   {"pg_dump", pg_dump}};
  if (verification) out["verification"] = json::object{{"status", *verification}, {"failure", verification_failure}};
  return out;
}

Result<Created> Created::from_json(const json::value& v) {
  JsonFields f(v.if_object());
  Created c;
  c.id = f.str("id");
  c.label = f.str("label");
  c.created_at = f.str("created_at");
  c.database = f.str("database");
  c.duration_ms = f.num("duration_ms");
  c.dump_bytes = f.count("dump_bytes");
  c.archive_bytes = f.count("archive_bytes");
  c.archive = f.str("archive");
  c.sha256 = f.str("sha256");
  c.encrypted = f.flag("encrypted");
  c.tables = f.count("tables");
  c.rows = f.count("rows");
  c.pg_dump = f.str("pg_dump");
  if (const json::object* verification = f.obj("verification", JsonFields::optional)) {
    JsonFields vf(verification);
    c.verification = vf.str("status");
    c.verification_failure = vf.str("failure");
    f.adopt(vf);
  }
  if (!f.missing().empty()) return fail(not_a("slipway backup create", f));
  return c;
}

Restored Restored::of(const RestoreOutcome& outcome) {
  Restored r;
  r.id = outcome.id;
  r.target = outcome.target;
  r.status = outcome.ok() ? "ok" : (outcome.corrupt ? "corrupt" : "failed");
  r.failure = outcome.failure;
  r.duration_ms = outcome.duration_ms;
  r.tables = outcome.tables;
  r.schema_matches = outcome.schema_matches;
  return r;
}

json::object Restored::to_json() const {
  json::object out{{"id", id},           {"target", target},           {"status", status},
                   {"failure", failure}, {"duration_ms", duration_ms}, {"tables", table_checks_json(tables)}};
  if (schema_matches) out["schema_matches"] = *schema_matches;
  return out;
}

Result<Restored> Restored::from_json(const json::value& v) {
  JsonFields f(v.if_object());
  Restored r;
  r.id = f.str("id");
  r.target = f.str("target");
  r.status = f.str("status");
  r.failure = f.str("failure");
  r.duration_ms = f.num("duration_ms");
  if (const json::array* tables = f.arr("tables")) {
    for (const json::value& t : *tables) {
      JsonFields tf(t.if_object());
      r.tables.push_back({tf.str("name"), tf.count("expected"), tf.count("actual")});
      f.adopt(tf);
    }
  }
  if (const json::object* o = v.if_object(); o && o->contains("schema_matches"))
    r.schema_matches = f.flag("schema_matches");
  if (!f.missing().empty()) return fail(not_a("slipway backup restore", f));
  return r;
}

}  // namespace slipway::backup
