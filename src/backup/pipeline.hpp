// The archive format, both ways:
//
//   create:  pg_dump -Fc -Z0  ->  zstd  ->  [secretstream]  ->  object     (SHA-256 of both ends)
//   read:    object  ->  [secretstream]  ->  zstd  ->  pg_restore          (checked as it streams)
//
// Without a key the archive is one zstd frame with its content checksum, so
// `zstd -dc ARCHIVE | pg_restore ...` works without slipway. With a key it is:
//
//   "SLPWENC1"                8 bytes, the format
//   secretstream header       24 bytes (crypto_secretstream_xchacha20poly1305_HEADERBYTES)
//   chunk, chunk, ...         each 65536 bytes of zstd output + 17 bytes of tag and MAC;
//                             the last one may be shorter and carries TAG_FINAL
//
// Every chunk is authenticated, and the final tag proves the stream was not truncated; a flipped
// byte anywhere fails decryption (or, unencrypted, the SHA-256 of the archive and zstd's checksum).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "backup/key.hpp"
#include "backup/storage.hpp"
#include "core/error.hpp"

namespace slipway::backup {

inline constexpr std::string_view kEncryptionName = "xchacha20poly1305-secretstream";

// "zstd:N" (N from 1 to 19) or "zstd" (level 3); anything else is an input error.
Result<int> parse_compression(const std::string& text, const std::string& where);

struct StreamStats {
  std::uint64_t dump_bytes = 0;  // pg_dump's side
  std::string dump_sha256;
  std::uint64_t archive_bytes = 0;  // the stored side
  std::string archive_sha256;
};

// Compresses, hashes and (with a key) encrypts what write() gets into `out`.
class Encoder {
 public:
  // `threads` zstd workers (0 = one per core); `key` may be null.
  static Result<Encoder> create(ObjectWriter& out, int level, int threads, const Key* key);
  Encoder(Encoder&&) noexcept;
  Encoder& operator=(Encoder&&) noexcept;
  ~Encoder();

  Result<void> write(std::string_view dump_bytes);
  // Flushes the last frame and chunk; the writer is not committed.
  Result<StreamStats> finish();

 private:
  struct Impl;
  explicit Encoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Where decoded dump bytes go. Returning false means the receiver has stopped reading (pg_restore
// --list exits after the table of contents); decoding goes on to the end to check the archive.
using DumpSink = std::function<Result<bool>(std::string_view)>;

struct DecodeResult {
  StreamStats stats;
  std::string corrupt;  // what is wrong with the archive ("decryption failed at byte 65568"), or ""
};

// Reads `in` to the end, decrypting with `key` when the archive is encrypted, decompressing, and
// passing the dump to `sink`. Damage is reported in DecodeResult::corrupt; an Error is an I/O or
// sink failure. `progress` gets the archive bytes read so far.
Result<DecodeResult> decode(ObjectReader& in, bool encrypted, const Key* key, const DumpSink& sink,
                            const std::function<void(std::uint64_t)>& progress = {});

// SHA-256 of an object's bytes, and how many there are.
Result<std::pair<std::string, std::uint64_t>> hash_object(ObjectReader& in,
                                                          const std::function<void(std::uint64_t)>& progress = {});

}  // namespace slipway::backup
