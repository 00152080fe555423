// backup verify: read every byte back and prove the archive is what the manifest says, and that
// pg_restore understands it; optionally restore it for real into a scratch database.
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "backup/backup.hpp"
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

// Adds a check; returns whether it passed.
bool add(VerifyOutcome& out, std::string name, bool ok, std::string detail) {
  if (!ok && out.failure.empty()) out.failure = fmt::format("{}: {}", name, detail);
  out.checks.push_back({std::move(name), ok, std::move(detail)});
  return ok;
}

// A scratch database that is dropped however the test ends.
class ScratchDatabase {
 public:
  ScratchDatabase(pg::Connection& admin, std::string name) : admin_(admin), name_(std::move(name)) {}
  ~ScratchDatabase() {
    if (!created_) return;
    const bool force = admin_.server_version() >= 130000;
    (void)admin_.execute(fmt::format("DROP DATABASE IF EXISTS \"{}\"{}", name_, force ? " WITH (FORCE)" : ""));
  }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  Result<void> create() {
    auto c = admin_.execute(fmt::format("CREATE DATABASE \"{}\" TEMPLATE template0", name_));
    if (!c) {
      return fail(Error::environment(fmt::format("cannot create a scratch database: {}", c.error().message), name_,
                                     "--restore-test needs a user that may CREATE DATABASE on the server"));
    }
    created_ = true;
    return {};
  }

 private:
  pg::Connection& admin_;
  std::string name_;
  bool created_ = false;
};

Result<void> restore_test(Repository& repo, const Manifest& m, const VerifyOptions& options, VerifyOutcome& out) {
  auto info = pg::ConnInfo::parse(options.restore_test_url);
  if (!info) return fail(info.error());
  auto admin = pg::Connection::open(options.restore_test_url);
  if (!admin) return fail(admin.error());
  std::string name = fmt::format("slipway_restore_test_{}_{}", m.id, ::getpid());
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::isalnum(c) ? static_cast<char>(std::tolower(c)) : '_'; });
  out.scratch_database = name;
  ScratchDatabase scratch(*admin, name);
  if (auto c = scratch.create(); !c) return c;
  RestoreOptions restore;
  restore.url = info->with("dbname", name).to_string();
  restore.no_owner = true;
  restore.key = options.key;
  restore.progress = options.progress;
  auto result = restore_backup(repo, m.id, restore);
  if (!result) return fail(result.error());
  add(out, "restore test", result->ok(),
      result->ok() ? fmt::format("restored {} tables in {} ms into {}, row counts match", result->tables.size(),
                                 result->duration_ms, name)
                   : result->failure);
  out.restore = std::move(*result);
  return {};
}

// "3345; 0 16385 TABLE DATA public users postgres" holds the data of public.users.
bool toc_has_data(const std::string& toc, const std::string& table) {
  const std::size_t dot = table.find('.');
  const std::string needle = fmt::format(" TABLE DATA {} {} ", table.substr(0, dot), table.substr(dot + 1));
  return toc.find(needle) != std::string::npos;
}

}  // namespace

Result<VerifyOutcome> verify_backup(Repository& repo, const std::string& id, const VerifyOptions& options) {
  VerifyOutcome out;
  out.id = id;
  auto manifest = repo.manifest(id);
  if (!manifest) {
    if (manifest.error().kind == ErrorKind::environment) return fail(manifest.error());
    add(out, "manifest", false, manifest.error().message);
  }
  if (out.ok()) {
    const Manifest& m = *manifest;
    if (auto k = check_key(m, options.key); !k) return fail(k.error());
    // The name follows from the id (Repository::manifest() checked it); the object must be a
    // regular file of exactly the manifest's size, and is read no further.
    auto reader = repo.storage().open(m.archive);
    if (!reader && reader.error().kind == ErrorKind::environment) return fail(reader.error());
    if (add(out, "archive present", reader.has_value(),
            reader ? m.archive : fmt::format("{}: {}", m.archive, reader.error().message)) &&
        add(out, "archive size", (*reader)->size() == m.archive_bytes,
            fmt::format("{} bytes, the manifest says {}", (*reader)->size(), m.archive_bytes))) {
      auto tool = find_pg_tool("pg_restore", std::atoi(m.pg_dump_version.c_str()));
      if (!tool) return fail(tool.error());
      auto child = Process::spawn({.argv = {tool->path, "--list"}, .in = Stdio::pipe});
      if (!child) return fail(child.error());
      Progress progress("verifying", (*reader)->size(), options.progress);
      auto decoded = decode(
          **reader, m.encrypted(), options.key, [&](std::string_view bytes) { return child->write_stdin(bytes); },
          [&](std::uint64_t n) { progress.update(n); });
      progress.finish();
      const ExitStatus status = child->wait();
      if (!decoded) return fail(decoded.error());
      const StreamStats& s = decoded->stats;
      const bool sum_ok =
          add(out, "archive checksum", s.archive_sha256 == m.archive_sha256 && s.archive_bytes == m.archive_bytes,
              s.archive_sha256 == m.archive_sha256
                  ? fmt::format("SHA-256 {}", s.archive_sha256)
                  : fmt::format("SHA-256 {}, the manifest says {}", s.archive_sha256, m.archive_sha256));
      const std::string stage = m.encrypted() ? "decryption and decompression" : "decompression";
      const bool stream_ok =
          sum_ok &&
          add(out, stage, decoded->corrupt.empty(),
              decoded->corrupt.empty() ? fmt::format("{} bytes of pg_dump output", s.dump_bytes) : decoded->corrupt);
      const bool dump_ok =
          stream_ok && add(out, "dump checksum", s.dump_sha256 == m.dump_sha256 && s.dump_bytes == m.dump_bytes,
                           fmt::format("SHA-256 {} of {} bytes", s.dump_sha256, s.dump_bytes));
      if (dump_ok) {
        const std::string toc = child->captured_stdout();
        const bool listed =
            add(out, "pg_restore --list", status.ok(),
                status.ok() ? fmt::format("{} read the table of contents", tool->path)
                            : fmt::format("{}: {}", status.describe(), redact(pg_tool_error(child->stderr_tail()))));
        if (listed) {
          std::vector<std::string> missing;
          for (const TableCount& t : m.tables) {
            if (!toc_has_data(toc, t.name)) missing.push_back(t.name);
          }
          add(out, "tables", missing.empty(),
              missing.empty() ? fmt::format("all {} tables have data entries", m.tables.size())
                              : fmt::format("no data for {} in the archive", fmt::join(missing, ", ")));
        }
      }
    }
    if (out.ok() && !options.restore_test_url.empty()) {
      if (auto t = restore_test(repo, m, options, out); !t) return fail(t.error());
    }
  }

  VerifyRecord record;
  record.status = out.ok() ? "ok" : "corrupt";
  record.at = now_rfc3339(true);
  record.message = out.failure;
  for (const Check& c : out.checks) {
    if (c.ok) record.checks.push_back(c.name);
  }
  if (out.restore) record.restore_ms = out.restore->duration_ms;
  if (manifest) {
    if (auto r = repo.record_verification(id, record); !r) return fail(r.error());
  }
  return out;
}

}  // namespace slipway::backup
