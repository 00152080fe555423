#include "state/sqlite.hpp"

#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <sqlite3.h>

#include <system_error>

namespace slipway::sqlite {

namespace {

Error db_error(std::string_view where, std::string_view what, std::string_view message) {
  return Error::environment(fmt::format("{}: {}", what, message), std::string(where),
                            "check the file's permissions and free space; if it is damaged, move it aside");
}

}  // namespace

// --- Statement ---

Statement::Statement(sqlite3_stmt* stmt, std::string where) : stmt_(stmt), where_(std::move(where)) {}
Statement::Statement(Statement&& o) noexcept : stmt_(std::exchange(o.stmt_, nullptr)), where_(std::move(o.where_)) {}
Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(o.stmt_, nullptr);
    where_ = std::move(o.where_);
  }
  return *this;
}
Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}
Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}
Statement& Statement::bind_optional(int index, const std::optional<std::string>& text) {
  return text ? bind(index, std::string_view(*text)) : bind_null(index);
}

bool Statement::bind_named(const std::string& name, std::string_view text) {
  const int index = sqlite3_bind_parameter_index(stmt_, name.c_str());
  if (index == 0) return false;
  bind(index, text);
  return true;
}

Result<bool> Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return fail(db_error(where_, "query failed", sqlite3_errmsg(sqlite3_db_handle(stmt_))));
}

Result<void> Statement::run() {
  while (true) {
    auto row = step();
    if (!row) return fail(row.error());
    if (!*row) return {};
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Statement::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  if (!p) return {};
  return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}
std::int64_t Statement::integer(int column) const {
  return sqlite3_column_int64(stmt_, column);
}
double Statement::real(int column) const {
  return sqlite3_column_double(stmt_, column);
}
bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}
int Statement::columns() const {
  return sqlite3_column_count(stmt_);
}

// --- Database ---

Database::Database(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}
Database::Database(Database&& o) noexcept : db_(std::exchange(o.db_, nullptr)), path_(std::move(o.path_)) {}
Database& Database::operator=(Database&& o) noexcept {
  if (this != &o) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(o.db_, nullptr);
    path_ = std::move(o.path_);
  }
  return *this;
}
Database::~Database() {
  sqlite3_close_v2(db_);
}

Error Database::error(std::string_view what) const {
  return db_error(path_.string(), what, sqlite3_errmsg(db_));
}

Result<Database> Database::open(const std::filesystem::path& path, const OpenOptions& options) {
  if (path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec)
      return fail(Error::environment(fmt::format("cannot create {}: {}", path.parent_path().string(), ec.message()),
                                     path.string(), "check the folder's permissions"));
  }
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  Database db(raw, path);
  if (rc != SQLITE_OK) return fail(db.error("cannot open"));
  sqlite3_busy_timeout(raw, static_cast<int>(options.busy_timeout.count()));
  // Two first openers of a new file: the one that turns WAL on second gets SQLITE_BUSY without
  // SQLite calling the busy handler (a journal mode change is not retried), so retry here, for as
  // long as the busy timeout.
  const auto deadline = std::chrono::steady_clock::now() + options.busy_timeout;
  while (true) {
    auto r = db.exec(options.wal ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                                 : "PRAGMA foreign_keys=ON;");
    if (r) break;
    if (sqlite3_errcode(raw) != SQLITE_BUSY || std::chrono::steady_clock::now() >= deadline) return fail(r.error());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return db;
}

Result<void> Database::exec(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    Error e = db_error(path_.string(), "statement failed", message ? message : "unknown error");
    sqlite3_free(message);
    return fail(std::move(e));
  }
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK)
    return fail(error("cannot prepare a statement"));
  return Statement(stmt, path_.string());
}

Result<void> Database::transaction(const std::function<Result<void>()>& body) {
  if (auto r = exec("BEGIN IMMEDIATE"); !r) return r;
  auto result = body();
  if (!result) {
    (void)exec("ROLLBACK");
    return result;
  }
  if (auto r = exec("COMMIT"); !r) {
    (void)exec("ROLLBACK");
    return r;
  }
  return {};
}

Result<int> Database::user_version() {
  auto st = prepare("PRAGMA user_version");
  if (!st) return fail(st.error());
  auto row = st->step();
  if (!row) return fail(row.error());
  return static_cast<int>(st->integer(0));
}

Result<void> Database::set_user_version(int version) {
  return exec(fmt::format("PRAGMA user_version = {}", version));
}

std::int64_t Database::last_insert_id() const {
  return sqlite3_last_insert_rowid(db_);
}

Result<void> migrate_schema(Database& db, std::span<const std::string_view> steps) {
  auto version = db.user_version();
  if (!version) return fail(version.error());
  if (*version > static_cast<int>(steps.size()))
    return fail(
        Error::environment(fmt::format("{} was written by a newer Slipway (schema version {}, this one knows {})",
                                       db.path().string(), *version, steps.size()),
                           db.path().string(), "upgrade slipway, or point state.url at another file"));
  for (auto v = static_cast<std::size_t>(*version); v < steps.size(); ++v) {
    auto r = db.transaction([&]() -> Result<void> {
      // Two first openers both read version 0: the one that waited for the write lock finds the
      // step taken by the other.
      auto now = db.user_version();
      if (!now) return fail(now.error());
      if (*now > static_cast<int>(v)) return {};
      if (auto e = db.exec(std::string(steps[v])); !e) return e;
      return db.set_user_version(static_cast<int>(v + 1));
    });
    if (!r) return r;
  }
  return {};
}

}  // namespace slipway::sqlite
