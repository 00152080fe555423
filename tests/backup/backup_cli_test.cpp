// slipway backup as a user runs it, against a real PostgreSQL, pg_dump and pg_restore.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <thread>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "core/process.hpp"
#include "pg/connection.hpp"
#include "postgres.hpp"
#include "process.hpp"

namespace slipway::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

std::string query_value(const std::string& url, const std::string& sql) {
  auto conn = pg::Connection::open(url);
  EXPECT_TRUE(conn.has_value()) << (conn ? "" : conn.error().render());
  if (!conn) return {};
  auto rows = conn->query(sql);
  EXPECT_TRUE(rows.has_value()) << (rows ? "" : rows.error().render());
  return rows && rows->size() > 0 ? rows->text(0, 0) : std::string();
}

std::uint64_t count(const std::string& url, const std::string& table) {
  return std::stoull(query_value(url, "SELECT count(*) FROM " + table));
}

class BackupCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          (std::string("slipway-backup-") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    url = Postgres::instance().create_database();
    write_config("");
  }
  void TearDown() override { fs::remove_all(dir); }

  void write_config(const std::string& backup_extra) {
    std::ofstream(dir / "slipway.toml") << "[database]\nurl = \"" << url << "\"\n\n[backup]\nrepository = \"backups\"\n"
                                        << backup_extra;
  }
  RunResult slipway(std::vector<std::string> args) {
    args.insert(args.begin(), {slipway_binary(), "backup"});
    return run(args, {}, {{"DATABASE_URL", "\x01unset"}}, dir.string());
  }
  std::string fresh_database() { return Postgres::instance().create_database(); }
  // The same, killed after 30 seconds: a hang fails the test with exit code 137 instead of
  // blocking it.
  RunResult slipway_bounded(std::vector<std::string> args) {
    args.insert(args.begin(), {"timeout", "-s", "KILL", "30", slipway_binary(), "backup"});
    return run(args, {}, {{"DATABASE_URL", "\x01unset"}}, dir.string());
  }
  // In bounded time, `verify ID` calls the backup corrupt saying `verify_says`, and `restore ID`
  // exits with `restore_code` saying `restore_says`, leaving its target empty.
  void expect_refused(const std::string& id, const std::string& verify_says, int restore_code,
                      const std::string& restore_says) {
    auto verify = slipway_bounded({"verify", id});
    EXPECT_EQ(verify.exit_code, 1) << verify.out << verify.err;
    EXPECT_NE(verify.out.find("CORRUPT"), std::string::npos) << verify.out;
    EXPECT_NE(verify.out.find(verify_says), std::string::npos) << verify.out;
    const std::string target = fresh_database();
    auto restore = slipway_bounded({"restore", id, "--to", target});
    EXPECT_EQ(restore.exit_code, restore_code) << restore.out << restore.err;
    EXPECT_NE(restore.err.find(restore_says), std::string::npos) << restore.err;
    EXPECT_EQ(query_value(target, "SELECT count(*) FROM pg_class WHERE relname = 'loans'"), "0");
  }
  fs::path manifest_file(const std::string& id) { return dir / "backups" / (id + ".manifest.json"); }
  std::string manifest_text(const std::string& id) {
    std::ifstream in(manifest_file(id));
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  void write_manifest(const std::string& id, const std::string& text) {
    std::ofstream(manifest_file(id), std::ios::trunc) << text;
  }

  void seed_app(const std::string& target) {
    Postgres::instance().exec(target, R"sql(
      CREATE TABLE members (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
      CREATE TABLE loans (id bigserial PRIMARY KEY, member_id bigint REFERENCES members(id), amount integer,
                          note text);
      CREATE INDEX loans_member ON loans(member_id);
      CREATE SCHEMA audit;
      CREATE TABLE audit."Log" (at timestamptz DEFAULT now(), what text);
      INSERT INTO members (name) SELECT 'member ' || g FROM generate_series(1, 1500) g;
      INSERT INTO loans (member_id, amount, note)
        SELECT 1 + g % 1500, g * 10, CASE WHEN g % 7 = 0 THEN NULL ELSE 'n' || g END FROM generate_series(1, 20000) g;
      INSERT INTO audit."Log" (what) SELECT 'event ' || g FROM generate_series(1, 333) g;
      CREATE TABLE empty_table (x int);
    )sql");
  }
  json::value create_json(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"create", "--format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = slipway(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json::value();
  }
  std::string create_id(const std::vector<std::string>& extra = {}) {
    auto j = create_json(extra);
    return j.is_object() ? std::string(j.at("id").as_string()) : std::string();
  }
  json::object manifest(const std::string& id) {
    std::ifstream in(dir / "backups" / (id + ".manifest.json"));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return json::parse(text).as_object();
  }
  fs::path archive(const std::string& id) {
    return dir / "backups" / std::string(manifest(id).at("archive").at("name").as_string());
  }
  json::array listed() {
    auto r = slipway({"list", "--format", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out).at("backups").as_array();
  }
  // Gives a backup a synthetic creation time by rewriting its manifest, as retention tests need
  // backups spread over days; the catalog notices the changed manifest.
  void set_created_at(const std::string& id, const std::string& rfc3339) {
    auto m = manifest(id);
    m["created_at"] = rfc3339;
    std::ofstream(dir / "backups" / (id + ".manifest.json"), std::ios::trunc) << json::serialize(m);
  }
  // `n` real backups of a small database, oldest first.
  std::vector<std::string> small_backups(int n) {
    Postgres::instance().exec(url, "CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 100)");
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) ids.push_back(create_id());
    return ids;
  }
  // id -> the prune JSON's entry for it.
  static std::map<std::string, json::object> by_id(const json::value& prune) {
    std::map<std::string, json::object> out;
    for (const auto& b : prune.at("backups").as_array()) out[std::string(b.at("id").as_string())] = b.as_object();
    return out;
  }

  fs::path dir;
  std::string url;
};

TEST_F(BackupCli, CreateThenListShowsTheBackupWithLabelAndSizes) {
  seed_app(url);
  auto created = create_json({"--label", "pre-deploy"});
  ASSERT_TRUE(created.is_object());
  EXPECT_GT(created.at("dump_bytes").as_int64(), 0);
  EXPECT_GT(created.at("archive_bytes").as_int64(), 0);
  EXPECT_GE(created.at("duration_ms").as_int64(), 0);
  EXPECT_EQ(created.at("rows").as_int64(), 1500 + 20000 + 333);
  const std::string id(created.at("id").as_string());

  auto backups = listed();
  ASSERT_EQ(backups.size(), 1u);
  EXPECT_EQ(backups[0].at("id").as_string(), id);
  EXPECT_EQ(backups[0].at("label").as_string(), "pre-deploy");
  EXPECT_EQ(backups[0].at("verification").at("status").as_string(), "never");
  EXPECT_EQ(backups[0].at("archive_bytes").as_int64(), created.at("archive_bytes").as_int64());

  auto text = slipway({"list"});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find(id), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("never"), std::string::npos) << text.out;

  // The manifest: versions, tool, the database without a password, the schema fingerprint.
  auto m = manifest(id);
  EXPECT_EQ(m.at("label").as_string(), "pre-deploy");
  EXPECT_EQ(m.at("database").at("server_version_num").as_int64() / 10000, 15);
  EXPECT_NE(std::string(m.at("pg_dump").at("path").as_string()).find("pg_dump"), std::string::npos);
  EXPECT_EQ(m.at("schema_fingerprint").as_string().size(), 64u);
  EXPECT_TRUE(m.at("archive").at("encryption").is_null());
}

