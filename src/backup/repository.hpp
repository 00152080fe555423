// The backup repository: a Storage (storage.hpp) holding, per backup,
//
//   <id>.dump.zst       or <id>.dump.zst.enc   the archive (pipeline.hpp), written first
//   <id>.manifest.json                         the manifest (manifest.hpp), written last
//   <id>.verify.json                           the last verification, when there was one
//
// and catalog.db, the SQLite index (catalog.hpp), kept in step on every open. Ids sort by time:
// "20260312T101500Z-3fa9" is UTC time and four random hex digits.
//
// A backup exists when its manifest does. Removing one deletes the manifest first, so a crash
// half-way leaves a leftover archive, never an entry that looks complete; clean_leftovers() (run
// by create, under the writer lock) deletes leftovers.
#pragma once

#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "backup/catalog.hpp"
#include "backup/manifest.hpp"
#include "backup/storage.hpp"
#include "core/error.hpp"

namespace slipway::backup {

class Repository {
 public:
  // Opens a local folder (created when missing) and its catalog, synced with the manifests.
  static Result<Repository> open_local(const std::filesystem::path& dir);
  // Opens any storage; the catalog lives in its local directory.
  static Result<Repository> open(std::unique_ptr<Storage> storage);

  Repository(Repository&&) noexcept;
  Repository& operator=(Repository&&) noexcept;
  ~Repository();

  [[nodiscard]] Storage& storage();

  static std::string manifest_name(const std::string& id);
  static std::string verify_name(const std::string& id);
  static std::string archive_name(const std::string& id, bool encrypted);
  static std::string new_id(std::time_t when);

  // Every complete backup, oldest first, from the catalog after a sync.
  Result<std::vector<Entry>> list();
  // Manifests that could not be read in the last sync ("id: why"); list() skips them.
  [[nodiscard]] const std::vector<std::string>& warnings() const;
  // An id, a unique prefix of one, or "latest". An input error (exit 2) otherwise.
  Result<std::string> resolve(const std::string& ref);
  Result<Manifest> manifest(const std::string& id);
  // Stores a verification result beside the manifest and updates the catalog.
  Result<void> record_verification(const std::string& id, const VerifyRecord& record);
  // Deletes one backup: manifest first, then archive and verification record.
  Result<void> remove(const std::string& id);
  // Empties the catalog and re-reads every manifest.
  Result<void> rebuild_catalog();
  // Deletes what crashed writers left: temporary objects, archives and records without a
  // manifest. Call with storage().lock() held. Returns how many objects went.
  Result<int> clean_leftovers();
  // Re-reads what changed since the catalog was last in step.
  Result<void> sync();

 private:
  struct Impl;
  explicit Repository(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace slipway::backup
