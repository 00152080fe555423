#include "backup/key.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/fs.hpp"
#include "core/hash.hpp"

namespace slipway::backup {

namespace {

constexpr std::string_view kFormats =
    "a key file holds 32 raw bytes or 64 hex characters; "
    "create one with `slipway backup keygen PATH`";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Key::fingerprint() const {
  Sha256 h;
  h.update("slipway-backup-key-v1");
  h.update(bytes.data(), bytes.size());
  return h.hex().substr(0, 16);
}

Result<Key> parse_key(std::string_view contents, const std::string& where) {
  Key key;
  if (contents.size() == key.bytes.size()) {
    std::memcpy(key.bytes.data(), contents.data(), key.bytes.size());
    return key;
  }
  std::string_view hex = contents;
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' ')) hex.remove_suffix(1);
  if (hex.size() != 2 * key.bytes.size()) {
    return fail(Error::input(fmt::format("the encryption key has the wrong size ({} bytes)", contents.size()), where,
                             std::string(kFormats)));
  }
  for (std::size_t i = 0; i < key.bytes.size(); ++i) {
    const int hi = hex_value(hex[2 * i]);
    const int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return fail(
          Error::input("the encryption key has 64 characters but is not hexadecimal", where, std::string(kFormats)));
    }
    key.bytes[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return key;
}

Result<Key> load_key(const std::filesystem::path& path) {
  auto text = read_text_file(path, kMaxKeyFileBytes);
  if (!text) {
    return fail(Error::input(text.error().message, path.string(),
                             "check backup.encryption_key_file, or create a key with `slipway backup keygen PATH`"));
  }
  auto key = parse_key(*text, path.string());
  sodium_memzero(text->data(), text->size());
  return key;
}

Result<Key> generate_key_file(const std::filesystem::path& path) {
  if (sodium_init() < 0) return fail(Error::environment("libsodium failed to initialise"));
  Key key;
  randombytes_buf(key.bytes.data(), key.bytes.size());
  const std::string text = to_hex(key.bytes.data(), key.bytes.size()) + "\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return fail(Error::input("a file is already there; a key is never overwritten", path.string(),
                               "choose another path, or move the old key away first (backups made with it need it)"));
    }
    return fail(Error::environment(fmt::format("cannot create: {}", std::strerror(errno)), path.string()));
  }
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return fail(Error::environment(fmt::format("cannot write: {}", std::strerror(errno)), path.string()));
  }
  return key;
}

}  // namespace slipway::backup
