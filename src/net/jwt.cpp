#include "net/jwt.hpp"

#include "core/base64.hpp"

#include <array>
#include <cmath>

#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <boost/json.hpp>

namespace slipway::net {
namespace json = boost::json;

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

enum class Family { hmac, rsa, ec };

struct Algorithm {
  std::string_view name;
  Family family;
  const EVP_MD* (*digest)();
  std::string_view curve;  // EC only: the OpenSSL group name
  std::size_t coordinate;  // EC only: bytes in r and in s
};

constexpr std::array<Algorithm, 8> kAlgorithms{{
    {"HS256", Family::hmac, EVP_sha256, "", 0},
    {"HS384", Family::hmac, EVP_sha384, "", 0},
    {"HS512", Family::hmac, EVP_sha512, "", 0},
    {"RS256", Family::rsa, EVP_sha256, "", 0},
    {"RS384", Family::rsa, EVP_sha384, "", 0},
    {"RS512", Family::rsa, EVP_sha512, "", 0},
    {"ES256", Family::ec, EVP_sha256, "prime256v1", 32},
    {"ES384", Family::ec, EVP_sha384, "secp384r1", 48},
}};

const Algorithm* find_algorithm(std::string_view name) {
  for (const auto& a : kAlgorithms) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

}  // namespace

struct PublicKey {
  std::string kid;  // empty for a PEM key
  std::string alg;  // the JWK's "alg", when it names one
  Family family = Family::rsa;
  std::string curve;  // EC only
  std::shared_ptr<EVP_PKEY> key;
};

struct JwtKeys {
  std::string secret;
  std::vector<PublicKey> keys;
  Duration leeway{};
};

namespace {

Result<std::string> base64_decode_url(std::string_view text) {
  return base64_decode(text, Base64::url);
}

Result<PublicKey> describe(EVP_PKEY* raw, std::string where) {
  PublicKey k;
  k.key = std::shared_ptr<EVP_PKEY>(raw, EVP_PKEY_free);
  const int id = EVP_PKEY_get_base_id(raw);
  if (id == EVP_PKEY_RSA) {
    k.family = Family::rsa;
    if (EVP_PKEY_get_bits(raw) < 2048) {
      return fail(
          Error::input("the RSA key is shorter than 2048 bits", std::move(where), "use a 2048-bit key or longer"));
    }
  } else if (id == EVP_PKEY_EC) {
    k.family = Family::ec;
    char group[64] = {};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(raw, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) != 1) {
      return fail(Error::input("cannot read the EC key's curve", std::move(where)));
    }
    k.curve.assign(group, len);
  } else {
    return fail(Error::input("the key is neither RSA nor EC", std::move(where),
                             "give an RSA (RS256) or P-256 EC (ES256) public key"));
  }
  return k;
}

Result<PublicKey> read_pem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* raw = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!raw) {
    return fail(Error::input("gate.admin.jwt_public_key is not a PEM public key", "",
                             "export it with `openssl pkey -pubout`; it starts with -----BEGIN PUBLIC KEY-----"));
  }
  return describe(raw, "gate.admin.jwt_public_key");
}

std::string member_string(const json::object& o, std::string_view name) {
  if (const auto* v = o.if_contains(name); v && v->is_string()) return std::string(v->as_string());
  return {};
}

Result<PublicKey> read_jwk(const json::object& jwk, std::size_t index) {
  const std::string where = fmt::format("gate.admin.jwks_file: keys[{}]", index);
  const std::string kty = member_string(jwk, "kty");
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  std::vector<BIGNUM*> numbers;
  std::string point;
  const char* type = nullptr;
  const auto cleanup = [&] {
    for (BIGNUM* n : numbers) BN_free(n);
    OSSL_PARAM_BLD_free(bld);
  };
  const auto number = [&](std::string_view name) -> BIGNUM* {
    auto bytes = base64_decode_url(member_string(jwk, name));
    if (!bytes || bytes->empty()) return nullptr;
    BIGNUM* n =
        BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes->data()), static_cast<int>(bytes->size()), nullptr);
    numbers.push_back(n);
    return n;
  };
  if (kty == "RSA") {
    type = "RSA";
    BIGNUM* n = number("n");
    BIGNUM* e = number("e");
    if (!n || !e) {
      cleanup();
      return fail(Error::input("an RSA key needs base64url \"n\" and \"e\"", where));
    }
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
  } else if (kty == "EC") {
    type = "EC";
    const std::string crv = member_string(jwk, "crv");
    const char* group = crv == "P-256" ? "prime256v1" : crv == "P-384" ? "secp384r1" : nullptr;
    auto x = base64_decode_url(member_string(jwk, "x"));
    auto y = base64_decode_url(member_string(jwk, "y"));
    if (!group || !x || !y || x->empty() || x->size() != y->size()) {
      cleanup();
      return fail(Error::input("an EC key needs \"crv\" P-256 or P-384 and base64url \"x\" and \"y\"", where));
    }
    point = "\x04" + *x + *y;
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  } else {
    cleanup();
    return fail(Error::input(fmt::format("unsupported key type \"{}\"", kty), where, "use RSA or EC keys"));
  }
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* raw = nullptr;
  const bool ok = ctx && params && EVP_PKEY_fromdata_init(ctx) == 1 &&
                  EVP_PKEY_fromdata(ctx, &raw, EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  cleanup();
  if (!ok || !raw) return fail(Error::input("the key's numbers do not make a valid public key", where));
  auto key = describe(raw, where);
  if (!key) return key;
  key->kid = member_string(jwk, "kid");
  key->alg = member_string(jwk, "alg");
  return key;
}

