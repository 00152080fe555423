// backup export: the checklist's "application-level JSON exports", one JSON object per row.
//
//   {"table":"public.users","row":{"id":1,"name":"Ann \"A\" O'Neil","note":null}}
//
// Rows come from row_to_json() through a cursor (not COPY: its text format escapes backslashes,
// which would corrupt the JSON), every table in one REPEATABLE READ snapshot.
#include <chrono>
#include <cstdio>
#include <optional>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "backup/backup.hpp"
#include "backup/database.hpp"
#include "core/fs.hpp"
#include "core/redact.hpp"
#include "pg/connection.hpp"

namespace slipway::backup {

namespace {

constexpr std::size_t kFetchRows = 5000;
constexpr std::size_t kFlushBytes = 1 << 20;

// A file written atomically, or stdout.
class Output {
 public:
  static Result<Output> open(const std::string& path) {
    Output out;
    if (path.empty() || path == "-") return out;
    auto file = AtomicFile::create(path, {}, 0600);
    if (!file) return fail(file.error());
    out.file_.emplace(std::move(*file));
    return out;
  }
  Result<void> write(std::string_view data) {
    bytes_ += data.size();
    if (file_) return file_->write(data);
    if (std::fwrite(data.data(), 1, data.size(), stdout) != data.size()) {
      return fail(Error::environment("cannot write to standard output"));
    }
    return {};
  }
  Result<void> commit() {
    if (file_) return file_->commit();
    if (std::fflush(stdout) != 0) return fail(Error::environment("cannot write to standard output"));
    return {};
  }
  [[nodiscard]] std::uint64_t bytes() const { return bytes_; }

 private:
  std::optional<AtomicFile> file_;
  std::uint64_t bytes_ = 0;
};

}  // namespace

Result<ExportResult> export_jsonl(const ExportOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (options.tables.empty()) {
    return fail(Error::input("no tables to export", "--table",
                             "name tables with --table schema.table, or list them in backup.export_tables"));
  }
  auto conn = pg::Connection::open(options.url);
  if (!conn) return fail(conn.error());
  if (auto b = conn->execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"); !b) return fail(b.error());
  auto all = list_tables(*conn);
  if (!all) return fail(all.error());
  std::vector<TableRef> tables;
  for (const std::string& name : options.tables) {
    auto t = find_table(*all, name);
    if (!t) return fail(t.error());
    tables.push_back(*t);
  }

  auto out = Output::open(options.output);
  if (!out) return fail(out.error());
  ExportResult result;
  std::string buffer;
  for (const TableRef& t : tables) {
    const std::string prefix = "{\"table\":" + boost::json::serialize(boost::json::string(t.name)) + ",\"row\":";
    auto declared = conn->execute("DECLARE slipway_export NO SCROLL CURSOR FOR SELECT row_to_json(t)::text FROM ONLY " +
                                  t.quoted + " t");
    if (!declared) return fail(Error::environment(declared.error().message, t.name));
    std::uint64_t rows = 0;
    for (;;) {
      auto batch = conn->query(fmt::format("FETCH FORWARD {} FROM slipway_export", kFetchRows));
      if (!batch) return fail(Error::environment(batch.error().message, t.name));
      for (std::size_t i = 0; i < batch->size(); ++i) {
        buffer += prefix;
        buffer += batch->text(i, 0);
        buffer += "}\n";
      }
      rows += batch->size();
      if (buffer.size() >= kFlushBytes || batch->size() < kFetchRows) {
        if (auto w = out->write(buffer); !w) return fail(w.error());
        buffer.clear();
      }
      if (batch->size() < kFetchRows) break;
    }
    if (auto c = conn->execute("CLOSE slipway_export"); !c) return fail(c.error());
    result.tables.push_back({t.name, rows});
  }
  (void)conn->execute("COMMIT");
  if (auto c = out->commit(); !c) return fail(c.error());
  result.bytes = out->bytes();
  result.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace slipway::backup
