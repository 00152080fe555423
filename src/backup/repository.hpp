// The backup repository: a Storage (storage.hpp) holding, per backup,
//
//   <id>.dump.zst       or <id>.dump.zst.enc   the archive (pipeline.hpp), written first
//   <id>.manifest.json                         the manifest (manifest.hpp), written last
//   <id>.verify.json                           the last verification, when there was one
//
// and catalog.db, the SQLite index (catalog.hpp), kept in step on every open. Ids sort by time:
// "20260312T101500Z-3fa9" is UTC time and four random hex digits.
//
// The archive's name is never taken from the manifest: it is <id>.dump.zst, or .dump.zst.enc when
// the manifest says encrypted, and a manifest whose archive.name or id says otherwise is damaged.
// A damaged manifest (unreadable, not JSON, a field missing or mistyped) makes a corrupt backup:
// list_all() shows it, `verify --all` counts it, retention never plans it (so prune keeps it).
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

  // Every backup whose manifest can be read, oldest first, from the catalog after a sync.
  Result<std::vector<Entry>> list();
  // list() and the damaged backups (Entry::damaged says why, status "corrupt"), oldest first.
  Result<std::vector<Entry>> list_all();
  // An id, a unique prefix of one, or "latest" (the newest backup, damaged or not), of any backup
  // list_all() shows. An input error (exit 2) otherwise.
  Result<std::string> resolve(const std::string& ref);
  // The manifest of `id`; an input error naming its file when it is damaged, its id is not `id`,
  // or its archive.name is not archive_name(id, encrypted).
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
