// How strong a secret is, without ever printing it.
//
// A secret fails when it is:
//   - a placeholder: "changeme", "secret", "<strong-random-secret>", "your-secret-here", "${JWT_SECRET}",
//     "xxxxxxxx", anything with "example" or "replace" in it;
//   - made of dictionary words: "password", "P@ssw0rd1!", "supersecretkey" (up to three words
//     from an embedded list of common passwords and words, after undoing leetspeak and
//     stripping trailing digits and punctuation);
//   - too short: under min_bytes (default 32) bytes;
//   - of the wrong size once decoded, when `bytes` is set: a 32-byte key must be 64 hex digits or
//     43/44 base64 characters;
//   - predictable: a run ("abcdef...", "aaaa..."), a Shannon entropy under min(3.0, 0.8 log2 n)
//     bits per character, or an estimated strength (length x log2 of the character pool: 16 for
//     hex, 26/52/62 for letters and digits, 94 with symbols) under min_entropy bits (default 128).
//   - too plain to hide: under 8 bytes, under 16 of one character class, or under 2.5 bits of entropy per
//     character (is_weak_secret() in core/redact.hpp). Output masks such a value only where it stands
//     as a value, never as a word inside other text, so whatever min_bytes allows, it is reported.
// The duplicate rule (two secrets with one value) needs every secret and lives in env.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/redact.hpp"

namespace slipway::check {

struct SecretRules {
  std::optional<std::int64_t> min_bytes;    // default 32 unless `bytes` is set
  std::optional<std::int64_t> bytes;        // exact decoded size
  std::optional<std::int64_t> min_entropy;  // default 128 bits
};

// Every reason `value` is weak, each phrased to follow the variable's name ("is a placeholder").
std::vector<std::string> secret_problems(std::string_view value, const SecretRules& rules);

// Why the password of a URL (postgresql://app:admin@db/x) is too plain to hide, or nullopt.
std::optional<std::string> weak_url_password(std::string_view url);

bool is_placeholder(std::string_view value);
bool is_dictionary_words(std::string_view value);

// Shannon entropy: shannon_entropy() in core/redact.hpp, which judges weak secrets with it too.
// length x log2(character pool): a rough upper bound on the bits a random string of this shape holds.
double estimated_bits(std::string_view text);

// Decoded sizes of `text` read as hex and as base64 (standard or URL-safe, padded or not);
// nullopt when it is not valid in that encoding.
std::optional<std::size_t> hex_decoded_size(std::string_view text);
std::optional<std::size_t> base64_decoded_size(std::string_view text);

}  // namespace slipway::check
