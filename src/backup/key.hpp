// The encryption key of backup.encryption_key_file.
//
// The file holds a 256-bit key in one of two forms: exactly 32 raw bytes, or 64 hexadecimal
// characters (an optional trailing newline is allowed). `slipway backup keygen PATH` writes the
// hex form with mode 0600. A manifest records the key's fingerprint (the first 16 hex digits of
// SHA-256("slipway-backup-key-v1" || key)), so a wrong key is named before any decryption.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/error.hpp"

namespace slipway::backup {

struct Key {
  std::array<std::uint8_t, 32> bytes{};

  [[nodiscard]] std::string fingerprint() const;
};

// Reads and checks a key file; a wrong size or a non-hex character is an input error naming the
// file and the accepted forms.
Result<Key> load_key(const std::filesystem::path& path);
// Parses the contents of a key file (`where` names it in errors).
Result<Key> parse_key(std::string_view contents, const std::string& where);
// Writes a new random key as 64 hex digits and a newline, mode 0600. Refuses to overwrite.
Result<Key> generate_key_file(const std::filesystem::path& path);

}  // namespace slipway::backup
