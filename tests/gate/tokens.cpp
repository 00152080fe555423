#include "tokens.hpp"
#include "core/base64.hpp"

#include <stdexcept>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "net/jwt.hpp"

namespace slipway::test {
namespace {

EVP_PKEY* pkey(const std::shared_ptr<void>& p) {
  return static_cast<EVP_PKEY*>(p.get());
}

std::string bn_bytes(const BIGNUM* n, int width = 0) {
  std::string out(static_cast<std::size_t>(width ? width : BN_num_bytes(n)), '\0');
  BN_bn2binpad(n, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  return out;
}

const EVP_MD* digest(const std::string& alg) {
  if (alg.ends_with("384")) return EVP_sha384();
  if (alg.ends_with("512")) return EVP_sha512();
  return EVP_sha256();
}

}  // namespace

KeyPair KeyPair::rsa(int bits) {
  KeyPair k;
  EVP_PKEY* p = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits));
  if (!p) throw std::runtime_error("RSA keygen");
  k.key_ = std::shared_ptr<void>(p, [](void* x) { EVP_PKEY_free(static_cast<EVP_PKEY*>(x)); });
  return k;
}

KeyPair KeyPair::ec(const char* curve) {
  KeyPair k;
  EVP_PKEY* p = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
  if (!p) throw std::runtime_error("EC keygen");
  k.key_ = std::shared_ptr<void>(p, [](void* x) { EVP_PKEY_free(static_cast<EVP_PKEY*>(x)); });
  k.ec_ = true;
  return k;
}

std::string KeyPair::public_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, pkey(key_));
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

std::string KeyPair::jwk(const std::string& kid) const {
  const auto base64url_encode = [](std::string_view b) { return base64_encode(b, Base64::url); };
  if (!ec_) {
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    EVP_PKEY_get_bn_param(pkey(key_), OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(pkey(key_), OSSL_PKEY_PARAM_RSA_E, &e);
    std::string out = "{\"kty\":\"RSA\",\"kid\":\"" + kid + "\",\"n\":\"" + base64url_encode(bn_bytes(n)) +
                      "\",\"e\":\"" + base64url_encode(bn_bytes(e)) + "\"}";
    BN_free(n);
    BN_free(e);
    return out;
  }
  BIGNUM* x = nullptr;
  BIGNUM* y = nullptr;
  EVP_PKEY_get_bn_param(pkey(key_), OSSL_PKEY_PARAM_EC_PUB_X, &x);
  EVP_PKEY_get_bn_param(pkey(key_), OSSL_PKEY_PARAM_EC_PUB_Y, &y);
  const int width = (EVP_PKEY_get_bits(pkey(key_)) + 7) / 8;
  const std::string crv = width == 32 ? "P-256" : "P-384";
  std::string out = "{\"kty\":\"EC\",\"kid\":\"" + kid + "\",\"crv\":\"" + crv + "\",\"x\":\"" +
                    base64url_encode(bn_bytes(x, width)) + "\",\"y\":\"" + base64url_encode(bn_bytes(y, width)) + "\"}";
  BN_free(x);
  BN_free(y);
  return out;
}

std::string KeyPair::sign(const std::string& alg, const std::string& input) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t len = 0;
  EVP_DigestSignInit(ctx, nullptr, digest(alg), nullptr, pkey(key_));
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  std::string sig(len, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  if (!ec_) return sig;
  const auto* der = reinterpret_cast<const unsigned char*>(sig.data());
  ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(sig.size()));
  const int width = (EVP_PKEY_get_bits(pkey(key_)) + 7) / 8;
  std::string raw = bn_bytes(ECDSA_SIG_get0_r(es), width) + bn_bytes(ECDSA_SIG_get0_s(es), width);
  ECDSA_SIG_free(es);
  return raw;
}

std::string hs_token(const std::string& alg, const std::string& secret, const std::string& payload_json,
                     const std::string& extra_header) {
  const auto base64url_encode = [](std::string_view b) { return base64_encode(b, Base64::url); };
  const std::string input = base64url_encode("{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"" + extra_header + "}") + "." +
                            base64url_encode(payload_json);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(digest(alg), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + base64url_encode(std::string(reinterpret_cast<char*>(mac), len));
}

std::string signed_token(const KeyPair& key, const std::string& alg, const std::string& payload_json,
                         const std::string& kid) {
  const auto base64url_encode = [](std::string_view b) { return base64_encode(b, Base64::url); };
  std::string header = "{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"";
  if (!kid.empty()) header += ",\"kid\":\"" + kid + "\"";
  header += "}";
  const std::string input = base64url_encode(header) + "." + base64url_encode(payload_json);
  return input + "." + base64url_encode(key.sign(alg, input));
}

std::string none_token(const std::string& payload_json) {
  const auto base64url_encode = [](std::string_view b) { return base64_encode(b, Base64::url); };
  return base64url_encode("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + base64url_encode(payload_json) + ".";
}

}  // namespace slipway::test
