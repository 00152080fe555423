#include "core/base64.hpp"

#include <sodium.h>

namespace slipway {

namespace {
int sodium_variant(Base64 variant) {
  return variant == Base64::url ? sodium_base64_VARIANT_URLSAFE_NO_PADDING : sodium_base64_VARIANT_ORIGINAL;
}

// Whether `c` belongs to the variant's alphabet ('=' is checked by libsodium, where it may stand).
bool in_alphabet(char c, Base64 variant) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return variant == Base64::url ? (c == '-' || c == '_') : (c == '+' || c == '/' || c == '=');
}

}  // namespace

std::string base64_encode(std::string_view bytes, Base64 variant) {
  const int v = sodium_variant(variant);
  std::string out(sodium_base64_encoded_len(bytes.size(), v), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), v);
  out.resize(out.size() - 1);  // the terminating NUL sodium writes
  return out;
}

Result<std::string> base64_decode(std::string_view text, Base64 variant) {
  if (variant == Base64::url)
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  // libsodium 1.0.18 decodes some bytes above 0x7f as if they were letters ("B\x9f2/" gives three
  // bytes): the alphabet is checked here first.
  for (char c : text)
    if (!in_alphabet(c, variant)) return fail(Error::input(variant == Base64::url ? "not base64url" : "not base64"));
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t size = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                        &size, &end, sodium_variant(variant)) != 0 ||
      end != text.data() + text.size()) {
    return fail(Error::input(variant == Base64::url ? "not base64url" : "not base64"));
  }
  out.resize(size);
  return out;
}

}  // namespace slipway
