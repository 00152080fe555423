// A thin RAII layer over SQLite for Slipway's own files (the state store, the backup catalog).
//
//   auto db = sqlite::Database::open(path);            // WAL, foreign keys, 5 s busy timeout
//   auto st = db->prepare("SELECT name FROM t WHERE id = ?");
//   st->bind(1, id);
//   while (*st->step()) use(st->text(0));
//
// Errors come back as Error::environment (exit 3) naming the file and SQLite's message.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace slipway::sqlite {

class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  // Parameters are 1-based, as in SQLite.
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, double value);
  Statement& bind_null(int index);
  Statement& bind_optional(int index, const std::optional<std::string>& text);
  // Binds a named parameter ("$1", ":id"); false when the statement has no such parameter.
  bool bind_named(const std::string& name, std::string_view text);

  // True while there is a row to read; false when done.
  Result<bool> step();
  // Runs to completion (for statements that return no rows).
  Result<void> run();
  void reset();

  [[nodiscard]] std::string text(int column) const;  // "" for NULL
  [[nodiscard]] std::int64_t integer(int column) const;
  [[nodiscard]] double real(int column) const;
  [[nodiscard]] bool is_null(int column) const;
  [[nodiscard]] int columns() const;

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, std::string where);
  sqlite3_stmt* stmt_ = nullptr;
  std::string where_;
};

struct OpenOptions {
  // WAL journaling (readers never wait for the writer). Off: SQLite's rollback journal, for a
  // file in a folder that may be on a network file system, where WAL's shared memory fails.
  bool wal = true;
  std::chrono::milliseconds busy_timeout{5000};  // how long to wait for another writer
};

class Database {
 public:
  // Opens (creating the file and its folder when missing), with foreign keys on.
  static Result<Database> open(const std::filesystem::path& path, const OpenOptions& options = {});

  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  ~Database();

  Result<void> exec(const std::string& sql);
  Result<Statement> prepare(std::string_view sql);

  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT (ROLLBACK when it fails).
  Result<void> transaction(const std::function<Result<void>()>& body);

  // The schema version kept in PRAGMA user_version.
  Result<int> user_version();
  Result<void> set_user_version(int version);

  [[nodiscard]] std::int64_t last_insert_id() const;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  Database(sqlite3* db, std::filesystem::path path);
  [[nodiscard]] Error error(std::string_view what) const;
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
};

// Brings a database's schema up to date: `steps[i]` moves it from version i to i + 1. Each step
// runs in its own transaction with the version bump, so a crash leaves a whole version.
Result<void> migrate_schema(Database& db, std::span<const std::string_view> steps);

}  // namespace slipway::sqlite
