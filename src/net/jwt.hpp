// JSON Web Token verification (RFC 7519, 7515, 7517, 7518), for the gate's admin bypass.
//
// A token is accepted only when all of these hold:
//   - it is three base64url parts, and its header names an algorithm this verifier holds a key
//     for: HS256/384/512 with the configured secret, RS256/384/512 with an RSA key, ES256/384
//     with an EC key on the matching curve. `alg: none` is never accepted, and the key decides
//     the family, so an RSA public key can never be used as an HMAC secret (algorithm confusion);
//   - the signature verifies (HMAC compared in constant time);
//   - `exp` (when present) is not past and `nbf` (when present) is not future, both with leeway;
//   - the claim at a dotted path ("role", "app_metadata.roles") holds one of the wanted values:
//     a string equal to one, or an array holding one; with no values, the claim must be `true`.
//
//   JwtVerifier v = *JwtVerifier::create({.secret = "s3cret"});
//   v.verify(token, now, "role", {"ADMIN"});  // {} or an Error saying why not
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/units.hpp"

namespace slipway::net {

struct JwtKeys;

class JwtVerifier {
 public:
  struct Options {
    std::string secret;          // HMAC secret; empty = no HS* algorithms
    std::string public_key_pem;  // an RSA or EC public key (PEM); empty = none
    std::string jwks_json;       // a JWK Set (RFC 7517); empty = none
    Duration leeway = std::chrono::seconds(30);
  };

  // Fails when a key cannot be read (the message says which and why).
  static Result<JwtVerifier> create(const Options& options);

  // {} when `token` is valid at `now` (Unix seconds) and its claim at `claim_path` holds one of
  // `values`; else an Error whose message says what was wrong (never the token itself).
  [[nodiscard]] Result<void> verify(std::string_view token, std::int64_t now, std::string_view claim_path,
                                    const std::vector<std::string>& values) const;

  // True when at least one key or secret is configured.
  [[nodiscard]] bool configured() const;

 private:
  std::shared_ptr<const JwtKeys> keys_;
};

}  // namespace slipway::net
