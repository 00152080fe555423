// JWT verification: each algorithm accepted with the right key, and every way a token can be
// wrong refused with a reason.
#include <gtest/gtest.h>

#include "core/base64.hpp"

#include "net/jwt.hpp"
#include "tokens.hpp"

namespace slipway::test {
namespace {

using net::JwtVerifier;
constexpr std::int64_t kNow = 1'800'000'000;
const std::vector<std::string> kAdmin{"ADMIN"};

std::string claims(const std::string& extra = "\"role\":\"ADMIN\"") {
  return "{\"sub\":\"u1\",\"exp\":" + std::to_string(kNow + 600) + "," + extra + "}";
}

JwtVerifier verifier(JwtVerifier::Options o) {
  auto v = JwtVerifier::create(o);
  EXPECT_TRUE(v.has_value()) << (v ? "" : v.error().message);
  return *v;
}

std::string error_of(const JwtVerifier& v, const std::string& token, const std::string& claim = "role",
                     const std::vector<std::string>& values = kAdmin) {
  auto r = v.verify(token, kNow, claim, values);
  return r ? "" : r.error().message;
}

TEST(Jwt, Base64UrlRoundTrips) {
  for (std::string s : {"", "a", "ab", "abc", "abcd", "\xff\xfe\x00\x01"}) {
    auto back = base64_decode(base64_encode(s, Base64::url), Base64::url);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, s);
  }
  EXPECT_FALSE(base64_decode("ab+c", Base64::url));
  EXPECT_FALSE(base64_decode("a", Base64::url));
}

TEST(Jwt, HmacFamilyAcceptedWithTheSecret) {
  auto v = verifier({.secret = "s3cret"});
  for (std::string alg : {"HS256", "HS384", "HS512"}) {
    EXPECT_EQ(error_of(v, hs_token(alg, "s3cret", claims())), "") << alg;
  }
  EXPECT_EQ(error_of(v, hs_token("HS256", "other", claims())), "the token's signature does not verify");
}

TEST(Jwt, Rs256WithAPemKey) {
  const auto key = KeyPair::rsa();
  auto v = verifier({.public_key_pem = key.public_pem()});
  EXPECT_EQ(error_of(v, signed_token(key, "RS256", claims())), "");
  EXPECT_EQ(error_of(v, signed_token(KeyPair::rsa(), "RS256", claims())), "the token's signature does not verify");
}

TEST(Jwt, Es256WithAPemKeyAndFromAJwks) {
  const auto key = KeyPair::ec();
  EXPECT_EQ(error_of(verifier({.public_key_pem = key.public_pem()}), signed_token(key, "ES256", claims())), "");
  const auto rsa = KeyPair::rsa();
  auto v = verifier({.jwks_json = "{\"keys\":[" + rsa.jwk("r1") + "," + key.jwk("e1") + "]}"});
  EXPECT_EQ(error_of(v, signed_token(key, "ES256", claims(), "e1")), "");
  EXPECT_EQ(error_of(v, signed_token(rsa, "RS256", claims(), "r1")), "");
  EXPECT_EQ(error_of(v, signed_token(rsa, "RS256", claims())), "") << "no kid: every RSA key is tried";
  EXPECT_EQ(error_of(v, signed_token(rsa, "RS256", claims(), "e1")), "RS256 is not accepted: no matching key");
}

TEST(Jwt, AlgNoneIsRefused) {
  auto v = verifier({.secret = "s3cret"});
  EXPECT_EQ(error_of(v, none_token(claims())), "unsigned tokens (alg none) are refused");
}

TEST(Jwt, AnRsaPublicKeyUsedAsAnHmacSecretIsRefused) {
  const auto key = KeyPair::rsa();
  const std::string pem = key.public_pem();
  auto v = verifier({.public_key_pem = pem});
  EXPECT_EQ(error_of(v, hs_token("HS256", pem, claims())), "HS256 is not accepted: no jwt_secret");
}

TEST(Jwt, EcTokenAgainstAnRsaKeyIsRefused) {
  auto v = verifier({.public_key_pem = KeyPair::rsa().public_pem()});
  EXPECT_EQ(error_of(v, signed_token(KeyPair::ec(), "ES256", claims())), "ES256 is not accepted: no matching key");
}

TEST(Jwt, ExpiryAndNotBeforeWithLeeway) {
  auto v = verifier({.secret = "k", .leeway = std::chrono::seconds(30)});
  const auto at = [](std::int64_t exp) { return "{\"role\":\"ADMIN\",\"exp\":" + std::to_string(exp) + "}"; };
  EXPECT_EQ(error_of(v, hs_token("HS256", "k", at(kNow - 31))), "the token has expired");
  EXPECT_EQ(error_of(v, hs_token("HS256", "k", at(kNow - 20))), "") << "within the leeway";
  const auto nbf = [](std::int64_t t) { return "{\"role\":\"ADMIN\",\"nbf\":" + std::to_string(t) + "}"; };
  EXPECT_EQ(error_of(v, hs_token("HS256", "k", nbf(kNow + 31))), "the token is not valid yet");
  EXPECT_EQ(error_of(v, hs_token("HS256", "k", nbf(kNow + 20))), "");
  EXPECT_EQ(error_of(v, hs_token("HS256", "k", "{\"role\":\"ADMIN\",\"exp\":\"soon\"}")),
            "the token's \"exp\" is not a number");
}

TEST(Jwt, ClaimPathsArraysAndBooleans) {
  auto v = verifier({.secret = "k"});
  EXPECT_EQ(error_of(v, hs_token("HS256", "k", claims("\"sub2\":1"))), "the token has no claim \"role\"");
  EXPECT_EQ(error_of(v, hs_token("HS256", "k", claims("\"role\":\"USER\""))),
            "the token's claim \"role\" holds none of the admin values");
  const std::string nested = claims("\"app_metadata\":{\"roles\":[\"USER\",\"ADMIN\"]}");
  EXPECT_EQ(error_of(v, hs_token("HS256", "k", nested), "app_metadata.roles"), "");
  EXPECT_NE(
      error_of(v, hs_token("HS256", "k", claims("\"app_metadata\":{\"roles\":[\"USER\"]}")), "app_metadata.roles"), "");
  EXPECT_EQ(error_of(v, hs_token("HS256", "k", claims("\"admin_access\":true")), "admin_access", {}), "");
  EXPECT_NE(error_of(v, hs_token("HS256", "k", claims("\"admin_access\":false")), "admin_access", {}), "");
  EXPECT_NE(error_of(v, hs_token("HS256", "k", claims("\"admin_access\":\"true\"")), "admin_access", {}), "")
      << "a string is not the boolean true";
  EXPECT_EQ(error_of(v, hs_token("HS256", "k", claims("\"https://x.io/roles\":[\"ADMIN\"]")), "https://x.io/roles"), "")
      << "a namespaced claim is one key, dots and all";
}

// The admin claim matched inside nested arrays: {"role": [["ADMIN"]]} counted as admin.
TEST(Jwt, AdminClaimInANestedArrayOrOfAnotherShapeIsNotAnAdmin) {
  auto v = verifier({.secret = "k"});
  for (const char* role : {"[[\"ADMIN\"]]", "[[[\"ADMIN\"]]]", "[{\"role\":\"ADMIN\"}]", "{\"ADMIN\":true}", "[true]",
                           "true", "1", "[\"admin\"]", "\"ADMIN \"", "null"}) {
    EXPECT_NE(error_of(v, hs_token("HS256", "k", claims(std::string("\"role\":") + role))), "") << role;
  }
  EXPECT_NE(error_of(v, hs_token("HS256", "k", claims("\"role\":1")), "role", {"1"}), "") << "a number is not a string";
  EXPECT_NE(error_of(v, hs_token("HS256", "k", claims("\"admin_access\":[true]")), "admin_access", {}), "")
      << "only the boolean true itself, with no values configured";
  EXPECT_EQ(error_of(v, hs_token("HS256", "k", claims("\"role\":[\"USER\",\"ADMIN\"]"))), "");
}

TEST(Jwt, MalformedTokensAreRefused) {
  auto v = verifier({.secret = "k"});
  const std::string good = hs_token("HS256", "k", claims());
  EXPECT_NE(error_of(v, ""), "");
  EXPECT_NE(error_of(v, "a.b"), "");
  EXPECT_NE(error_of(v, good + ".x"), "");
  EXPECT_NE(error_of(v, "!!!." + good.substr(good.find('.') + 1)), "");
  EXPECT_EQ(error_of(v, hs_token("HS256", "k", claims(), ",\"crit\":[\"b64\"]")),
            "the token uses critical extensions (crit), refused");
  EXPECT_EQ(error_of(v, hs_token("HS256", "k", "[1,2]")), "the token's payload is not a JSON object");
}

TEST(Jwt, BadKeysFailAtCreation) {
  EXPECT_FALSE(JwtVerifier::create({.public_key_pem = "not a key"}));
  EXPECT_FALSE(JwtVerifier::create({.jwks_json = "{\"nokeys\":1}"}));
  EXPECT_FALSE(JwtVerifier::create({.jwks_json = "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AA\"}]}"}));
  EXPECT_FALSE(JwtVerifier::create({.public_key_pem = KeyPair::rsa(1024).public_pem()}));
}

}  // namespace
}  // namespace slipway::test
