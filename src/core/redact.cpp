#include "core/redact.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>
#include <vector>

namespace slipway {
namespace {

std::mutex& secrets_mutex() {
  static std::mutex m;
  return m;
}
std::vector<std::string>& secrets() {
  static std::vector<std::string> s;
  return s;
}

bool iequals_at(std::string_view text, std::size_t pos, std::string_view word) {
  if (pos + word.size() > text.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[pos + i])) != word[i]) return false;
  }
  return true;
}

bool is_url_authority_end(char c) {
  return c == '/' || c == '?' || c == '#' || c == '"' || c == '\'' || c == '`' || c == '<' || c == '>' ||
         std::isspace(static_cast<unsigned char>(c));
}

// Masks the password of every scheme://user:password@host in `text`.
std::string mask_url_passwords(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;
  std::size_t pos = 0;
  while ((pos = text.find("://", pos)) != std::string_view::npos) {
    const std::size_t start = pos + 3;
    std::size_t end = start;
    while (end < text.size() && !is_url_authority_end(text[end])) ++end;
    const std::string_view authority = text.substr(start, end - start);
    const std::size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
      const std::size_t colon = authority.substr(0, at).find(':');
      if (colon != std::string_view::npos && colon + 1 < at) {
        out.append(text.substr(copied, start + colon + 1 - copied));
        out.append(kMask);
        copied = start + at;
      }
    }
    pos = end;
  }
  out.append(text.substr(copied));
  return out;
}

constexpr std::array<std::string_view, 9> kSecretKeys{"password", "passwd",  "pwd",    "sslpassword", "secret",
                                                      "token",    "api_key", "apikey", "access_key"};

// Masks the value of key=value pairs whose key is password-like, in query strings and in
// libpq conninfo strings (where a value may be single-quoted).
std::string mask_key_values(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    bool masked = false;
    {
      // The key may end a longer name: PGPASSWORD=, DB_PASSWORD=, JWT_SECRET= all match.
      for (std::string_view key : kSecretKeys) {
        if (!iequals_at(text, i, key)) continue;
        std::size_t j = i + key.size();
        while (j < text.size() && text[j] == ' ') ++j;
        if (j >= text.size() || (text[j] != '=' && text[j] != ':')) continue;
        if (text[j] == ':' && (j + 1 >= text.size() || text[j + 1] != ' ')) continue;  // "token:x" in URLs
        ++j;
        while (j < text.size() && text[j] == ' ') ++j;
        std::size_t end = j;
        if (end < text.size() && (text[end] == '\'' || text[end] == '"')) {
          const char quote = text[end];
          ++end;
          while (end < text.size() && text[end] != quote) {
            if (text[end] == '\\' && end + 1 < text.size()) ++end;
            ++end;
          }
          if (end < text.size()) ++end;
        } else {
          while (end < text.size() && text[end] != '&' && text[end] != ';' && text[end] != ',' &&
                 !std::isspace(static_cast<unsigned char>(text[end]))) {
            ++end;
          }
        }
        if (end == j) continue;
        out.append(text.substr(i, j - i));
        out.append(kMask);
        i = end;
        masked = true;
        break;
      }
    }
    if (!masked) out.push_back(text[i++]);
  }
  return out;
}

}  // namespace

std::string redact(std::string_view text) {
  std::string out = mask_key_values(mask_url_passwords(text));
  std::lock_guard lock(secrets_mutex());
  for (const std::string& secret : secrets()) {
    std::size_t pos = 0;
    while ((pos = out.find(secret, pos)) != std::string::npos) {
      out.replace(pos, secret.size(), kMask);
      pos += kMask.size();
    }
  }
  return out;
}

void register_secret(std::string_view value) {
  if (value.size() < 4) return;
  std::lock_guard lock(secrets_mutex());
  auto& s = secrets();
  if (std::find(s.begin(), s.end(), value) != s.end()) return;
  s.emplace_back(value);
  // Longest first, so a secret that contains another is masked whole.
  std::sort(s.begin(), s.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

bool is_secret_name(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view word : {"password", "passwd", "secret", "token", "key", "credential", "private", "auth"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

}  // namespace slipway
