// Secret strength: placeholders, dictionary words, length, decoding and predictability.
#include <gtest/gtest.h>

#include "check/strength.hpp"

namespace slipway::check {
namespace {

// 48 random bytes, base64: what `openssl rand -base64 48` prints.
constexpr std::string_view kStrong = "q3Vt9fK2xQ7mZ4pL8vR1tY6wB3nC5hJ0dS2aE7gU4kM9rW1zX8cN6bV3yT5oI0lP";
// 32 random bytes as hex and as base64.
constexpr std::string_view kKeyHex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
constexpr std::string_view kKeyBase64 = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=";

TEST(Strength, StrongSecretPasses) {
  EXPECT_TRUE(secret_problems(kStrong, {}).empty());
}

TEST(Strength, Placeholders) {
  for (auto v : {"changeme", "CHANGE_ME", "secret", "<strong-random-secret>", "your-secret-here", "your_jwt_secret",
                 "${JWT_SECRET}", "{{ jwt_secret }}", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "replace-with-a-real-key",
                 "example-secret-please-change-0123456789", "insert-your-key-here", "keyboard cat", ""}) {
    EXPECT_TRUE(is_placeholder(v)) << v;
    const auto problems = secret_problems(v, {});
    ASSERT_EQ(problems.size(), 1u) << v;
    EXPECT_EQ(problems[0], "is a placeholder, not a secret");
  }
  EXPECT_FALSE(is_placeholder(kStrong));
}

TEST(Strength, DictionaryWords) {
  for (auto v : {"password", "P@ssw0rd", "Password123!", "supersecretkey", "letmein", "dragon2024", "jwt-secret-key"}) {
    EXPECT_TRUE(is_dictionary_words(v)) << v;
  }
  for (auto v : {"q3Vt9fK2xQ7m", "correcthorsebatterystapleXq9"}) EXPECT_FALSE(is_dictionary_words(v)) << v;
  const auto problems = secret_problems("supersecretkey", {});
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0], "is made of dictionary words or a common password");
}

TEST(Strength, TooShort) {
  const auto problems = secret_problems("q3Vt9fK2xQ7mZ4pL", {});
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0], "is 16 bytes long, under the minimum of 32");
  EXPECT_TRUE(secret_problems("q3Vt9fK2xQ7mZ4pL8vR1tY", {.min_bytes = 16, .min_entropy = 100}).empty());
}

TEST(Strength, SecretTooPlainForRedactionIsWeakWhateverTheRulesAllow) {
  // Short enough that output masks it only where it stands as a value: weak even with min_bytes = 4.
  EXPECT_EQ(secret_problems("Xq7#zK", {.min_bytes = 4, .min_entropy = 10}),
            std::vector<std::string>{"is too plain to hide (under 8 bytes, one kind of character, or little entropy): "
                                     "output masks it only where it stands as a value"});
  EXPECT_EQ(weak_url_password("postgresql://app:Xq7#zK@db/loans"),
            "has a password that is too plain to hide (under 8 bytes, one kind of character, or little entropy): "
            "output masks it only where it stands as a value");
  EXPECT_EQ(weak_url_password("postgresql://app:Kx8vQ2mZ9tLp@db/loans"), std::nullopt);
  EXPECT_EQ(weak_url_password("postgresql://db/loans"), std::nullopt);
}

TEST(Strength, KeyMustDecodeToItsSize) {
  SecretRules key{.bytes = 32};
  EXPECT_TRUE(secret_problems(kKeyHex, key).empty());
  EXPECT_TRUE(secret_problems(kKeyBase64, key).empty());
  const auto problems = secret_problems(kKeyHex.substr(0, 32), key);  // 16 bytes
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0],
            "must decode to 32 bytes from hex or base64, but decodes to 16 bytes as hex, 24 bytes as base64");
  const auto not_encoded = secret_problems("q3Vt9fK2xQ7mZ4pL8vR1tY6wB3nC5hJ0dS2aE7g!U4kM9rW1zX8cN6bV3yT5oI0lP", key);
  ASSERT_EQ(not_encoded.size(), 1u);
  EXPECT_NE(not_encoded[0].find("nothing (neither hex nor base64)"), std::string::npos);
}

TEST(Strength, DecodedSizes) {
  EXPECT_EQ(hex_decoded_size(kKeyHex), 32u);
  EXPECT_EQ(hex_decoded_size("abc"), std::nullopt);
  EXPECT_EQ(base64_decoded_size(kKeyBase64), 32u);
  EXPECT_EQ(base64_decoded_size("n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg"), 32u);  // URL-safe, unpadded
  EXPECT_EQ(base64_decoded_size("a+b-"), std::nullopt);                                // mixed alphabets
  EXPECT_EQ(base64_decoded_size("abcde"), std::nullopt);                               // 5 mod 4 == 1
}

TEST(Strength, Predictable) {
  EXPECT_EQ(secret_problems("abcdefghijklmnopqrstuvwxyz0123456789", {}).back(),
            "is a run of repeated or consecutive characters");
  EXPECT_EQ(secret_problems("ab19ab19ab19ab19ab19ab19ab19ab19ab19", {}).back(),
            "repeats itself (2.0 bits of entropy per character)");
  // 36 digits: long enough, but from a pool of 10 that is about 120 bits.
  EXPECT_EQ(secret_problems("830274619582037461952830174659283710", {}).back(),
            "holds about 120 bits of randomness, under the minimum of 128");
}

TEST(Strength, Entropy) {
  EXPECT_DOUBLE_EQ(shannon_entropy("aaaa"), 0.0);
  EXPECT_DOUBLE_EQ(shannon_entropy("abcd"), 2.0);
  EXPECT_DOUBLE_EQ(estimated_bits("abcdef0123456789"), 64.0);  // hex: 16 characters x 4 bits
}

}  // namespace
}  // namespace slipway::check
