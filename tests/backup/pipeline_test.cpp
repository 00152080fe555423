// The archive format, the key file, the manifest, the storage and the catalog, without a database.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "backup/key.hpp"
#include "backup/manifest.hpp"
#include "backup/pipeline.hpp"
#include "backup/repository.hpp"
#include "backup/storage.hpp"
#include "state/sqlite.hpp"

namespace slipway::backup {
namespace {

namespace fs = std::filesystem;

class Pipeline : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          (std::string("slipway-pipeline-") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    auto s = open_local_directory(dir);
    ASSERT_TRUE(s.has_value());
    storage = std::move(*s);
    key.bytes.fill(7);
  }
  void TearDown() override { fs::remove_all(dir); }

  // Encodes `data` into object `name`; returns the stats.
  StreamStats encode(const std::string& name, const std::string& data, const Key* k, std::size_t piece = 4096) {
    auto writer = storage->create(name);
    EXPECT_TRUE(writer.has_value());
    auto encoder = Encoder::create(**writer, 3, 2, k);
    EXPECT_TRUE(encoder.has_value());
    for (std::size_t i = 0; i < data.size(); i += piece) EXPECT_TRUE(encoder->write(data.substr(i, piece)));
    auto stats = encoder->finish();
    EXPECT_TRUE(stats.has_value());
    EXPECT_TRUE((*writer)->commit());
    return *stats;
  }
  DecodeResult decode_object(const std::string& name, const Key* k, std::string* out = nullptr) {
    auto reader = storage->open(name);
    EXPECT_TRUE(reader.has_value());
    auto r = decode(**reader, k != nullptr, k, [&](std::string_view b) -> Result<bool> {
      if (out) out->append(b);
      return true;
    });
    EXPECT_TRUE(r.has_value());
    return *r;
  }
  std::string bytes_of(const std::string& name) {
    std::ifstream in(dir / name, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  void overwrite(const std::string& name, const std::string& bytes) {
    std::ofstream(dir / name, std::ios::binary | std::ios::trunc) << bytes;
  }

  fs::path dir;
  std::unique_ptr<Storage> storage;
  Key key;
};

std::string random_text(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, ' ');
  for (char& c : s) c = static_cast<char>('a' + gen() % 16);
  return s;
}

TEST_F(Pipeline, RoundTripsWithAndWithoutAKeyAtAwkwardSizes) {
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{65536}, std::size_t{65537}, std::size_t{300000},
                           std::size_t{2'000'000}}) {
    SCOPED_TRACE(size);
    const std::string data = random_text(size, static_cast<unsigned>(size));
    for (const Key* k : {static_cast<const Key*>(nullptr), static_cast<const Key*>(&key)}) {
      const StreamStats in = encode("a", data, k);
      EXPECT_EQ(in.dump_bytes, size);
      EXPECT_EQ(in.archive_bytes, fs::file_size(dir / "a"));
      std::string out;
      const DecodeResult r = decode_object("a", k, &out);
      EXPECT_EQ(r.corrupt, "");
      EXPECT_EQ(out, data);
      EXPECT_EQ(r.stats.dump_sha256, in.dump_sha256);
      EXPECT_EQ(r.stats.archive_sha256, in.archive_sha256);
    }
  }
}

TEST_F(Pipeline, EveryFlippedByteOfAnEncryptedArchiveFailsToDecrypt) {
  // Incompressible enough to span several 64 KiB chunks.
  std::mt19937 gen(1);
  std::string data(200000, '\0');
  for (char& c : data) c = static_cast<char>(gen());
  encode("e", data, &key);
  const std::string original = bytes_of("e");
  ASSERT_GT(original.size(), 3 * 65536u);
  for (std::size_t pos = 0; pos < original.size(); pos += (pos < 64 ? 1 : 997)) {
    std::string damaged = original;
    damaged[pos] = static_cast<char>(damaged[pos] ^ 0x40);
    overwrite("e", damaged);
    EXPECT_NE(decode_object("e", &key).corrupt, "") << "flipped byte " << pos;
  }
  std::string last = original;
  last.back() = static_cast<char>(last.back() ^ 1);
  overwrite("e", last);
  EXPECT_NE(decode_object("e", &key).corrupt, "");
}

TEST_F(Pipeline, TruncationIsCorruptionWithAndWithoutAKey) {
  const std::string data = random_text(400000, 3);
  for (const Key* k : {static_cast<const Key*>(nullptr), static_cast<const Key*>(&key)}) {
    encode("t", data, k);
    const std::string original = bytes_of("t");
    // At a chunk boundary too: only the missing final tag tells.
    const std::size_t boundary = 8 + 24 + 65536 + 17;
    for (std::size_t keep : {std::size_t{0}, std::size_t{10}, boundary, original.size() / 2, original.size() - 1}) {
      overwrite("t", original.substr(0, keep));
      EXPECT_NE(decode_object("t", k).corrupt, "") << "kept " << keep << (k ? " encrypted" : "");
    }
    overwrite("t", original + "x");
    EXPECT_NE(decode_object("t", k).corrupt, "") << "appended a byte" << (k ? " encrypted" : "");
  }
}