TEST_F(BackupCli, ManifestRowCountsEqualTheDumpEvenWithWritesDuringTheBackup) {
  seed_app(url);
  Postgres::instance().exec(url, "INSERT INTO loans (member_id, amount) SELECT 1, g FROM generate_series(1, 300000) g");
  // Insert continuously while the backup runs: counts and dump must still agree.
  std::atomic<bool> stop{false};
  std::atomic<int> inserted{0};
  std::thread writer([&] {
    auto conn = pg::Connection::open(url);
    ASSERT_TRUE(conn.has_value());
    while (!stop) {
      if (conn->execute("INSERT INTO loans (member_id, amount) VALUES (1, 1)")) ++inserted;
    }
  });
  const std::string id = create_id();
  stop = true;
  writer.join();
  ASSERT_FALSE(id.empty());
  EXPECT_GT(inserted.load(), 0);

  // Every table's count is a real count of the snapshot, not an estimate.
  auto m = manifest(id);
  std::map<std::string, std::uint64_t> counts;
  for (const auto& t : m.at("tables").as_array()) {
    counts[std::string(t.at("name").as_string())] = static_cast<std::uint64_t>(t.at("rows").as_int64());
  }
  EXPECT_EQ(counts.at("public.members"), 1500u);
  EXPECT_EQ(counts.at("audit.Log"), 333u);
  EXPECT_EQ(counts.at("public.empty_table"), 0u);
  EXPECT_GE(counts.at("public.loans"), 320000u);

  // The dump holds exactly those rows: restore it and count.
  const std::string target = fresh_database();
  auto r = slipway({"restore", id, "--to", target, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count(target, "loans"), counts.at("public.loans"));
  EXPECT_EQ(count(target, "audit.\"Log\""), 333u);
}

TEST_F(BackupCli, RestoreRoundTripComparesRowCountsAndReportsItsDuration) {
  seed_app(url);
  const std::string id = create_id();
  const std::string target = fresh_database();
  auto r = slipway({"restore", id, "--to", target, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto out = json::parse(r.out).as_object();
  EXPECT_EQ(out.at("status").as_string(), "ok");
  EXPECT_GE(out.at("duration_ms").as_int64(), 0);
  EXPECT_TRUE(out.at("schema_matches").as_bool());
  EXPECT_EQ(out.at("tables").as_array().size(), 4u);
  for (const auto& t : out.at("tables").as_array()) EXPECT_EQ(t.at("expected"), t.at("actual")) << t;
  EXPECT_EQ(count(target, "loans"), 20000u);
  EXPECT_EQ(query_value(target, "SELECT note FROM loans WHERE id = 5"), "n5");
  // Sequences come back too: the next id follows the restored rows.
  EXPECT_EQ(query_value(target, "INSERT INTO loans (amount) VALUES (1) RETURNING id"), "20001");
}

TEST_F(BackupCli, RestoreRefusesANonEmptyTargetWithoutForce) {
  seed_app(url);
  const std::string id = create_id();
  const std::string target = fresh_database();
  Postgres::instance().exec(target, "CREATE TABLE loans (id int); INSERT INTO loans VALUES (42)");
  auto refused = slipway({"restore", id, "--to", target});
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("not empty"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--force"), std::string::npos) << refused.err;
  EXPECT_EQ(query_value(target, "SELECT id FROM loans"), "42");  // untouched

  auto forced = slipway({"restore", id, "--to", target, "--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.out << forced.err;
  EXPECT_EQ(count(target, "loans"), 20000u);
}

TEST_F(BackupCli, RestoreOfChosenTablesRestoresOnlyThose) {
  seed_app(url);
  const std::string id = create_id();
  const std::string target = fresh_database();
  auto r = slipway({"restore", id, "--to", target, "--table", "members", "--table", "audit.Log", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(json::parse(r.out).at("tables").as_array().size(), 2u);
  EXPECT_EQ(count(target, "members"), 1500u);
  EXPECT_EQ(count(target, "audit.\"Log\""), 333u);
  EXPECT_EQ(query_value(target, "SELECT count(*) FROM pg_class WHERE relname = 'loans'"), "0");

  auto unknown = slipway({"restore", id, "--to", fresh_database(), "--table", "nope"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  EXPECT_NE(unknown.err.find("public.nope"), std::string::npos) << unknown.err;
}

TEST_F(BackupCli, EncryptedRoundTripAndWrongKey) {
  seed_app(url);
  auto keygen = slipway({"keygen", "backup.key"});
  ASSERT_EQ(keygen.exit_code, 0) << keygen.err;
  struct stat st {};
  ASSERT_EQ(::stat((dir / "backup.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(slipway({"keygen", "backup.key"}).exit_code, 2);  // never overwrites a key

  write_config("encryption_key_file = \"backup.key\"\n");
  const std::string id = create_id();
  auto m = manifest(id);
  EXPECT_EQ(m.at("archive").at("encryption").as_string(), "xchacha20poly1305-secretstream");
  EXPECT_EQ(m.at("archive").at("key_fingerprint").as_string().size(), 16u);
  EXPECT_TRUE(std::string(m.at("archive").at("name").as_string()).ends_with(".enc"));
  // The archive is ciphertext: no table name shows through.
  std::ifstream in(archive(id), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(bytes.starts_with("SLPWENC1"));
  EXPECT_EQ(bytes.find("member"), std::string::npos);

  EXPECT_EQ(slipway({"verify", id}).exit_code, 0);
  const std::string target = fresh_database();
  auto restored = slipway({"restore", id, "--to", target});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_EQ(count(target, "loans"), 20000u);

  // Another key: named as wrong, exit 2, and nothing is restored.
  ASSERT_EQ(slipway({"keygen", "other.key"}).exit_code, 0);
  auto wrong = slipway({"verify", id, "--key-file", "other.key"});
  EXPECT_EQ(wrong.exit_code, 2) << wrong.out << wrong.err;
  EXPECT_NE(wrong.err.find("wrong key"), std::string::npos) << wrong.err;
  auto wrong_restore = slipway({"restore", id, "--to", fresh_database(), "--key-file", "other.key"});
  EXPECT_EQ(wrong_restore.exit_code, 2) << wrong_restore.err;

  // No key at all, and a key file of the wrong size.
  write_config("");
  auto none = slipway({"verify", id});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("encrypted"), std::string::npos) << none.err;
  std::ofstream(dir / "short.key") << "abc123\n";
  auto bad = slipway({"create", "--key-file", "short.key"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("wrong size"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("64 hex"), std::string::npos) << bad.err;
}

// Flips one byte of the archive at each position, expects verify to call it corrupt, and puts it back.
void expect_every_flip_is_corrupt(BackupCli& t, const std::string& id, const fs::path& file,
                                  const std::function<RunResult(std::vector<std::string>)>& slipway) {
  const auto size = static_cast<std::streamoff>(fs::file_size(file));
  for (std::streamoff pos : {std::streamoff{0}, std::streamoff{5}, std::streamoff{40}, size / 2, size - 2, size - 1}) {
    SCOPED_TRACE("flipped byte " + std::to_string(pos) + " of " + std::to_string(size));
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(pos);
    char c = 0;
    f.get(c);
    f.seekp(pos);
    f.put(static_cast<char>(c ^ 0x01));
    f.close();
    auto r = slipway({"verify", id});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("CORRUPT"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(id), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("checksum"), std::string::npos) << r.out;  // names what failed

    std::fstream g(file, std::ios::in | std::ios::out | std::ios::binary);
    g.seekp(pos);
    g.put(c);
  }
  (void)t;
  auto good = slipway({"verify", id});
  EXPECT_EQ(good.exit_code, 0) << good.out << good.err;
}

TEST_F(BackupCli, EveryFlippedByteIsReportedCorrupt) {
  seed_app(url);
  const std::string plain = create_id();
  auto run_slipway = [this](std::vector<std::string> args) { return slipway(std::move(args)); };
  expect_every_flip_is_corrupt(*this, plain, archive(plain), run_slipway);

  ASSERT_EQ(slipway({"keygen", "backup.key"}).exit_code, 0);
  write_config("encryption_key_file = \"backup.key\"\n");
  const std::string encrypted = create_id();
  expect_every_flip_is_corrupt(*this, encrypted, archive(encrypted), run_slipway);

  // The verdict is recorded beside the manifest and shows in the list.
  std::fstream f(archive(plain), std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(100);
  f.put('\x7f');
  f.close();
  auto all = slipway({"verify", "--all", "--format", "json"});
  EXPECT_EQ(all.exit_code, 1) << all.out << all.err;
  auto summary = json::parse(all.out).at("summary");
  EXPECT_EQ(summary.at("corrupt").as_int64(), 1);
  EXPECT_EQ(summary.at("ok").as_int64(), 1);
  EXPECT_TRUE(fs::exists(dir / "backups" / (plain + ".verify.json")));
  for (const auto& b : listed()) {
    EXPECT_EQ(b.at("verification").at("status").as_string(), b.at("id").as_string() == plain ? "corrupt" : "ok");
  }
  // A corrupt archive is never fed to pg_restore.
  const std::string target = fresh_database();
  auto restore = slipway({"restore", plain, "--to", target});
  EXPECT_EQ(restore.exit_code, 1) << restore.err;
  EXPECT_NE(restore.err.find("corrupt"), std::string::npos) << restore.err;
  EXPECT_EQ(query_value(target, "SELECT count(*) FROM pg_class WHERE relname = 'loans'"), "0");
}

TEST_F(BackupCli, KilledCreateLeavesNoBackupBehind) {
  seed_app(url);
  const std::string good = create_id();
  // Big enough that pg_dump streams for a while: about 200 MB of hard-to-compress text.
  Postgres::instance().exec(url,
                            "CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) || "
                            "md5((g * 13)::text) AS payload FROM generate_series(1, 1500000) g");

  ProcessSpec spec;
  spec.argv = {slipway_binary(), "backup", "create"};
  spec.cwd = dir;
  auto child = Process::spawn(spec);
  ASSERT_TRUE(child.has_value());
  // Wait until the temporary archive exists and is growing, then kill -9.
  std::optional<fs::path> temp;
  std::uintmax_t last = 0;
  bool growing = false;
  for (int i = 0; i < 2000 && !growing; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    for (const auto& e : fs::directory_iterator(dir / "backups")) {
      if (e.path().filename().string().starts_with(".tmp.")) temp = e.path();
    }
    if (!temp) continue;
    std::error_code ec;
    const auto size = fs::file_size(*temp, ec);
    growing = !ec && last > 0 && size > last;
    if (!ec) last = size;
  }
  ASSERT_TRUE(growing) << "the temporary archive never grew";
  child->kill(SIGKILL);
  EXPECT_EQ(child->wait().signal, SIGKILL);

  auto backups = listed();
  ASSERT_EQ(backups.size(), 1u);
  EXPECT_EQ(backups[0].at("id").as_string(), good);
  auto verify = slipway({"verify", "--all"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;

  // The next create cleans the leftover up.
  Postgres::instance().exec(url, "DROP TABLE big");
  create_id();
  for (const auto& e : fs::directory_iterator(dir / "backups")) {
    EXPECT_FALSE(e.path().filename().string().starts_with(".tmp.")) << e.path();
  }
  EXPECT_EQ(listed().size(), 2u);
}

TEST_F(BackupCli, RestoreTestRestoresIntoAScratchDatabaseAndDropsIt) {
  seed_app(url);
  const std::string id = create_id();
  auto r = slipway({"verify", id, "--restore-test", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto b = json::parse(r.out).at("backups").at(0);
  EXPECT_EQ(b.at("status").as_string(), "ok");
  const std::string scratch(b.at("restore").at("database").as_string());
  EXPECT_TRUE(scratch.starts_with("slipway_restore_test_")) << scratch;
  EXPECT_GE(b.at("restore").at("duration_ms").as_int64(), 0);
  EXPECT_EQ(b.at("restore").at("tables").as_array().size(), 4u);
  EXPECT_EQ(query_value(Postgres::instance().admin_url(),
                        "SELECT count(*) FROM pg_database WHERE datname LIKE 'slipway_restore_test_%'"),
            "0");
  auto listed_backup = listed().at(0);
  EXPECT_EQ(listed_backup.at("verification").at("status").as_string(), "ok");
  EXPECT_TRUE(listed_backup.at("verification").as_object().contains("restore_ms"));

  // A restore test that fails still drops its scratch database: here the manifest promises one
  // row more than the dump holds.
  const fs::path manifest_file = dir / "backups" / (id + ".manifest.json");
  std::ifstream in(manifest_file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  const std::string from = "{\"name\":\"audit.Log\",\"rows\":333}";
  ASSERT_NE(text.find(from), std::string::npos) << text;
  text.replace(text.find(from), from.size(), "{\"name\":\"audit.Log\",\"rows\":334}");
  std::ofstream(manifest_file, std::ios::trunc) << text;
  auto failed = slipway({"verify", id, "--restore-test"});
  EXPECT_EQ(failed.exit_code, 1) << failed.out << failed.err;
  EXPECT_NE(failed.out.find("audit.Log has 333 rows, the backup 334"), std::string::npos) << failed.out;
  EXPECT_EQ(query_value(Postgres::instance().admin_url(),
                        "SELECT count(*) FROM pg_database WHERE datname LIKE 'slipway_restore_test_%'"),
            "0");

  // A user who may not create databases gets an environment error saying so.
  Postgres::instance().exec(Postgres::instance().admin_url(), "CREATE ROLE slipway_no_create LOGIN");
  auto limited = url.substr(0, url.find("://") + 3) + "slipway_no_create" + url.substr(url.find('@'));
  auto refused = slipway({"verify", id, "--restore-test", "--database", limited});
  EXPECT_EQ(refused.exit_code, 3) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("CREATE DATABASE"), std::string::npos) << refused.err;
}

TEST_F(BackupCli, CatalogIsRebuiltFromTheManifests) {
  seed_app(url);
  const std::string first = create_id({"--label", "pre-deploy"});
  const std::string second = create_id();
  ASSERT_EQ(slipway({"verify", second}).exit_code, 0);

  fs::remove(dir / "backups" / "catalog.db");
  auto backups = listed();
  ASSERT_EQ(backups.size(), 2u);
  EXPECT_EQ(backups[0].at("id").as_string(), first);
  EXPECT_EQ(backups[0].at("label").as_string(), "pre-deploy");
  EXPECT_EQ(backups[1].at("verification").at("status").as_string(), "ok");

  // A damaged catalog is replaced, and a manifest removed by hand disappears from the list.
  std::ofstream(dir / "backups" / "catalog.db", std::ios::trunc) << "not a database";
  fs::remove(dir / "backups" / (first + ".manifest.json"));
  backups = listed();
  ASSERT_EQ(backups.size(), 1u);
  EXPECT_EQ(backups[0].at("id").as_string(), second);
  auto rebuilt = slipway({"list", "--rebuild-catalog"});
  EXPECT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
  EXPECT_NE(rebuilt.out.find(second), std::string::npos);
}

TEST_F(BackupCli, JsonlExportRoundTripsAwkwardValues) {
  Postgres::instance().exec(url, R"sql(
    CREATE TABLE users (id int PRIMARY KEY, name text, bio text, tags text[], meta jsonb, score numeric);
    INSERT INTO users VALUES
      (1, 'back\slash', E'tab\there\nnew "quoted" line', ARRAY['a\b', 'c"d'], '{"k": "v\\w"}', 1.50),
      (2, 'ünïcødé ✓ 日本', NULL, NULL, NULL, NULL),
      (3, '', 'C:\path\to\file', '{}', '[]', -0.001);
  )sql");
  fs::create_directories(dir / "out");
  auto r = slipway({"export", "--format", "jsonl", "--table", "users", "--output", "out/users.jsonl"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(dir / "out" / "users.jsonl");
  std::vector<json::object> rows;
  for (std::string line; std::getline(in, line);) {
    auto v = json::parse(line).as_object();
    EXPECT_EQ(v.at("table").as_string(), "public.users");
    rows.push_back(v.at("row").as_object());
  }
  ASSERT_EQ(rows.size(), 3u);
  std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.at("id").as_int64() < b.at("id").as_int64(); });
  EXPECT_EQ(rows[0].at("name").as_string(), "back\\slash");
  EXPECT_EQ(rows[0].at("bio").as_string(), "tab\there\nnew \"quoted\" line");
  EXPECT_EQ(rows[0].at("tags").as_array().at(0).as_string(), "a\\b");
  EXPECT_EQ(rows[0].at("tags").as_array().at(1).as_string(), "c\"d");
  EXPECT_EQ(rows[0].at("meta").at("k").as_string(), "v\\w");
  EXPECT_EQ(rows[1].at("name").as_string(), "ünïcødé ✓ 日本");
  EXPECT_TRUE(rows[1].at("bio").is_null());
  EXPECT_TRUE(rows[1].at("score").is_null());
  EXPECT_EQ(rows[2].at("bio").as_string(), "C:\\path\\to\\file");
  EXPECT_EQ(rows[2].at("meta").as_array().size(), 0u);

  // backup.export_tables when none are named, to stdout; an unknown table is exit 2.
  write_config("export_tables = [\"public.users\"]\n");
  auto out = slipway({"export"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(std::count(out.out.begin(), out.out.end(), '\n'), 3);
  auto unknown = slipway({"export", "--table", "user"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("did you mean 'public.users'"), std::string::npos) << unknown.err;
}

TEST_F(BackupCli, ExitCodesForBadInputAndUnreachableDatabase) {
  auto no_backups = slipway({"verify"});
  EXPECT_EQ(no_backups.exit_code, 2) << no_backups.err;
  auto unknown = slipway({"verify", "nope"});
  EXPECT_EQ(unknown.exit_code, 2);
  auto down = slipway({"create", "--database", "postgresql://nobody:s3cretpw@127.0.0.1:1/x"});
  EXPECT_EQ(down.exit_code, 3) << down.err;
  EXPECT_EQ(down.err.find("s3cretpw"), std::string::npos) << down.err;
  write_config("compression = \"gzip\"\n");
  auto compression = slipway({"create"});
  EXPECT_EQ(compression.exit_code, 2);
  EXPECT_NE(compression.err.find("zstd:N"), std::string::npos) << compression.err;
  auto help = slipway({"restore", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Examples:"), std::string::npos);
  EXPECT_EQ(slipway({"restre"}).exit_code, 2);
}

// The example of src/backup/retention.hpp, on real backups: keep = { last = 1, daily = 2 } in UTC.
TEST_F(BackupCli, PruneRemovesWhatNoRuleKeepsAndDryRunRemovesNothing) {
  const auto ids = small_backups(5);
  ASSERT_EQ(ids.size(), 5u);
  const std::string& e = ids[0];
  const std::string& a = ids[1];
  const std::string& b = ids[2];
  const std::string& c = ids[3];
  const std::string& d = ids[4];
  set_created_at(e, "2026-11-10T09:00:00.000Z");
  set_created_at(a, "2026-11-18T09:00:00.000Z");
  set_created_at(b, "2026-11-19T22:00:00.000Z");
  set_created_at(c, "2026-11-20T06:00:00.000Z");
  set_created_at(d, "2026-11-20T18:00:00.000Z");
  write_config("keep = { last = 1, daily = 2, weekly = 0, monthly = 0, yearly = 0 }\n");

  auto dry = slipway({"prune", "--dry-run", "--format", "json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  const auto plan = json::parse(dry.out);
  EXPECT_TRUE(plan.at("dry_run").as_bool());
  EXPECT_EQ(plan.at("timezone").as_string(), "UTC");
  const auto& order = plan.at("backups").as_array();
  ASSERT_EQ(order.size(), 5u);
  EXPECT_EQ(order[0].at("id").as_string(), d);  // newest first
  EXPECT_EQ(order[4].at("id").as_string(), e);
  auto decided = by_id(plan);
  EXPECT_EQ(decided[d].at("decision").as_string(), "keep");
  EXPECT_EQ(decided[d].at("rule").as_string(), "last");
  EXPECT_EQ(decided[d].at("rank").as_int64(), 1);
  EXPECT_EQ(decided[d].at("reason").as_string(), "last 1/1");
  EXPECT_EQ(decided[c].at("decision").as_string(), "remove");
  EXPECT_EQ(decided[c].at("rule").as_string(), "");
  EXPECT_EQ(decided[c].at("reason").as_string(), "no rule keeps it");
  EXPECT_EQ(decided[b].at("rule").as_string(), "daily");
  EXPECT_EQ(decided[b].at("rank").as_int64(), 1);
  EXPECT_EQ(decided[b].at("period").as_string(), "2026-11-19");
  EXPECT_EQ(decided[b].at("reason").as_string(), "daily 1/2: 2026-11-19 (UTC)");
  EXPECT_FALSE(decided[b].at("oldest").as_bool());
  EXPECT_EQ(decided[a].at("reason").as_string(), "daily 2/2: 2026-11-18 (UTC)");
  EXPECT_EQ(decided[e].at("decision").as_string(), "remove");
  EXPECT_EQ(plan.at("summary").at("would_remove").as_int64(), 2);
  EXPECT_EQ(plan.at("summary").at("removed").as_int64(), 0);
  EXPECT_EQ(listed().size(), 5u);
  EXPECT_TRUE(fs::exists(archive(c)));

  auto text = slipway({"prune", "--dry-run"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("daily 1/2: 2026-11-19 (UTC)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("2 would be removed; nothing was removed"), std::string::npos) << text.out;
  EXPECT_EQ(listed().size(), 5u);

  const fs::path c_archive = archive(c);
  const fs::path e_archive = archive(e);
  auto pruned = slipway({"prune", "--format", "json"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.out << pruned.err;
  EXPECT_EQ(json::parse(pruned.out).at("summary").at("removed").as_int64(), 2);
  std::vector<std::string> left;
  for (const auto& backup : listed()) left.emplace_back(backup.at("id").as_string());
  EXPECT_EQ(left, (std::vector<std::string>{a, b, d}));
  for (const std::string& gone : {c, e}) {
    EXPECT_FALSE(fs::exists(dir / "backups" / (gone + ".manifest.json"))) << gone;
  }
  EXPECT_FALSE(fs::exists(c_archive));
  EXPECT_FALSE(fs::exists(e_archive));
  EXPECT_TRUE(fs::exists(archive(b)));

  // A second prune finds nothing more to remove.
  auto again = slipway({"prune"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("3 kept, 0 removed"), std::string::npos) << again.out;
}

TEST_F(BackupCli, PruneKeepsTheNewestVerifiedBackupAndNeverEverything) {
  const auto ids = small_backups(3);
  ASSERT_EQ(ids.size(), 3u);
  set_created_at(ids[0], "2025-01-01T00:00:00.000Z");
  set_created_at(ids[1], "2025-02-01T00:00:00.000Z");
  set_created_at(ids[2], "2025-03-01T00:00:00.000Z");
  ASSERT_EQ(slipway({"verify", ids[0]}).exit_code, 0);
  // Nothing is asked for: only the safety rules keep anything.
  write_config("keep = { last = 0, daily = 0, weekly = 0, monthly = 0, yearly = 0 }\n");
  auto r = slipway({"prune", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto decided = by_id(json::parse(r.out));
  EXPECT_EQ(decided[ids[0]].at("rule").as_string(), "newest-verified");
  EXPECT_EQ(decided[ids[1]].at("decision").as_string(), "remove");
  EXPECT_EQ(decided[ids[2]].at("decision").as_string(), "remove");
  auto backups = listed();
  ASSERT_EQ(backups.size(), 1u);
  EXPECT_EQ(backups[0].at("id").as_string(), ids[0]);

  // With no verified backup left to keep, the newest one stays.
  fs::remove(dir / "backups" / (ids[0] + ".verify.json"));
  const std::string newer = create_id();
  r = slipway({"prune", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  decided = by_id(json::parse(r.out));
  EXPECT_EQ(decided[newer].at("rule").as_string(), "newest");
  EXPECT_EQ(decided[ids[0]].at("decision").as_string(), "remove");
  backups = listed();
  ASSERT_EQ(backups.size(), 1u);
  EXPECT_EQ(backups[0].at("id").as_string(), newer);
}

// 2026-10-31T23:30Z is November 1 in Berlin (UTC+1 after the October change): the zone decides
// the day.
TEST_F(BackupCli, PruneUsesTheConfiguredTimeZoneAndReportsABadOneWithItsPosition) {
  const auto ids = small_backups(1);
  ASSERT_EQ(ids.size(), 1u);
  set_created_at(ids[0], "2026-10-31T23:30:00.000Z");
  write_config("keep = { last = 0, daily = 1, weekly = 0, monthly = 0, yearly = 0 }\ntimezone = \"Europe/Berlin\"\n");
  auto r = slipway({"prune", "--dry-run", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto decided = by_id(json::parse(r.out));
  EXPECT_EQ(decided.at(ids[0]).at("period").as_string(), "2026-11-01");
  EXPECT_NE(std::string(decided.at(ids[0]).at("reason").as_string()).find("(Europe/Berlin)"), std::string::npos);

  write_config("keep = { last = 1 }\ntimezone = \"Europe/Berlinn\"\n");
  auto bad = slipway({"prune", "--dry-run"});
  EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
  EXPECT_NE(bad.err.find("slipway.toml:"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("Europe/Berlin"), std::string::npos) << bad.err;
  EXPECT_EQ(listed().size(), 1u);
}

// A prune must not run while a writer holds the repository's lock (a create in progress): it
// waits, and removes only once the lock is free.
TEST_F(BackupCli, PruneWaitsForTheWriterLock) {
  const auto ids = small_backups(2);
  ASSERT_EQ(ids.size(), 2u);
  write_config("keep = { last = 1, daily = 0, weekly = 0, monthly = 0, yearly = 0 }\n");
  const int fd = ::open((dir / "backups" / ".lock").c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  std::atomic<bool> finished{false};
  RunResult result;
  std::thread pruner([&] {
    result = slipway({"prune"});
    finished = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_FALSE(finished.load());
  EXPECT_TRUE(fs::exists(dir / "backups" / (ids[0] + ".manifest.json")));
  ::flock(fd, LOCK_UN);
  ::close(fd);
  pruner.join();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_FALSE(fs::exists(dir / "backups" / (ids[0] + ".manifest.json")));
  ASSERT_EQ(listed().size(), 1u);
}

// A manifest's archive.name of "../x" or an absolute path was followed: verify and restore read a
// file outside the repository, and a restore from a valid archive outside succeeded. The archive
// is always <id>.dump.zst[.enc] inside the repository; a manifest naming anything else is damaged.
TEST_F(BackupCli, ArchiveNameOutsideTheRepositoryIsNeverFollowed) {
  seed_app(url);
  const std::string id = create_id();
  const std::string original = manifest_text(id);
  // A valid archive outside the repository: following the name would verify and restore it.
  fs::copy_file(archive(id), dir / "outside.dump.zst");
  for (const std::string& name : {std::string("../outside.dump.zst"), std::string("../../x"),
                                  (dir / "outside.dump.zst").string(), std::string("/etc/passwd")}) {
    SCOPED_TRACE(name);
    auto m = json::parse(original).as_object();
    m["archive"].as_object()["name"] = name;
    write_manifest(id, json::serialize(m));
    // Verify says what the name must be; restore names the manifest.
    expect_refused(id, id + ".dump.zst", 2, id + ".manifest.json");
  }
  write_manifest(id, original);
  auto good = slipway({"verify", id});
  EXPECT_EQ(good.exit_code, 0) << good.out << good.err;
}

// With /dev/zero or a FIFO as the archive, verify never ended; a symlink to a file outside the
// repository was read. The archive must be a regular file in the repository.
TEST_F(BackupCli, ArchiveThatIsNotARegularFileIsRefusedWithoutHanging) {
  seed_app(url);
  const std::string id = create_id();
  const fs::path file = archive(id);
  const fs::path kept = dir / "kept.dump.zst";
  fs::rename(file, kept);
  const std::vector<std::pair<std::string, std::function<void()>>> cases{
      {"a symlink to /etc/passwd", [&] { fs::create_symlink("/etc/passwd", file); }},
      {"a symlink to /dev/zero", [&] { fs::create_symlink("/dev/zero", file); }},
      {"a symlink to the valid archive, outside", [&] { fs::create_symlink(kept, file); }},
      {"a FIFO", [&] { ASSERT_EQ(::mkfifo(file.c_str(), 0600), 0); }},
      {"a directory", [&] { fs::create_directory(file); }},
  };
  for (const auto& [what, make] : cases) {
    SCOPED_TRACE(what);
    make();
    expect_refused(id, "not a regular file", 2, file.filename().string() + ": not a regular file");
    fs::remove(file);
  }
  fs::rename(kept, file);
  auto good = slipway({"verify", id});
  EXPECT_EQ(good.exit_code, 0) << good.out << good.err;
}

// An archive cut short or longer than the manifest says is corrupt, read no further than the
// manifest's size, and never restored.
TEST_F(BackupCli, TruncatedOrExtendedArchiveIsCorruptAndNeverRestored) {
  seed_app(url);
  const std::string id = create_id();
  const fs::path file = archive(id);
  std::ifstream in(file, std::ios::binary);
  const std::string original((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  const std::vector<std::pair<std::string, std::string>> variants{
      {"empty", ""},
      {"half", original.substr(0, original.size() / 2)},
      {"one byte short", original.substr(0, original.size() - 1)},
      {"one byte more", original + "x"},
      {"a megabyte of zeros more", original + std::string(1 << 20, '\0')},
  };
  for (const auto& [what, bytes] : variants) {
    SCOPED_TRACE(what);
    std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
    expect_refused(id, "archive size", 1, "corrupt");
  }
  std::ofstream(file, std::ios::binary | std::ios::trunc) << original;
  auto good = slipway({"verify", id});
  EXPECT_EQ(good.exit_code, 0) << good.out << good.err;
}

// `verify --all` said "2 verified, 0 corrupt" (exit 0) with a truncated, empty or ill-typed
// manifest, and `list` hid that backup. A damaged manifest is a corrupt backup: listed, counted,
// exit 1; restore refuses it naming the file; prune keeps it and says so.
TEST_F(BackupCli, DamagedManifestIsListedCountedCorruptAndKeptByPrune) {
  const auto ids = small_backups(2);
  ASSERT_EQ(ids.size(), 2u);
  const std::string& good = ids[0];
  const std::string& damaged = ids[1];
  const std::string original = manifest_text(damaged);
  const auto edited = [&](const std::function<void(json::object&)>& edit) {
    auto m = json::parse(original).as_object();
    edit(m);
    return json::serialize(m);
  };
  const std::vector<std::pair<std::string, std::string>> variants{
      {"truncated", original.substr(0, original.size() / 2)},
      {"empty", ""},
      {"not JSON", "this is not a manifest\n"},
      {"a JSON array", "[1, 2, 3]"},
      {"a string for a number", edited([](json::object& m) { m["archive"].as_object()["bytes"] = "12"; })},
      {"a negative size", edited([](json::object& m) { m["dump"].as_object()["bytes"] = -5; })},
      {"a table without rows", edited([](json::object& m) {
         m["tables"] = json::array{json::object{{"name", "x"}}};
       })},
      {"no tables", edited([](json::object& m) { m.erase("tables"); })},
      {"no archive", edited([](json::object& m) { m.erase("archive"); })},
      {"created_at not a time", edited([](json::object& m) { m["created_at"] = "yesterday"; })},
      {"another backup's id", edited([&](json::object& m) { m["id"] = good; })},
  };
  for (const auto& [what, text] : variants) {
    SCOPED_TRACE(what);
    write_manifest(damaged, text);
    auto backups = listed();
    ASSERT_EQ(backups.size(), 2u);
    for (const auto& b : backups) {
      const bool is_damaged = b.at("id").as_string() == damaged;
      EXPECT_EQ(b.at("damaged").as_bool(), is_damaged) << b;
      if (!is_damaged) continue;
      EXPECT_EQ(b.at("verification").at("status").as_string(), "corrupt") << b;
      EXPECT_NE(std::string(b.at("verification").at("message").as_string()).find("damaged manifest"), std::string::npos)
          << b;
    }
    auto list = slipway({"list"});
    EXPECT_EQ(list.exit_code, 0) << list.err;
    EXPECT_NE(list.out.find(damaged), std::string::npos) << list.out;
    EXPECT_NE(list.out.find("damaged manifest"), std::string::npos) << list.out;

    auto all = slipway_bounded({"verify", "--all"});
    EXPECT_EQ(all.exit_code, 1) << all.out << all.err;
    EXPECT_NE(all.out.find("1 verified, 1 corrupt"), std::string::npos) << all.out;
    auto all_json = slipway_bounded({"verify", "--all", "--format", "json"});
    EXPECT_EQ(all_json.exit_code, 1) << all_json.out << all_json.err;
    auto summary = json::parse(all_json.out).at("summary");
    EXPECT_EQ(summary.at("ok").as_int64(), 1);
    EXPECT_EQ(summary.at("corrupt").as_int64(), 1);

    auto restore = slipway_bounded({"restore", damaged, "--to", fresh_database()});
    EXPECT_EQ(restore.exit_code, 2) << restore.out << restore.err;
    EXPECT_NE(restore.err.find(damaged + ".manifest.json"), std::string::npos) << restore.err;
  }

  // Prune plans without it, keeps it, and says so; the good backup stays (the newest one).
  write_config("keep = { last = 0, daily = 0, weekly = 0, monthly = 0, yearly = 0 }\n");
  auto dry = slipway({"prune", "--dry-run", "--format", "json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  const auto kept = json::parse(dry.out).at("damaged").as_array();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].at("id").as_string(), damaged);
  EXPECT_FALSE(std::string(kept[0].at("reason").as_string()).empty());
  auto pruned = slipway({"prune"});
  EXPECT_EQ(pruned.exit_code, 0) << pruned.out << pruned.err;
  EXPECT_NE(pruned.out.find(damaged), std::string::npos) << pruned.out;
  EXPECT_NE(pruned.out.find("damaged manifest"), std::string::npos) << pruned.out;
  EXPECT_TRUE(fs::exists(manifest_file(damaged)));
  EXPECT_TRUE(fs::exists(dir / "backups" / (damaged + ".dump.zst")));
  EXPECT_TRUE(fs::exists(manifest_file(good)));

  // Put back, it is an ordinary backup again.
  write_manifest(damaged, original);
  auto all = slipway({"verify", "--all"});
  EXPECT_EQ(all.exit_code, 0) << all.out << all.err;
  EXPECT_NE(all.out.find("2 verified, 0 corrupt"), std::string::npos) << all.out;
}

// Two creates at once: both succeed (the writer lock serialises them), with distinct ids, and
// both verify.
TEST_F(BackupCli, TwoCreatesAtOnceBothSucceedWithDistinctIds) {
  seed_app(url);
  RunResult a;
  RunResult b;
  std::thread first([&] { a = slipway_bounded({"create", "--format", "json"}); });
  std::thread second([&] { b = slipway_bounded({"create", "--format", "json"}); });
  first.join();
  second.join();
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.out << b.err;
  EXPECT_NE(json::parse(a.out).at("id"), json::parse(b.out).at("id"));
  EXPECT_EQ(listed().size(), 2u);
  auto all = slipway_bounded({"verify", "--all"});
  EXPECT_EQ(all.exit_code, 0) << all.out << all.err;
  EXPECT_NE(all.out.find("2 verified, 0 corrupt"), std::string::npos) << all.out;
}

// Each deploy's pre-deploy backup was unverified, so `check` blocked the next deploy: create
// --verify re-reads the new backup and records it as verified.
TEST_F(BackupCli, CreateWithVerifyRecordsTheNewBackupAsVerified) {
  seed_app(url);
  auto created = create_json({"--label", "pre-deploy", "--verify"});
  ASSERT_TRUE(created.is_object());
  EXPECT_EQ(created.at("verification").at("status").as_string(), "ok") << created;
  auto backups = listed();
  ASSERT_EQ(backups.size(), 1u);
  EXPECT_EQ(backups[0].at("verification").at("status").as_string(), "ok");
  EXPECT_TRUE(fs::exists(dir / "backups" / (std::string(created.at("id").as_string()) + ".verify.json")));
  auto text = slipway({"create", "--verify"});
  EXPECT_EQ(text.exit_code, 0) << text.out << text.err;
  EXPECT_NE(text.out.find("verified"), std::string::npos) << text.out;
}

}  // namespace
}  // namespace slipway::test
