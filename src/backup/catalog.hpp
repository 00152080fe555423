// The catalog: an SQLite index of the repository (catalog.db inside it), so `backup list` and
// retention read one table instead of every manifest.
//
// It is only an index. Each row remembers the stamps (storage.hpp) of the manifest and the
// verification record it was read from; sync() compares them with the repository's listing and
// re-reads what changed, drops rows whose manifest is gone, and adds new ones. A catalog that is
// missing, unreadable or of another schema version is rebuilt from the manifests.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backup/manifest.hpp"
#include "core/error.hpp"

namespace slipway::backup {

// One backup as listed.
struct Entry {
  std::string id;
  std::string created_at;  // RFC 3339 UTC
  std::string label;
  std::string database;
  std::uint64_t dump_bytes = 0;
  std::uint64_t archive_bytes = 0;
  std::uint64_t tables = 0;
  std::uint64_t rows = 0;
  bool encrypted = false;
  std::string verify_status = "never";  // "never", "ok" or "corrupt"
  std::string verified_at;              // RFC 3339 UTC, or ""
  std::string verify_message;
  std::optional<std::int64_t> restore_ms;  // the last --restore-test's restore time
  // Why the manifest cannot be read ("backups/<id>.manifest.json: not valid JSON: ..."), or "" for
  // a readable backup. A damaged backup has only its id, created_at from the id, and status
  // "corrupt"; Repository::list_all() returns such entries, the catalog never holds them.
  std::string damaged;

  // created_at as a time; an input error naming the backup when the manifest's text is not RFC 3339.
  [[nodiscard]] Result<std::chrono::system_clock::time_point> created() const;
  // The last verification passed (`backup verify`, with or without a restore test).
  [[nodiscard]] bool verified() const { return verify_status == "ok"; }
};

// A manifest that sync() could not read, and why.
struct Unreadable {
  std::string id;
  Error error;
};

// What sync() compares: an id's manifest and verification record, as stamps.
struct CatalogSource {
  std::string id;
  std::string manifest_stamp;
  std::string verify_stamp;  // "" when never verified
};

class Catalog {
 public:
  // Opens (creating) the SQLite file; an unreadable or foreign file is removed and recreated.
  static Result<Catalog> open(const std::filesystem::path& file);
  Catalog(Catalog&&) noexcept;
  Catalog& operator=(Catalog&&) noexcept;
  ~Catalog();

  // Brings the rows in step with `sources`: `load` reads an id's manifest and verification
  // record (nullopt record = never verified) when its stamps changed. Returns the ids whose
  // manifest could not be read, with why; they have no row.
  using Loader = std::function<Result<std::pair<Manifest, std::optional<VerifyRecord>>>(const std::string& id)>;
  Result<std::vector<Unreadable>> sync(const std::vector<CatalogSource>& sources, const Loader& load);
  // Every row, oldest first.
  Result<std::vector<Entry>> entries();
  // Drops every row (the next sync re-reads everything).
  Result<void> clear();

 private:
  struct Impl;
  explicit Catalog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace slipway::backup
