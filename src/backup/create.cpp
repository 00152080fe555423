// backup create: one snapshot, two readers.
//
// A REPEATABLE READ transaction exports its snapshot (pg_export_snapshot()), pg_dump imports it
// (--snapshot), and while pg_dump streams, a second thread counts every table's rows on the
// exporting connection, in that same transaction. Both read the database as of one instant, so
// the manifest's row counts are exactly the rows in the dump. The transaction stays open until
// pg_dump has finished.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "backup/backup.hpp"
#include "backup/database.hpp"
#include "backup/pg_tools.hpp"
#include "backup/pipeline.hpp"
#include "core/process.hpp"
#include "core/progress.hpp"
#include "core/redact.hpp"
#include "core/time.hpp"
#include "pg/connection.hpp"
#include "pg/conninfo.hpp"

namespace slipway::backup {

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

}  // namespace

Result<Manifest> create_backup(Repository& repo, const CreateOptions& options) {
  const auto start = Clock::now();
  auto level = parse_compression(options.compression, "backup.compression");
  if (!level) return fail(level.error());
  auto info = pg::ConnInfo::parse(options.url);
  if (!info) return fail(info.error());
  if (!info->password().empty()) register_secret(info->password());

  auto lock = repo.storage().lock();
  if (!lock) return fail(lock.error());
  if (auto cleaned = repo.clean_leftovers(); !cleaned) return fail(cleaned.error());

  auto conn = pg::Connection::open(options.url);
  if (!conn) return fail(conn.error());
  if (auto b = conn->execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"); !b) return fail(b.error());
  auto snap = conn->query(
      "SELECT pg_export_snapshot(), current_database(), current_setting('server_version'), "
      "current_setting('server_version_num')");
  if (!snap) return fail(Error::environment(snap.error().message, "exporting a snapshot"));
  Manifest m;
  m.snapshot = snap->text(0, 0);
  m.database = snap->text(0, 1);
  m.server_version = snap->text(0, 2).substr(0, snap->text(0, 2).find(' '));
  m.server_version_num = std::atoi(snap->text(0, 3).c_str());
  m.database_url = info->display();
  m.label = options.label;
  m.compression = fmt::format("zstd:{}", *level);

  auto tables = list_tables(*conn);
  if (!tables) return fail(tables.error());
  auto fingerprint = schema_fingerprint(*conn);
  if (!fingerprint) return fail(fingerprint.error());
  m.schema_fingerprint = *fingerprint;

  auto tool = find_pg_tool("pg_dump", m.server_version_num / 10000);
  if (!tool) return fail(tool.error());
  m.pg_dump_path = tool->path;
  m.pg_dump_version = tool->version;

  // Under the writer lock, so a new id is unique: two backups of one second share the random
  // part once in 65,536.
  auto objects = repo.storage().list();
  if (!objects) return fail(objects.error());
  const auto taken = [&](const std::string& id) {
    return std::any_of(objects->begin(), objects->end(), [&](const ObjectInfo& o) { return o.name.starts_with(id); });
  };
  do {
    m.id = Repository::new_id(std::time(nullptr));
  } while (taken(m.id));
  m.created_at = now_rfc3339(true);  // milliseconds: same-second backups still sort
  m.archive = Repository::archive_name(m.id, options.key != nullptr);
  if (options.key) {
    m.encryption = std::string(kEncryptionName);
    m.key_fingerprint = options.key->fingerprint();
  }

  auto writer = repo.storage().create(m.archive, /*private_data=*/true);
  if (!writer) return fail(writer.error());
  auto encoder = Encoder::create(**writer, *level, options.threads, options.key);
  if (!encoder) return fail(encoder.error());

  ProcessSpec spec;
  spec.argv = {tool->path, "-Fc", "-Z0", "--snapshot=" + m.snapshot};
  for (auto& a : pg_child_args(*info, "slipway backup")) spec.argv.push_back(std::move(a));
  spec.env = pg_child_env(*info);
  spec.out = Stdio::pipe;
  auto dump = Process::spawn(spec);
  if (!dump) return fail(dump.error());

  // Count while pg_dump streams, on the connection that holds the snapshot.
  std::vector<TableCount> counts;
  std::optional<Error> count_error;
  std::atomic<bool> stop{false};
  std::jthread counter([&] {
    for (const TableRef& t : *tables) {
      if (stop) return;
      auto n = count_rows(*conn, t);
      if (!n) {
        count_error = n.error();
        return;
      }
      counts.push_back({t.name, *n});
    }
  });

  Progress progress("dumping", 0, options.progress);
  std::vector<char> buf(1 << 20);
  std::optional<Error> stream_error;
  std::uint64_t dumped = 0;
  for (;;) {
    auto n = dump->read_stdout(buf.data(), buf.size());
    if (!n) {
      stream_error = n.error();
      break;
    }
    if (*n == 0) break;
    if (auto w = encoder->write(std::string_view(buf.data(), *n)); !w) {
      stream_error = w.error();
      break;
    }
    dumped += *n;
    progress.update(dumped);
  }
  progress.finish();
  if (stream_error) {
    stop = true;
    dump->kill(SIGKILL);
  }
  const ExitStatus status = dump->wait();
  counter.join();
  (void)conn->execute("COMMIT");
  if (stream_error) return fail(*stream_error);
  if (!status.ok()) {
    return fail(Error::environment(
        fmt::format("pg_dump {}: {}", status.describe(), redact(pg_tool_error(dump->stderr_tail()))), tool->path,
        "check that the user may read every table, and that pg_dump can reach the database"));
  }
  if (count_error) return fail(*count_error);
  m.tables = std::move(counts);

  auto stats = encoder->finish();
  if (!stats) return fail(stats.error());
  if (auto c = (*writer)->commit(); !c) return fail(c.error());
  m.dump_bytes = stats->dump_bytes;
  m.dump_sha256 = stats->dump_sha256;
  m.archive_bytes = stats->archive_bytes;
  m.archive_sha256 = stats->archive_sha256;
  m.duration_ms = ms_since(start);

  // The manifest last: from here on the backup exists.
  if (auto p = repo.storage().put(Repository::manifest_name(m.id), to_json(m)); !p) return fail(p.error());
  if (auto s = repo.sync(); !s) return fail(s.error());
  return m;
}

}  // namespace slipway::backup
