// Test keys and tokens, made with OpenSSL in the test: RSA and EC key pairs, their public keys as
// PEM and as a JWK Set, and JWTs signed with any of them (or with a chosen header).
#pragma once

#include <memory>
#include <string>

namespace slipway::test {

class KeyPair {
 public:
  static KeyPair rsa(int bits = 2048);
  static KeyPair ec(const char* curve = "P-256");
  [[nodiscard]] std::string public_pem() const;
  // {"kty":"RSA","kid":...,"n":...,"e":...} or {"kty":"EC","crv":"P-256","x":...,"y":...}
  [[nodiscard]] std::string jwk(const std::string& kid) const;
  // The JWS signature of `input` (ECDSA as r || s).
  [[nodiscard]] std::string sign(const std::string& alg, const std::string& input) const;

 private:
  std::shared_ptr<void> key_;
  bool ec_ = false;
};

// header.payload.signature with HMAC.
std::string hs_token(const std::string& alg, const std::string& secret, const std::string& payload_json,
                     const std::string& extra_header = "");
std::string signed_token(const KeyPair& key, const std::string& alg, const std::string& payload_json,
                         const std::string& kid = "");
// An unsigned token: {"alg":"none"}.
std::string none_token(const std::string& payload_json);

}  // namespace slipway::test