TEST_F(Pipeline, ReadingWithAnotherKeyFails) {
  encode("k", random_text(1000, 4), &key);
  Key other;
  other.bytes.fill(8);
  EXPECT_NE(decode_object("k", &other).corrupt, "");
  EXPECT_NE(key.fingerprint(), other.fingerprint());
}

TEST(Compression, AcceptsZstdLevelsOnly) {
  EXPECT_EQ(*parse_compression("zstd:3", "x"), 3);
  EXPECT_EQ(*parse_compression("zstd:19", "x"), 19);
  EXPECT_EQ(*parse_compression("zstd", "x"), 3);
  for (const char* bad : {"zstd:0", "zstd:20", "zstd:", "gzip", "zstd:3x", ""}) {
    EXPECT_FALSE(parse_compression(bad, "x").has_value()) << bad;
  }
}

TEST(KeyFile, Takes32RawBytesOr64HexCharacters) {
  const std::string raw(32, '\x01');
  auto k = parse_key(raw, "k");
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(k->bytes[31], 1);
  auto hex = parse_key(std::string(62, '0') + "ff\n", "k");
  ASSERT_TRUE(hex.has_value());
  EXPECT_EQ(hex->bytes[31], 0xff);
  auto short_key = parse_key("abc", "backup.key");
  ASSERT_FALSE(short_key.has_value());
  EXPECT_NE(short_key.error().message.find("wrong size (3 bytes)"), std::string::npos);
  EXPECT_EQ(short_key.error().where, "backup.key");
  EXPECT_FALSE(parse_key(std::string(63, '0') + "g", "k").has_value());
  EXPECT_EQ(k->fingerprint().size(), 16u);
}

TEST(ManifestJson, RoundTripsAndRejectsWhatIsNotAManifest) {
  Manifest m;
  m.id = "20260312T101500Z-3fa9";
  m.created_at = "2026-03-12T10:15:00Z";
  m.label = "pre-deploy";
  m.database = "loans";
  m.database_url = "postgresql://app@db:5432/loans";
  m.archive = m.id + ".dump.zst.enc";
  m.encryption = "xchacha20poly1305-secretstream";
  m.key_fingerprint = "0123456789abcdef";
  m.archive_bytes = 1234;
  m.archive_sha256 = std::string(64, 'a');
  m.dump_bytes = 5678;
  m.dump_sha256 = std::string(64, 'b');
  m.tables = {{"public.loans", 12}, {"audit.Log", 0}};
  auto back = parse_manifest(to_json(m), "m");
  ASSERT_TRUE(back.has_value()) << back.error().render();
  EXPECT_EQ(back->id, m.id);
  EXPECT_EQ(back->key_fingerprint, m.key_fingerprint);
  EXPECT_EQ(back->tables.size(), 2u);
  EXPECT_EQ(back->tables[0].rows, 12u);
  EXPECT_EQ(back->total_rows(), 12u);
  EXPECT_TRUE(back->encrypted());

  m.encryption.clear();
  auto plain = parse_manifest(to_json(m), "m");
  ASSERT_TRUE(plain.has_value());
  EXPECT_FALSE(plain->encrypted());
  auto broken = parse_manifest("{\"format\":1,\"id\":\"x\"}", "x.manifest.json");
  ASSERT_FALSE(broken.has_value());
  EXPECT_EQ(broken.error().where, "x.manifest.json");
  EXPECT_FALSE(parse_manifest("not json", "m").has_value());

  // Well-formed JSON with values a manifest cannot hold.
  const auto rejects = [&](const std::string& from, const std::string& to) {
    std::string text = to_json(m);
    const std::size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return !parse_manifest(text, "m").has_value();
  };
  EXPECT_TRUE(rejects("\"bytes\":1234", "\"bytes\":-1"));
  EXPECT_TRUE(rejects("\"bytes\":1234", "\"bytes\":\"1234\""));
  EXPECT_TRUE(rejects("\"rows\":12", "\"rows\":-12"));
  EXPECT_TRUE(rejects("2026-03-12T10:15:00Z", "yesterday"));
  EXPECT_TRUE(rejects(std::string(64, 'a'), "aaaa"));
}

TEST_F(Pipeline, UncommittedObjectsAreInvisibleAndCleanedWhenTheirWriterIsGone) {
  {
    auto w = storage->create("half");
    ASSERT_TRUE(w.has_value());
    ASSERT_TRUE((*w)->write("partial"));
  }  // destroyed without commit: removed
  auto listed = storage->list();
  ASSERT_TRUE(listed.has_value());
  EXPECT_TRUE(listed->empty());

  // A writer that died (a child that exits without committing) leaves its temporary file.
  const pid_t pid = fork();
  if (pid == 0) {
    auto w = storage->create("dead.dump.zst");
    if (w) (void)(*w)->write("partial");
    _exit(0);  // no destructors: like kill -9
  }
  int status = 0;
  waitpid(pid, &status, 0);
  std::size_t temps = 0;
  for (const auto& e : fs::directory_iterator(dir)) temps += e.path().filename().string().starts_with(".tmp.");
  EXPECT_EQ(temps, 1u);
  EXPECT_TRUE(storage->list()->empty());
  auto removed = storage->remove_incomplete();
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(*removed, 1);
}

