#include "check/strength.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "check/wordlist.hpp"
#include "core/redact.hpp"

namespace slipway::check {
namespace {

constexpr std::int64_t kDefaultMinBytes = 32;
constexpr std::int64_t kDefaultMinEntropy = 128;
constexpr std::size_t kMaxWords = 3;
constexpr std::string_view kTooPlain =
    "is too plain to hide (under 8 bytes, one kind of character, or little entropy): output masks it only where "
    "it stands as a value";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

bool is_word(std::string_view w) {
  const auto words = common_words();
  return std::binary_search(words.begin(), words.end(), w);
}

// True when `s` splits into at most kMaxWords words of the list (a small dynamic programme:
// best[i] = fewest words covering s[0, i)).
bool splits_into_words(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  std::vector<std::size_t> best(s.size() + 1, kMaxWords + 1);
  best[0] = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (best[i] >= kMaxWords) continue;
    for (std::size_t j = i + 2; j <= s.size(); ++j) {
      if (is_word(s.substr(i, j - i))) best[j] = std::min(best[j], best[i] + 1);
    }
  }
  return best[s.size()] <= kMaxWords;
}

// "P@ssw0rd_123!" -> "password": leetspeak undone, separators dropped, trailing digits cut.
std::string normalize_words(std::string_view value) {
  std::string out;
  for (unsigned char c : value) {
    switch (c) {
      case '@':
      case '4': out.push_back('a'); break;
      case '3': out.push_back('e'); break;
      case '0': out.push_back('o'); break;
      case '$':
      case '5': out.push_back('s'); break;
      case '7': out.push_back('t'); break;
      case '!':
      case '1': out.push_back('i'); break;
      case '-':
      case '_':
      case '.':
      case ' ': break;
      default: out.push_back(static_cast<char>(std::tolower(c)));
    }
  }
  return out;
}

std::string strip_trailing_digits(std::string_view value) {
  std::string_view v = value;
  while (!v.empty() && !std::isalpha(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  return std::string(v);
}

// "abcdef", "987654", "aaaaaa": more than half the neighbours are equal or one apart.
bool is_run(std::string_view value) {
  if (value.size() < 4) return false;
  std::size_t steps = 0;
  for (std::size_t i = 1; i < value.size(); ++i) {
    const int d = static_cast<unsigned char>(value[i]) - static_cast<unsigned char>(value[i - 1]);
    if (d >= -1 && d <= 1) ++steps;
  }
  return steps * 2 > value.size() - 1;
}

int base64_value(char c, bool& url_safe, bool& standard) {
  if (std::isalnum(static_cast<unsigned char>(c))) return 1;
  if (c == '+' || c == '/') {
    standard = true;
    return 1;
  }
  if (c == '-' || c == '_') {
    url_safe = true;
    return 1;
  }
  return 0;
}

}  // namespace

bool is_placeholder(std::string_view value) {
  static constexpr std::array<std::string_view, 18> kExact{
      "secret", "password", "changeme", "change-me", "change_me", "default", "test",         "dev",    "todo",
      "tbd",    "fixme",    "xxx",      "none",      "null",      "empty",   "keyboard cat", "s3cr3t", "shhh"};
  std::string_view v = value;
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  if (v.empty()) return true;
  const std::string l = lower(v);
  if (std::find(kExact.begin(), kExact.end(), l) != kExact.end()) return true;
  if ((l.front() == '<' && l.back() == '>') || (l.front() == '[' && l.back() == ']')) return true;
  if (l.starts_with("${") || l.starts_with("{{") || l.starts_with("$(") || (l.front() == '%' && l.back() == '%')) {
    return true;
  }
  if (std::all_of(l.begin(), l.end(), [&](char c) { return c == l.front(); })) return true;
  if (contains(l, "change") && contains(l, "me")) return true;
  for (std::string_view marker : {"example", "replace", "placeholder", "dummy", "sample", "your-", "your_",
                                  "yoursecret", "your secret", "insert", "notasecret", "not-a-secret", "fill-in"}) {
    if (contains(l, marker)) return true;
  }
  if (l.ends_with("here") && (contains(l, "secret") || contains(l, "key") || contains(l, "token"))) return true;
  return false;
}

bool is_dictionary_words(std::string_view value) {
  const std::string n = normalize_words(value);
  if (std::all_of(n.begin(), n.end(), [](unsigned char c) { return std::isalpha(c); }) && splits_into_words(n)) {
    return true;
  }
  // "Password123", "summer2024!": words, then a number.
  const std::string trimmed = strip_trailing_digits(lower(value));
  const std::string tn = normalize_words(trimmed);
  return !tn.empty() && std::all_of(tn.begin(), tn.end(), [](unsigned char c) { return std::isalpha(c); }) &&
         splits_into_words(tn);
}

double estimated_bits(std::string_view text) {
  bool lower_case = false, upper_case = false, digit = false, symbol = false, hex_letters_only = true;
  for (unsigned char c : text) {
    if (std::islower(c)) {
      lower_case = true;
      hex_letters_only = hex_letters_only && c <= 'f';
    } else if (std::isupper(c)) {
      upper_case = true;
      hex_letters_only = hex_letters_only && c <= 'F';
    } else if (std::isdigit(c)) {
      digit = true;
    } else {
      symbol = true;
    }
  }
  double pool = 0;
  if (hex_letters_only && !symbol && !(lower_case && upper_case) && digit && (lower_case || upper_case)) {
    pool = 16;
  } else {
    pool = (lower_case ? 26 : 0) + (upper_case ? 26 : 0) + (digit ? 10 : 0) + (symbol ? 32 : 0);
  }
  return pool < 2 ? 0 : static_cast<double>(text.size()) * std::log2(pool);
}

std::optional<std::size_t> hex_decoded_size(std::string_view text) {
  if (text.empty() || text.size() % 2 != 0) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isxdigit(c); })) return std::nullopt;
  return text.size() / 2;
}

