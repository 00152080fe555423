// Fuzzes JWT verification: every input is a token for verifiers holding an HMAC secret, an RSA
// key and an EC key (from a JWK Set), and is also read as a JWK Set itself. Every input must
// give a verdict or an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/base64.hpp"
#include "net/jwt.hpp"

namespace {

// Fixed public keys (RFC 7515 appendix A.2 and A.3).
constexpr const char* kJwks = R"({"keys":[
{"kty":"RSA","kid":"r1","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ","e":"AQAB"},
{"kty":"EC","kid":"e1","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})";

const slipway::net::JwtVerifier& verifier() {
  static const auto v = *slipway::net::JwtVerifier::create({.secret = "fuzz", .jwks_json = kJwks});
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)verifier().verify(text, 1'800'000'000, "role", {"ADMIN"});
  (void)verifier().verify(text, 1'800'000'000, "app_metadata.roles", {});
  for (auto variant : {slipway::Base64::url, slipway::Base64::standard}) {
    // A decoded text encodes back to itself (padding aside): the codec is libsodium's, strict.
    auto bytes = slipway::base64_decode(text, variant);
    if (bytes && variant == slipway::Base64::standard && slipway::base64_encode(*bytes, variant) != text) __builtin_trap();
  }
  if (size < 4096) (void)slipway::net::JwtVerifier::create({.jwks_json = text});
  return 0;
}