// A reader ran on as long as the file gave bytes (/dev/zero never ends): it stops at the size the
// object had when it was opened, and what is not a regular file is not opened at all.
TEST_F(Pipeline, ReaderStopsAtTheSizeAtOpenAndOnlyRegularFilesOpen) {
  ASSERT_TRUE(storage->put("grows", "12345"));
  auto reader = storage->open("grows");
  ASSERT_TRUE(reader.has_value());
  std::ofstream(dir / "grows", std::ios::app) << std::string(100000, 'x');
  std::string read;
  ASSERT_TRUE(read_all(**reader, [&](std::string_view block) -> Result<void> {
    read.append(block);
    return {};
  }));
  EXPECT_EQ(read, "12345");

  fs::create_symlink("/dev/zero", dir / "zero");
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  fs::create_directory(dir / "folder");
  for (const char* name : {"zero", "fifo", "folder", "../grows", "/etc/passwd"}) {
    auto refused = storage->open(name);
    ASSERT_FALSE(refused.has_value()) << name;
    EXPECT_EQ(refused.error().kind, ErrorKind::bad_input) << name << ": " << refused.error().render();
  }
}

TEST_F(Pipeline, RepositoryRemovesAnEntryManifestFirstAndCleansOrphans) {
  auto repo = Repository::open(std::move(storage));
  ASSERT_TRUE(repo.has_value());
  Manifest m;
  m.created_at = "2026-03-12T10:15:00Z";
  m.label = "manual";
  m.archive_sha256 = std::string(64, 'a');
  m.dump_sha256 = std::string(64, 'b');
  for (const char* id : {"20260312T101500Z-aaaa", "20260313T101500Z-bbbb"}) {
    m.id = id;
    m.archive = Repository::archive_name(id, false);
    ASSERT_TRUE(repo->storage().put(m.archive, "archive"));
    ASSERT_TRUE(repo->storage().put(Repository::manifest_name(id), to_json(m)));
  }
  ASSERT_TRUE(repo->storage().put("20260314T000000Z-cccc.dump.zst", "orphan: its create crashed"));
  auto entries = repo->list();
  ASSERT_TRUE(entries.has_value());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ(*repo->resolve("latest"), "20260313T101500Z-bbbb");
  EXPECT_EQ(*repo->resolve("20260312"), "20260312T101500Z-aaaa");
  EXPECT_FALSE(repo->resolve("2026031").has_value());  // ambiguous

  ASSERT_TRUE(repo->remove("20260312T101500Z-aaaa"));
  entries = repo->list();
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ(entries->front().id, "20260313T101500Z-bbbb");
  EXPECT_FALSE(fs::exists(dir / "20260312T101500Z-aaaa.dump.zst"));
  EXPECT_FALSE(repo->remove("20260312T101500Z-aaaa").has_value());

  auto cleaned = repo->clean_leftovers();
  ASSERT_TRUE(cleaned.has_value());
  EXPECT_EQ(*cleaned, 1);
  EXPECT_FALSE(fs::exists(dir / "20260314T000000Z-cccc.dump.zst"));
  EXPECT_TRUE(fs::exists(dir / "20260313T101500Z-bbbb.dump.zst"));
}

// The catalog is only an index: a file that is not a database, or one a newer Slipway wrote, is
// replaced; it uses the rollback journal (no -wal file beside the backups).
TEST_F(Pipeline, CatalogReplacesAForeignOrNewerFileAndKeepsNoWal) {
  const fs::path file = dir / "catalog.db";
  std::ofstream(file) << "not a database at all, but long enough to look like a header to a careless reader";
  {
    auto catalog = Catalog::open(file);
    ASSERT_TRUE(catalog.has_value()) << catalog.error().render();
    auto entries = catalog->entries();
    ASSERT_TRUE(entries.has_value());
    EXPECT_TRUE(entries->empty());
    EXPECT_FALSE(fs::exists(dir / "catalog.db-wal"));
  }
  {
    auto db = sqlite::Database::open(file);
    ASSERT_TRUE(db.has_value());
    ASSERT_TRUE(db->exec("CREATE TABLE future (x int); PRAGMA user_version = 9; PRAGMA journal_mode = DELETE"));
  }
  auto catalog = Catalog::open(file);
  ASSERT_TRUE(catalog.has_value()) << catalog.error().render();
  EXPECT_TRUE(catalog->entries().has_value());
  auto db = sqlite::Database::open(file);
  ASSERT_TRUE(db.has_value());
  EXPECT_EQ(*db->user_version(), 1);
}

}  // namespace
}  // namespace slipway::backup