std::optional<std::size_t> base64_decoded_size(std::string_view text) {
  std::string_view body = text;
  std::size_t padding = 0;
  while (!body.empty() && body.back() == '=' && padding < 2) {
    body.remove_suffix(1);
    ++padding;
  }
  if (body.empty()) return std::nullopt;
  bool url_safe = false, standard = false;
  for (char c : body) {
    if (!base64_value(c, url_safe, standard)) return std::nullopt;
  }
  if (url_safe && standard) return std::nullopt;
  if (body.size() % 4 == 1) return std::nullopt;
  if (padding > 0 && (body.size() + padding) % 4 != 0) return std::nullopt;
  return body.size() * 6 / 8;
}

std::vector<std::string> secret_problems(std::string_view value, const SecretRules& rules) {
  std::vector<std::string> problems;
  if (is_placeholder(value)) {
    problems.emplace_back("is a placeholder, not a secret");
    return problems;  // the rest would only restate it
  }
  if (is_dictionary_words(value)) problems.emplace_back("is made of dictionary words or a common password");
  if (is_weak_secret(value)) problems.emplace_back(kTooPlain);
  if (rules.bytes) {
    const auto want = static_cast<std::size_t>(*rules.bytes);
    const auto hex = hex_decoded_size(value);
    const auto b64 = base64_decoded_size(value);
    if (hex != want && b64 != want) {
      std::string got;
      if (hex) got += fmt::format("{} bytes as hex", *hex);
      if (b64) got += fmt::format("{}{} bytes as base64", got.empty() ? "" : ", ", *b64);
      problems.push_back(fmt::format("must decode to {} bytes from hex or base64, but decodes to {}", want,
                                     got.empty() ? std::string("nothing (neither hex nor base64)") : got));
    }
  } else {
    const std::int64_t min = rules.min_bytes.value_or(kDefaultMinBytes);
    if (static_cast<std::int64_t>(value.size()) < min) {
      problems.push_back(fmt::format("is {} bytes long, under the minimum of {}", value.size(), min));
    }
  }
  const double per_char = shannon_entropy(value);
  const double floor = std::min(3.0, 0.8 * std::log2(static_cast<double>(std::max<std::size_t>(value.size(), 2))));
  const double bits = estimated_bits(value);
  const std::int64_t min_bits = rules.min_entropy.value_or(kDefaultMinEntropy);
  if (is_run(value)) {
    problems.emplace_back("is a run of repeated or consecutive characters");
  } else if (per_char < floor) {
    problems.push_back(fmt::format("repeats itself ({:.1f} bits of entropy per character)", per_char));
  } else if (bits < static_cast<double>(min_bits)) {
    problems.push_back(fmt::format("holds about {:.0f} bits of randomness, under the minimum of {}", bits, min_bits));
  }
  return problems;
}

std::optional<std::string> weak_url_password(std::string_view url) {
  const std::vector<std::string> parts = url_password_parts(url);
  if (parts.empty() || !is_weak_secret(parts.front())) return std::nullopt;
  return fmt::format("has a password that {}", kTooPlain);
}

}  // namespace slipway::check
