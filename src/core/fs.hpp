// Small file helpers shared by every module.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace slipway {

// Caps for read_text_file: what a file of its kind can reasonably hold.
inline constexpr std::uint64_t kMaxConfigFileBytes = 16u << 20;  // slipway.toml, env files, flow files
inline constexpr std::uint64_t kMaxKeyFileBytes = 1u << 20;      // PEM keys, JWKS, backup keys
inline constexpr std::uint64_t kMaxTextFileBytes = 256u << 20;   // anything else read whole (SQL files)

// The whole file, or an input error naming the path when it cannot be opened, is not a regular
// file (a directory, FIFO, device or socket: checked on the opened descriptor, and a FIFO is never
// waited on), or holds more than `max_bytes`. Every file Slipway reads whole comes through here.
Result<std::string> read_text_file(const std::filesystem::path& path, std::uint64_t max_bytes = kMaxTextFileBytes);

// Writes `data` to a temporary file beside `path`, fsyncs it, and renames it over `path`, so a
// reader sees the old file or the new one, never half of one.
Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view data);

// A file written in pieces that appears under its name only when commit() succeeds: it is
// written to `temp` (beside `path`), fsynced, renamed over `path`, and the folder is fsynced so
// the rename survives a crash. Destroying an uncommitted AtomicFile removes the temporary file.
class AtomicFile {
 public:
  // Creates `temp` (default: "<path>.tmp.<pid>") with `mode`.
  static Result<AtomicFile> create(const std::filesystem::path& path, const std::filesystem::path& temp = {},
                                   unsigned mode = 0644);
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  ~AtomicFile();

  Result<void> write(std::string_view data);
  Result<void> commit();
  // Removes the temporary file; the target is untouched.
  void abort();

  [[nodiscard]] std::uint64_t bytes_written() const { return written_; }
  [[nodiscard]] const std::filesystem::path& temp_path() const { return temp_; }

 private:
  AtomicFile(std::filesystem::path path, std::filesystem::path temp, int fd);
  std::filesystem::path path_;
  std::filesystem::path temp_;
  int fd_ = -1;
  std::uint64_t written_ = 0;
};

// fsyncs a folder, so that a rename or unlink in it is durable.
Result<void> fsync_directory(const std::filesystem::path& dir);

}  // namespace slipway