Result<std::vector<PublicKey>> read_jwks(const std::string& text) {
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  const json::array* keys = nullptr;
  if (!ec && doc.is_object()) {
    if (const auto* k = doc.as_object().if_contains("keys"); k && k->is_array()) keys = &k->as_array();
  }
  if (!keys) {
    return fail(Error::input("gate.admin.jwks_file is not a JWK Set", "",
                             "it must be JSON like {\"keys\": [{\"kty\": \"RSA\", \"n\": ..., \"e\": ...}]}"));
  }
  std::vector<PublicKey> out;
  for (std::size_t i = 0; i < keys->size(); ++i) {
    if (!(*keys)[i].is_object()) continue;
    const auto& jwk = (*keys)[i].as_object();
    if (const std::string use = member_string(jwk, "use"); !use.empty() && use != "sig") continue;
    auto key = read_jwk(jwk, i);
    if (!key) return fail(key.error());
    out.push_back(std::move(*key));
  }
  return out;
}

bool verify_hmac(const Algorithm& alg, const std::string& secret, std::string_view input, std::string_view sig) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(alg.digest(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len)) {
    return false;
  }
  return sig.size() == len && CRYPTO_memcmp(mac, sig.data(), len) == 0;
}

// JWS carries ECDSA signatures as r || s; OpenSSL wants DER.
std::string ecdsa_raw_to_der(std::string_view raw, std::size_t coordinate) {
  if (raw.size() != 2 * coordinate) return {};
  ECDSA_SIG* sig = ECDSA_SIG_new();
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(bytes, static_cast<int>(coordinate), nullptr);
  BIGNUM* s = BN_bin2bn(bytes + coordinate, static_cast<int>(coordinate), nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &der);
  std::string out;
  if (len > 0) out.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

bool verify_public(const Algorithm& alg, EVP_PKEY* key, std::string_view input, std::string_view sig) {
  std::string der;
  if (alg.family == Family::ec) {
    der = ecdsa_raw_to_der(sig, alg.coordinate);
    if (der.empty()) return false;
    sig = der;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = EVP_DigestVerifyInit(ctx, nullptr, alg.digest(), nullptr, key) == 1 &&
                  EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                                   reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

Result<json::object> decode_object(std::string_view part, std::string_view what) {
  auto bytes = base64_decode_url(part);
  if (!bytes) return fail(Error::input(fmt::format("the token's {} is not base64url", what)));
  boost::system::error_code ec;
  json::value v = json::parse(*bytes, ec);
  if (ec || !v.is_object()) return fail(Error::input(fmt::format("the token's {} is not a JSON object", what)));
  return std::move(v.as_object());
}

// A NumericDate (RFC 7519 section 2); nullopt when absent, an error when not a number.
Result<std::optional<double>> numeric_date(const json::object& claims, std::string_view name) {
  const json::value* v = claims.if_contains(name);
  if (!v) return std::optional<double>{};
  if (v->is_int64()) return std::optional<double>(static_cast<double>(v->as_int64()));
  if (v->is_uint64()) return std::optional<double>(static_cast<double>(v->as_uint64()));
  if (v->is_double() && std::isfinite(v->as_double())) return std::optional<double>(v->as_double());
  return fail(Error::input(fmt::format("the token's \"{}\" is not a number", name)));
}

const json::value* find_claim(const json::object& claims, std::string_view path) {
  // A namespaced claim ("https://example.com/roles") is one key, dots and all.
  if (const auto* v = claims.if_contains(path)) return v;
  const json::object* at = &claims;
  while (true) {
    const auto dot = path.find('.');
    const json::value* v = at->if_contains(path.substr(0, dot));
    if (!v || dot == std::string_view::npos) return v;
    if (!v->is_object()) return nullptr;
    at = &v->as_object();
    path.remove_prefix(dot + 1);
  }
}

// The claim holds an admin value: a string equal to one of `values`, or an array whose items
// include such a string. With no values, the claim must be the boolean true. Nothing else counts:
// not a number, not a nested array (`[["ADMIN"]]`), not an object.
bool holds(const json::value& v, const std::vector<std::string>& values) {
  if (values.empty()) return v.is_bool() && v.as_bool();
  const auto equal = [&](const json::value& item) {
    if (!item.is_string()) return false;
    for (const auto& w : values) {
      if (item.as_string() == w) return true;
    }
    return false;
  };
  if (v.is_array()) {
    for (const auto& item : v.as_array()) {
      if (equal(item)) return true;
    }
    return false;
  }
  return equal(v);
}

}  // namespace

Result<JwtVerifier> JwtVerifier::create(const Options& options) {
  auto keys = std::make_shared<JwtKeys>();
  keys->secret = options.secret;
  keys->leeway = options.leeway;
  if (!options.public_key_pem.empty()) {
    auto key = read_pem(options.public_key_pem);
    if (!key) return fail(key.error());
    keys->keys.push_back(std::move(*key));
  }
  if (!options.jwks_json.empty()) {
    auto set = read_jwks(options.jwks_json);
    if (!set) return fail(set.error());
    for (auto& k : *set) keys->keys.push_back(std::move(k));
  }
  JwtVerifier v;
  v.keys_ = std::move(keys);
  return v;
}

bool JwtVerifier::configured() const {
  return keys_ && (!keys_->secret.empty() || !keys_->keys.empty());
}

Result<void> JwtVerifier::verify(std::string_view token, std::int64_t now, std::string_view claim_path,
                                 const std::vector<std::string>& values) const {
  if (!configured()) return fail(Error::input("no key to verify tokens with"));
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return fail(Error::input("not a JWT: it needs three dot-separated parts"));
  }
  auto header = decode_object(token.substr(0, dot1), "header");
  if (!header) return fail(header.error());
  const std::string alg_name = member_string(*header, "alg");
  if (alg_name.empty() || alg_name == "none" || alg_name == "None" || alg_name == "NONE") {
    return fail(Error::input("unsigned tokens (alg none) are refused"));
  }
  if (header->contains("crit")) return fail(Error::input("the token uses critical extensions (crit), refused"));
  const Algorithm* alg = find_algorithm(alg_name);
  if (!alg) return fail(Error::input(fmt::format("unsupported algorithm {}", alg_name)));

  const std::string_view input = token.substr(0, dot2);
  auto sig = base64_decode_url(token.substr(dot2 + 1));
  if (!sig) return fail(Error::input("the token's signature is not base64url"));

  bool verified = false;
  if (alg->family == Family::hmac) {
    // The family comes from the configured key, never from the token: without a secret, HS* is
    // refused, so a public key cannot be abused as an HMAC secret.
    if (keys_->secret.empty()) return fail(Error::input(fmt::format("{} is not accepted: no jwt_secret", alg_name)));
    verified = verify_hmac(*alg, keys_->secret, input, *sig);
  } else {
    const std::string kid = member_string(*header, "kid");
    bool candidate = false;
    for (const auto& k : keys_->keys) {
      if (k.family != alg->family || (alg->family == Family::ec && k.curve != alg->curve)) continue;
      if (!k.alg.empty() && k.alg != alg_name) continue;
      if (!kid.empty() && !k.kid.empty() && k.kid != kid) continue;
      candidate = true;
      if (verify_public(*alg, k.key.get(), input, *sig)) {
        verified = true;
        break;
      }
    }
    if (!candidate) return fail(Error::input(fmt::format("{} is not accepted: no matching key", alg_name)));
  }
  if (!verified) return fail(Error::input("the token's signature does not verify"));

  auto claims = decode_object(token.substr(dot1 + 1, dot2 - dot1 - 1), "payload");
  if (!claims) return fail(claims.error());
  const double leeway = std::chrono::duration<double>(keys_->leeway).count();
  auto exp = numeric_date(*claims, "exp");
  if (!exp) return fail(exp.error());
  if (*exp && static_cast<double>(now) > **exp + leeway) return fail(Error::input("the token has expired"));
  auto nbf = numeric_date(*claims, "nbf");
  if (!nbf) return fail(nbf.error());
  if (*nbf && static_cast<double>(now) + leeway < **nbf) return fail(Error::input("the token is not valid yet"));

  const json::value* claim = find_claim(*claims, claim_path);
  if (!claim) return fail(Error::input(fmt::format("the token has no claim \"{}\"", claim_path)));
  if (!holds(*claim, values)) {
    return fail(Error::input(fmt::format("the token's claim \"{}\" holds none of the admin values", claim_path)));
  }
  return {};
}

}  // namespace slipway::net
