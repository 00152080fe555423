#include "verify/integrity.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <boost/json.hpp>

namespace slipway::verify {
namespace {

// "public.users" -> "public"."users".
std::string quote_name(std::string_view name) {
  std::string out;
  std::size_t start = 0;
  while (true) {
    const auto dot = name.find('.', start);
    std::string_view part = name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    out += '"';
    for (char c : part) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    out += '"';
    if (dot == std::string_view::npos) break;
    out += '.';
    start = dot + 1;
  }
  return out;
}

bool listed(const std::vector<std::string>& list, const std::string& table) {
  return std::find(list.begin(), list.end(), table) != list.end();
}

std::string signed_count(std::int64_t d) {
  return d > 0 ? fmt::format("+{}", d) : fmt::format("{}", d);
}

}  // namespace

Result<std::vector<TableMeasure>> measure_tables(pg::Connection& db, const IntegritySettings& settings) {
  std::vector<TableMeasure> out;
  for (const std::string& table : settings.tables) {
    TableMeasure m;
    m.table = table;
    auto found = db.query("SELECT to_regclass($1) IS NOT NULL", {quote_name(table)});
    if (found && found->text(0, 0) == "f") {
      m.exists = false;
      out.push_back(std::move(m));
      continue;
    }
    std::string sql;
    const auto it = settings.checksums.find(table);
    if (it != settings.checksums.end() && !it->second.empty()) {
      std::string cols;
      for (const auto& c : it->second) cols += fmt::format("{}{}", cols.empty() ? "" : ", ", quote_name(c));
      sql = fmt::format(
          "SELECT count(*), md5(coalesce(string_agg(h, ',' ORDER BY h), '')) FROM (SELECT md5(ROW({})::text) AS h FROM "
          "{}) s",
          cols, quote_name(table));
    } else {
      sql = fmt::format("SELECT count(*), '' FROM {}", quote_name(table));
    }
    auto rows = db.query(sql);
    if (!rows) {
      return fail(Error::input(fmt::format("cannot count table {}: {}", table, rows.error().message),
                               "verify.integrity.tables", "check the table and column names in [verify.integrity]"));
    }
    const std::string count = rows->text(0, 0);
    std::from_chars(count.data(), count.data() + count.size(), m.rows);
    m.checksum = rows->text(0, 1);
    out.push_back(std::move(m));
  }
  return out;
}

Result<Snapshot> SnapshotStore::save(const std::string& database, const std::vector<TableMeasure>& tables) {
  boost::json::array arr;
  for (const auto& t : tables) {
    if (t.exists) arr.push_back({{"table", t.table}, {"rows", t.rows}, {"checksum", t.checksum}});
  }
  auto row = store_->save_snapshot(database, boost::json::serialize(arr));
  if (!row) return fail(row.error());
  return Snapshot{row->id, row->taken_at, tables};
}

Result<std::optional<Snapshot>> SnapshotStore::latest(const std::string& database) {
  return read(store_->latest_snapshot(database));
}

Result<std::optional<Snapshot>> SnapshotStore::find(const std::string& database, std::int64_t id) {
  return read(store_->snapshot(database, id));
}

Result<std::optional<Snapshot>> SnapshotStore::read(Result<std::optional<state::SnapshotRow>> row) {
  if (!row) return fail(row.error());
  if (!*row) return std::optional<Snapshot>{};
  Snapshot s{(*row)->id, (*row)->taken_at, {}};
  boost::system::error_code ec;
  const auto doc = boost::json::parse((*row)->tables, ec);
  if (!ec && doc.is_array()) {
    for (const auto& item : doc.as_array()) {
      const auto& o = item.as_object();
      s.tables.push_back({std::string(o.at("table").as_string()), o.at("rows").to_number<std::int64_t>(),
                          std::string(o.at("checksum").as_string())});
    }
  }
  return std::optional<Snapshot>{std::move(s)};
}

void compare_snapshot(const Snapshot& before, const std::vector<TableMeasure>& now, const IntegritySettings& settings,
                      Report& report) {
  for (const TableMeasure& m : now) {
    const auto it = std::find_if(before.tables.begin(), before.tables.end(),
                                 [&](const TableMeasure& b) { return b.table == m.table; });
    if (!m.exists) {
      const bool was = it != before.tables.end();
      report
          .add("integrity-rows", "integrity", Status::fail,
               was ? fmt::format("{} rows before, and the table is gone now", it->rows)
                   : std::string("no such table; check the names in [verify.integrity] tables"))
          .about(m.table);
      continue;
    }
    if (it == before.tables.end()) {
      report
          .add("integrity-rows", "integrity", Status::warn,
               fmt::format(
                   "{} rows; not in the snapshot of {} (the table was created, or added to [verify.integrity], since)",
                   m.rows, before.taken_at))
          .about(m.table);
      continue;
    }
    const std::int64_t delta = m.rows - it->rows;
    const bool may_change = listed(settings.may_change, m.table);
    const bool allowed = delta == 0 || may_change || (delta > 0 && listed(settings.may_grow, m.table)) ||
                         (delta < 0 && listed(settings.may_shrink, m.table));
    const std::string counts = fmt::format("{} rows before, {} now", it->rows, m.rows);
    if (delta == 0) {
      report.add("integrity-rows", "integrity", Status::pass, fmt::format("{} rows, unchanged", m.rows)).about(m.table);
    } else if (allowed) {
      report
          .add("integrity-rows", "integrity", Status::pass,
               fmt::format("{} ({}, allowed)", counts, signed_count(delta)))
          .about(m.table);
    } else {
      report
          .add("integrity-rows", "integrity", Status::fail,
               fmt::format("{} ({}); declare it in {} if that is expected", counts, signed_count(delta),
                           delta > 0 ? "may_grow" : "may_shrink"))
          .about(m.table);
    }
    if (!m.checksum.empty() && !it->checksum.empty() && delta == 0) {
      const bool same = m.checksum == it->checksum;
      report
          .add("integrity-checksum", "integrity", same || may_change ? Status::pass : Status::fail,
               same ? "chosen columns unchanged"
                    : fmt::format("same row count but rows changed{}", may_change ? " (allowed: may_change)" : ""))
          .about(m.table);
    }
  }
  for (const TableMeasure& b : before.tables) {
    const bool still = std::any_of(now.begin(), now.end(), [&](const TableMeasure& m) { return m.table == b.table; });
    if (!still) {
      report
          .add("integrity-rows", "integrity", Status::warn,
               fmt::format("in the snapshot ({} rows) but no longer in [verify.integrity]", b.rows))
          .about(b.table);
    }
  }
}

}  // namespace slipway::verify
