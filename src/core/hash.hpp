// Checksums: SHA-256 (libsodium) for files, archives and Prisma's migration checksum; CRC-32 for
// Flyway's migration checksum. One implementation each, shared by migrate/ and backup/.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace slipway {

// Incremental SHA-256: update() any number of times, then hex() or digest() once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(std::string_view bytes);
  void update(const void* data, std::size_t size);
  [[nodiscard]] std::array<std::uint8_t, 32> digest();
  [[nodiscard]] std::string hex();  // 64 lowercase hex digits

 private:
  struct State;
  std::unique_ptr<State> state_;
};

[[nodiscard]] std::string sha256_hex(std::string_view bytes);

// CRC-32 (IEEE 802.3, the polynomial of zlib and java.util.zip.CRC32). `crc` continues a
// running checksum; start with 0.
[[nodiscard]] std::uint32_t crc32(std::string_view bytes, std::uint32_t crc = 0);

[[nodiscard]] std::string to_hex(const std::uint8_t* data, std::size_t size);

}  // namespace slipway
