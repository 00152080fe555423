#include "backup/manifest.hpp"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "backup/pipeline.hpp"
#include "core/json_fields.hpp"
#include "core/time.hpp"

namespace slipway::backup {

namespace json = boost::json;

std::uint64_t Manifest::total_rows() const {
  std::uint64_t n = 0;
  for (const auto& t : tables) n += t.rows;
  return n;
}

std::string to_json(const Manifest& m) {
  json::array tables;
  for (const auto& t : m.tables) tables.push_back(json::object{{"name", t.name}, {"rows", t.rows}});
  json::object archive{{"name", m.archive},
                       {"bytes", m.archive_bytes},
                       {"sha256", m.archive_sha256},
                       {"compression", m.compression},
                       {"encryption", m.encrypted() ? json::value(m.encryption) : json::value(nullptr)},
                       {"key_fingerprint", m.encrypted() ? json::value(m.key_fingerprint) : json::value(nullptr)}};
  json::object out{
      {"format", m.format},
      {"id", m.id},
      {"created_at", m.created_at},
      {"label", m.label},
      {"duration_ms", m.duration_ms},
      {"database", json::object{{"name", m.database},
                                {"url", m.database_url},
                                {"server_version", m.server_version},
                                {"server_version_num", m.server_version_num},
                                {"snapshot", m.snapshot}}},
      {"pg_dump", json::object{{"path", m.pg_dump_path}, {"version", m.pg_dump_version}, {"format", "custom"}}},
      {"archive", std::move(archive)},
      {"dump", json::object{{"bytes", m.dump_bytes}, {"sha256", m.dump_sha256}}},
      {"tables", std::move(tables)},
      {"schema_fingerprint", m.schema_fingerprint},
  };
  return json::serialize(out) + "\n";
}

namespace {

bool is_sha256(const std::string& text) {
  return text.size() == 64 &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Result<json::object> parse_object(std::string_view text, const std::string& where) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) {
    return fail(Error::input(fmt::format("not valid JSON: {}", ec ? ec.message() : "not an object"), where));
  }
  return std::move(v.as_object());
}

}  // namespace

Result<Manifest> parse_manifest(std::string_view text, const std::string& where) {
  auto root = parse_object(text, where);
  if (!root) return fail(root.error());
  JsonFields f(&*root);
  Manifest m;
  m.format = static_cast<int>(f.num("format"));
  m.id = f.str("id");
  m.created_at = f.str("created_at");
  m.label = f.str("label");
  m.duration_ms = f.num("duration_ms");
  JsonFields db = f.nested(f.obj("database"));
  m.database = db.str("name");
  m.database_url = db.str("url");
  m.server_version = db.str("server_version");
  m.server_version_num = static_cast<int>(db.num("server_version_num"));
  m.snapshot = db.str("snapshot");
  JsonFields dump_tool = f.nested(f.obj("pg_dump"));
  m.pg_dump_path = dump_tool.str("path");
  m.pg_dump_version = dump_tool.str("version");
  JsonFields archive = f.nested(f.obj("archive"));
  m.archive = archive.str("name");
  m.archive_bytes = archive.count("bytes");
  m.archive_sha256 = archive.str("sha256");
  m.compression = archive.str("compression");
  m.encryption = archive.str("encryption", true);
  m.key_fingerprint = archive.str("key_fingerprint", true);
  JsonFields dump = f.nested(f.obj("dump"));
  m.dump_bytes = dump.count("bytes");
  m.dump_sha256 = dump.str("sha256");
  if (const json::array* tables = f.arr("tables")) {
    for (const json::value& t : *tables) {
      JsonFields tf(t.if_object());
      m.tables.push_back({tf.str("name"), tf.count("rows")});
      f.adopt(tf);
    }
  }
  m.schema_fingerprint = f.str("schema_fingerprint");
  for (const JsonFields* part : {&db, &dump_tool, &archive, &dump}) f.adopt(*part);
  if (!f.missing().empty()) {
    return fail(
        Error::input(fmt::format("not a backup manifest: '{}' is missing or has the wrong type", f.missing()), where));
  }
  if (m.format != 1) {
    return fail(Error::input(fmt::format("manifest format {} is newer than this slipway understands", m.format), where,
                             "upgrade slipway"));
  }
  if (auto t = parse_rfc3339(m.created_at); !t) {
    return fail(Error::input(fmt::format("not a backup manifest: created_at: {}", t.error().message), where));
  }
  for (const auto& [name, sum] : {std::pair{"archive.sha256", &m.archive_sha256}, {"dump.sha256", &m.dump_sha256}}) {
    if (!is_sha256(*sum)) {
      return fail(Error::input(fmt::format("not a backup manifest: {} is not 64 hex digits", name), where));
    }
  }
  if (m.encrypted() && (m.encryption != kEncryptionName || m.key_fingerprint.empty())) {
    return fail(Error::input(
        fmt::format("not a backup manifest: unknown encryption '{}' or no key fingerprint", m.encryption), where));
  }
  return m;
}

std::string to_json(const VerifyRecord& r) {
  json::array checks;
  for (const auto& c : r.checks) checks.push_back(json::value(c));
  json::object out{{"status", r.status}, {"at", r.at}, {"message", r.message}, {"checks", std::move(checks)}};
  if (r.restore_ms) out["restore_ms"] = *r.restore_ms;
  return json::serialize(out) + "\n";
}

Result<VerifyRecord> parse_verify_record(std::string_view text, const std::string& where) {
  auto root = parse_object(text, where);
  if (!root) return fail(root.error());
  JsonFields f(&*root);
  VerifyRecord r;
  r.status = f.str("status");
  r.at = f.str("at");
  r.message = f.str("message");
  if (const json::array* checks = f.arr("checks")) {
    for (const json::value& c : *checks) {
      if (c.is_string()) r.checks.emplace_back(c.as_string());
    }
  }
  if (const json::value* ms = root->if_contains("restore_ms"); ms && ms->is_int64()) r.restore_ms = ms->as_int64();
  if (!f.missing().empty()) {
    return fail(Error::input(fmt::format("not a verification record: '{}' is missing", f.missing()), where));
  }
  if (r.status != "ok" && r.status != "corrupt") {
    return fail(Error::input(fmt::format("unknown verification status '{}'", r.status), where));
  }
  return r;
}

}  // namespace slipway::backup
