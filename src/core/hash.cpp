#include "core/hash.hpp"

#include <sodium.h>

#include <stdexcept>

namespace slipway {

struct Sha256::State {
  crypto_hash_sha256_state s;
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  crypto_hash_sha256_init(&state_->s);
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, std::size_t size) {
  crypto_hash_sha256_update(&state_->s, static_cast<const unsigned char*>(data), size);
}
void Sha256::update(std::string_view bytes) {
  update(bytes.data(), bytes.size());
}

std::array<std::uint8_t, 32> Sha256::digest() {
  std::array<std::uint8_t, 32> out{};
  crypto_hash_sha256_final(&state_->s, out.data());
  return out;
}

std::string Sha256::hex() {
  const auto d = digest();
  return to_hex(d.data(), d.size());
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 h;
  h.update(bytes);
  return h.hex();
}

std::string to_hex(const std::uint8_t* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xF];
  }
  return out;
}

namespace {
constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1U) ? 0xEDB88320U ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr auto kCrcTable = make_crc_table();
}  // namespace

std::uint32_t crc32(std::string_view bytes, std::uint32_t crc) {
  crc = ~crc;
  for (const unsigned char b : bytes) crc = kCrcTable[(crc ^ b) & 0xFFU] ^ (crc >> 8);
  return ~crc;
}

}  // namespace slipway
