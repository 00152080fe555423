// Where backups are kept: a flat namespace of named objects, written atomically.
//
// The repository (repository.hpp) stores three objects per backup, and nothing here knows what
// they mean. An object becomes visible under its name only when its writer commits, so a crash
// leaves either nothing or a leftover that list() does not show and remove_incomplete() clears.
// A local folder implements it today; S3-compatible object storage fits the same interface
// (multipart upload = writer, GET = reader, ListObjectsV2 = list, DeleteObject = remove).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace slipway::backup {

struct ObjectInfo {
  std::string name;
  std::uint64_t size = 0;
  std::string stamp;  // changes whenever the object is rewritten (local: size and mtime; S3: ETag)
};

class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;  // an object not committed is discarded
  virtual Result<void> write(std::string_view data) = 0;
  // Makes the object durable and visible under its name, replacing any object of that name.
  virtual Result<void> commit() = 0;
};

class ObjectReader {
 public:
  virtual ~ObjectReader() = default;
  // Up to `size` bytes; 0 at the end.
  virtual Result<std::size_t> read(void* data, std::size_t size) = 0;
  [[nodiscard]] virtual std::uint64_t size() const = 0;
};

// Held by writers that clean up (create, prune) so that cleaning never races another writer.
class StorageLock {
 public:
  virtual ~StorageLock() = default;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // "backups/" or "s3://bucket/prefix/", for messages.
  [[nodiscard]] virtual std::string describe() const = 0;
  // A new object `name`; `private_data` asks for owner-only access where the store has modes.
  virtual Result<std::unique_ptr<ObjectWriter>> create(const std::string& name, bool private_data = false) = 0;
  // An input error naming the object when it does not exist, when `name` is not a flat object
  // name, or when it is not a regular file (a symbolic link, FIFO, device or folder). The reader
  // reads no more than size(), the object's size when it was opened.
  virtual Result<std::unique_ptr<ObjectReader>> open(const std::string& name) = 0;
  // Committed objects only, sorted by name.
  virtual Result<std::vector<ObjectInfo>> list() = 0;
  // Removes `name`; removing an object that is not there is not an error.
  virtual Result<void> remove(const std::string& name) = 0;
  // Removes what writers left behind when they died before commit(); returns how many.
  virtual Result<int> remove_incomplete() = 0;
  // Waits for, then holds, the store's writer lock.
  virtual Result<std::unique_ptr<StorageLock>> lock() = 0;
  // The local folder, when the store is one (the catalog lives there).
  [[nodiscard]] virtual std::filesystem::path local_directory() const = 0;

  // create() + write() + commit() of a small object.
  Result<void> put(const std::string& name, std::string_view data, bool private_data = false);
  // The whole of a small object (a manifest, a verification record): an input error when it is
  // larger than kMaxSmallObject.
  Result<std::string> get(const std::string& name);
  static constexpr std::uint64_t kMaxSmallObject = 64 * 1024 * 1024;
};

// Reads `in` to the end in blocks of up to 256 KiB, passing each to `block`; stops at the first
// error, the reader's or the callback's.
Result<void> read_all(ObjectReader& in, const std::function<Result<void>(std::string_view)>& block);

// A local folder, created (mode 0700) when missing. Writers write ".tmp.<pid>.<name>" and rename
// it over <name> after fsync, then fsync the folder. Names starting with "." are never listed.
Result<std::unique_ptr<Storage>> open_local_directory(const std::filesystem::path& dir);

}  // namespace slipway::backup
