// How redact() keeps everything but the secret: it never rewrites text as it scans. Each rule adds
// the byte ranges it found to mask (spans), the spans are merged, widened so that none splits an
// escape sequence (`\"`, `\u00e9`), and only then is the text copied with each span replaced by ***.
//
// A JSON document (text that lexes as JSON values: a report, a deploy record, a response body) is
// redacted token by token: the rules run inside each string on its own, so no mask ever covers a
// quote, a comma or a brace, and a value under a secret name is masked as a whole string ("***")
// or, for a number, replaced by the string "***". Any other text is scanned whole.
//
//   {"url":"postgresql://app:abc/def@db/x","refresh_token":"eyJ..","pin":1234,"role":"admin"}
//   -> {"url":"postgresql://app:***@db/x","refresh_token":"***","pin":"***","role":"admin"}
//   (with "admin" registered as a secret, the last value would be masked too: it stands as a value)
#include "core/redact.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <mutex>
#include <optional>

#include <boost/json.hpp>

#include "core/output.hpp"

namespace slipway {
namespace {

// A range of the text to replace by `replacement` (*** unless a number becomes the string "***").
struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string replacement{kMask};
};

// A registered secret and the forms it takes in output: as is, JSON-escaped, XML-escaped.
struct Secret {
  std::string value;
  bool weak = false;
  std::vector<std::string> forms;
};

std::mutex& secrets_mutex() {
  static std::mutex m;
  return m;
}
std::vector<Secret>& secrets() {
  static std::vector<Secret> s;
  return s;
}

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}
bool is_lower(char c) {
  return std::islower(static_cast<unsigned char>(c)) != 0;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A secret as the JSON writer spells it inside a string: what json_text() prints, without the quotes.
std::string json_escape(std::string_view s) {
  const std::string quoted = boost::json::serialize(boost::json::string_view(s.data(), s.size()));
  return quoted.substr(1, quoted.size() - 2);
}

Secret make_secret(std::string_view value) {
  Secret s{std::string(value), is_weak_secret(value), {std::string(value)}};
  for (std::string form : {json_escape(value), xml_escape(value)}) {
    if (std::find(s.forms.begin(), s.forms.end(), form) == s.forms.end()) s.forms.push_back(std::move(form));
  }
  return s;
}

// ---- quotes, in the spellings output gives them ----
//
// A double quote escaped once per level of JSON it sits in ("  \"  \\\"  ...: any run of
// backslashes before it), XML's &quot;, or a single quote.

// The quote that starts at `pos`, or "".
std::string_view quote_at(std::string_view text, std::size_t pos) {
  if (text.compare(pos, 6, "&quot;") == 0) return text.substr(pos, 6);
  std::size_t i = pos;
  while (i < text.size() && text[i] == '\\') ++i;
  if (i < text.size() && (text[i] == '"' || (i == pos && text[i] == '\''))) return text.substr(pos, i + 1 - pos);
  return {};
}

// The quote that ends just before `pos`, or "".
std::string_view quote_before(std::string_view text, std::size_t pos) {
  if (pos >= 6 && text.compare(pos - 6, 6, "&quot;") == 0) return text.substr(pos - 6, 6);
  if (pos == 0) return {};
  if (text[pos - 1] == '\'') return text.substr(pos - 1, 1);
  if (text[pos - 1] != '"') return {};
  std::size_t i = pos - 1;
  while (i > 0 && text[i - 1] == '\\') --i;
  return text.substr(i, pos - i);
}

// Where the value that opened with `quote` at `begin` closes: the next `quote` spelled exactly the
// same (not more escaped), else the end of the line (a value cut short by an excerpt is masked to its end).
std::size_t closing_quote(std::string_view text, std::size_t begin, std::string_view quote) {
  const bool escaped_level = quote.back() == '"';
  for (std::size_t i = begin; i < text.size(); ++i) {
    if (text[i] == '\n') return i;
    if (!escaped_level) {
      if (text.compare(i, quote.size(), quote) == 0) return i;
      continue;
    }
    std::size_t run = i;
    while (run < text.size() && text[run] == '\\') ++run;
    if (run < text.size() && text[run] == '"' && run - i == quote.size() - 1) return i;
    i = run;  // past the backslashes and the character they escape
  }
  return text.size();
}

// ---- names that hold secrets ----

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

// A name whose value is a secret: it holds one of these words, not followed by more lower-case
// letters (so "tokens", "passwordless" and "sessions" are not): refresh_token, refreshToken,
// PGPASSWORD, X-Api-Key, client_secret, Set-Cookie, sessionid.
bool names_a_secret(std::string_view name) {
  static constexpr std::array<std::string_view, 18> kWords{
      "token",       "secret",     "password",   "passwd",     "pwd",         "authorization",
      "cookie",      "session",    "sessionid",  "api_key",    "api-key",     "apikey",
      "private_key", "privatekey", "access_key", "credential", "credentials", "jwt"};
  const std::string l = lower(name);
  for (std::string_view word : kWords) {
    for (std::size_t pos = l.find(word); pos != std::string::npos; pos = l.find(word, pos + 1)) {
      const std::size_t after = pos + word.size();
      if (after == name.size() || !is_lower(name[after])) return true;
    }
  }
  return false;
}

bool ends_unquoted_value(char c) {
  return is_space(c) || c == '&' || c == ';' || c == ',' || c == '"' || c == '\'' || c == '\\' || c == '<' ||
         c == '>' || c == '}' || c == ']' || c == ')' || c == '#';
}

// "Bearer abc": the credentials start after the scheme word.
std::size_t after_auth_scheme(std::string_view text, std::size_t begin, std::size_t end) {
  std::size_t s = begin;
  while (s < end && std::isalpha(static_cast<unsigned char>(text[s]))) ++s;
  if (s == begin || s >= end || text[s] != ' ') return begin;
  while (s < end && text[s] == ' ') ++s;
  return s;
}

// The values of secret names: name=value, name: value, "name": "value", name='value'...
void mask_named_values(std::string_view text, std::size_t offset, std::span<const Span> passwords,
                       std::vector<Span>& spans) {
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    // Inside a URL's password (masked whole already) nothing is a name: app:xjwt=1@db.
    if (auto p = std::find_if(passwords.begin(), passwords.end(),
                              [&](const Span& s) { return s.begin <= offset + i && offset + i < s.end; });
        p != passwords.end()) {
      i = p->end - offset;
      continue;
    }
    if (!is_name_char(text[i]) || (i > 0 && is_name_char(text[i - 1]))) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < n && is_name_char(text[j])) ++j;
    const std::string_view name = text.substr(i, j - i);
    i = j;
    if (!names_a_secret(name)) continue;
    std::size_t k = j;
    const std::string_view key_quote = quote_at(text, k);
    k += key_quote.size();
    while (k < n && text[k] == ' ') ++k;
    if (k >= n || (text[k] != '=' && text[k] != ':')) continue;
    // "name:x" unquoted is a URL's user:password (the URL rule's) or a time, not a value.
    if (text[k] == ':' && key_quote.empty() && (k + 1 >= n || text[k + 1] != ' ')) continue;
    ++k;
    while (k < n && text[k] == ' ') ++k;
    const std::string l = lower(name);
    const bool authorization = l.ends_with("authorization");
    const bool cookie = l.ends_with("cookie");
    if (const std::string_view q = quote_at(text, k); !q.empty()) {
      const std::size_t begin = k + q.size();
      const std::size_t end = closing_quote(text, begin, q);
      const std::size_t from = authorization ? after_auth_scheme(text, begin, end) : begin;
      if (end > from) spans.push_back({offset + from, offset + end});
      i = std::min(n, end + q.size());
      continue;
    }
    if (k < n && (text[k] == '{' || text[k] == '[')) continue;  // a structure: its own names decide
    std::size_t end = k;
    if (cookie) {
      while (end < n && text[end] != '\n' && text[end] != '\r' && text[end] != '"' && text[end] != '\\' &&
             text[end] != '<')
        ++end;
    } else {
      while (end < n && !ends_unquoted_value(text[end])) ++end;
    }
    std::size_t from = k;
    if (authorization && end < n && text[end] == ' ' && after_auth_scheme(text, k, n) > k) {
      from = after_auth_scheme(text, k, n);
      end = from;
      while (end < n && !ends_unquoted_value(text[end])) ++end;
    }
    const std::string_view value = text.substr(from, end - from);
    i = std::max(i, end);
    if (value.empty()) continue;
    if (!key_quote.empty()) {
      // JSON: true, false and null say nothing; a number becomes the string "***".
      if (value == "true" || value == "false" || value == "null") continue;
      if (value.front() == '-' || std::isdigit(static_cast<unsigned char>(value.front()))) {
        spans.push_back(
            {offset + from, offset + end, std::string(key_quote) + std::string(kMask) + std::string(key_quote)});
        continue;
      }
    }
    spans.push_back({offset + from, offset + end});
  }
}

// ---- URL userinfo ----

bool ends_url(std::string_view text, std::size_t i) {
  const char c = text[i];
  return is_space(c) || c == '"' || c == '\'' || c == '`' || c == '<' || c == '>' || c == '\\' ||
         text.compare(i, 6, "&quot;") == 0;
}

// The password of the URL whose "://" is at `sep`: from the first ':' of the userinfo to the last '@'
// before the host (before the query when there is one there), or nullopt.
std::optional<std::pair<std::size_t, std::size_t>> url_password_at(std::string_view text, std::size_t sep) {
  const std::size_t start = sep + 3;
  std::size_t end = start;
  while (end < text.size() && !ends_url(text, end)) ++end;
  const std::string_view rest = text.substr(start, end - start);
  const std::size_t query = rest.find_first_of("?#");
  std::size_t at = rest.substr(0, query == std::string_view::npos ? rest.size() : query).rfind('@');
  if (at == std::string_view::npos) at = rest.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  const std::string_view userinfo = rest.substr(0, at);
  const std::size_t colon = userinfo.find(':');
  if (colon == std::string_view::npos || colon + 1 == at) return std::nullopt;
  const std::size_t slash = userinfo.find_first_of("/?#");
  std::size_t scheme = sep;
  while (scheme > 0 && std::isalpha(static_cast<unsigned char>(text[scheme - 1]))) --scheme;
  const std::string name = lower(text.substr(scheme, sep - scheme));
  const bool web = name == "http" || name == "https" || name == "ws" || name == "wss";
  if (slash != std::string_view::npos && colon > slash) return std::nullopt;  // https://host/a:b@c: a path
  if (slash != std::string_view::npos && web) {
    // https://host:8443/@scope/pkg: a port, then a path. (A database URL has no '@' in its path, so
    // there app:1234/x@db is a password.)
    const std::string_view port = userinfo.substr(colon + 1, slash - colon - 1);
    if (!port.empty() && port.size() <= 5 &&
        std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); })) {
      return std::nullopt;
    }
  }
  return std::pair{start + colon + 1, start + at};
}

void mask_url_passwords(std::string_view text, std::size_t offset, std::vector<Span>& spans) {
  for (std::size_t pos = text.find("://"); pos != std::string_view::npos; pos = text.find("://", pos + 3)) {
    if (auto p = url_password_at(text, pos)) spans.push_back({offset + p->first, offset + p->second});
  }
}

// ---- registered secrets ----

// A weak secret is masked only where it is a whole value: after '=' or ':' (spaces and a quote
// allowed), up to the matching quote or the end of the value.
bool stands_as_value(std::string_view text, std::size_t pos, std::size_t len) {
  std::size_t l = pos;
  const std::string_view quote = quote_before(text, l);
  l -= quote.size();
  while (l > 0 && text[l - 1] == ' ') --l;
  if (l == 0 || (text[l - 1] != '=' && text[l - 1] != ':')) return false;
  const std::size_t r = pos + len;
  if (!quote.empty()) return text.compare(r, quote.size(), quote) == 0;
  return r == text.size() || ends_unquoted_value(text[r]) || text[r] == '@';
}

void mask_registered(std::string_view text, std::size_t offset, const std::vector<Secret>& known,
                     std::vector<Span>& spans) {
  for (const Secret& s : known) {
    for (const std::string& form : s.forms) {
      for (std::size_t pos = text.find(form); pos != std::string_view::npos; pos = text.find(form, pos + 1)) {
        if (!s.weak || stands_as_value(text, pos, form.size())) {
          spans.push_back({offset + pos, offset + pos + form.size()});
        }
      }
    }
  }
}

void mask_text(std::string_view text, std::size_t offset, const std::vector<Secret>& known, std::vector<Span>& spans) {
  const std::size_t first = spans.size();
  mask_url_passwords(text, offset, spans);
  const std::vector<Span> passwords(spans.begin() + static_cast<std::ptrdiff_t>(first), spans.end());
  mask_named_values(text, offset, passwords, spans);
  mask_registered(text, offset, known, spans);
}

// ---- JSON documents ----

struct Token {
  enum Kind { string, scalar, punct } kind;
  std::size_t begin;  // a string's contents, without its quotes
  std::size_t end;
};

// The tokens of `text` when it is a sequence of JSON objects or arrays (one document, or JSON lines),
// else nullopt. Lexing is enough: redaction only needs to know where strings and numbers are.
std::optional<std::vector<Token>> lex_json(std::string_view text) {
  std::vector<Token> tokens;
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n && is_space(text[i])) ++i;
  if (i >= n || (text[i] != '{' && text[i] != '[')) return std::nullopt;
  while (i < n) {
    const char c = text[i];
    if (is_space(c)) {
      ++i;
    } else if (c == '{' || c == '}' || c == '[' || c == ']' || c == ':' || c == ',') {
      tokens.push_back({Token::punct, i, i + 1});
      ++i;
    } else if (c == '"') {
      std::size_t j = i + 1;
      while (j < n && text[j] != '"') {
        if (static_cast<unsigned char>(text[j]) < 0x20) return std::nullopt;
        j += text[j] == '\\' ? 2 : 1;
      }
      if (j >= n) return std::nullopt;
      tokens.push_back({Token::string, i + 1, j});
      i = j + 1;
    } else if (c == '-' || std::isalnum(static_cast<unsigned char>(c))) {
      std::size_t j = i;
      while (j < n &&
             (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '.' || text[j] == '-' || text[j] == '+'))
        ++j;
      const std::string_view word = text.substr(i, j - i);
      if (std::isalpha(static_cast<unsigned char>(c)) && word != "true" && word != "false" && word != "null") {
        return std::nullopt;
      }
      tokens.push_back({Token::scalar, i, j});
      i = j;
    } else {
      return std::nullopt;
    }
  }
  return tokens;
}

bool is_punct(std::string_view text, const Token& t, char c) {
  return t.kind == Token::punct && text[t.begin] == c;
}

void mask_json(std::string_view text, const std::vector<Token>& tokens, const std::vector<Secret>& known,
               std::vector<Span>& spans) {
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.kind != Token::string) continue;
    const std::string_view inner = text.substr(t.begin, t.end - t.begin);
    const bool key = i + 1 < tokens.size() && is_punct(text, tokens[i + 1], ':');
    mask_text(inner, t.begin, known, spans);
    if (!key) {
      for (const Secret& s : known) {
        if (s.weak && std::find(s.forms.begin(), s.forms.end(), inner) != s.forms.end()) {
          spans.push_back({t.begin, t.end});
        }
      }
      continue;
    }
    if (i + 2 >= tokens.size() || !names_a_secret(inner)) continue;
    const Token& v = tokens[i + 2];
    const std::string_view value = text.substr(v.begin, v.end - v.begin);
    if (v.kind == Token::string && !value.empty()) {
      const std::size_t from =
          lower(inner).ends_with("authorization") ? after_auth_scheme(text, v.begin, v.end) : v.begin;
      if (from < v.end) spans.push_back({from, v.end});
    } else if (v.kind == Token::scalar && value != "true" && value != "false" && value != "null") {
      spans.push_back({v.begin, v.end, "\"" + std::string(kMask) + "\""});
    }
  }
}

// ---- applying the spans ----

// Widens a span so that it neither starts nor ends inside a backslash escape.
void keep_escapes_whole(std::string_view text, Span& s) {
  std::size_t backslashes = 0;
  while (backslashes < s.begin && text[s.begin - 1 - backslashes] == '\\') ++backslashes;
  if (backslashes % 2 == 1) --s.begin;
  for (std::size_t i = s.begin; i < s.end;) {
    if (text[i] != '\\') {
      ++i;
      continue;
    }
    const std::size_t length = i + 1 < text.size() && text[i + 1] == 'u' ? 6 : 2;
    i += length;
    s.end = std::min(text.size(), std::max(s.end, i));
  }
}

std::string apply(std::string_view text, std::vector<Span> spans) {
  for (Span& s : spans) keep_escapes_whole(text, s);
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;
  for (std::size_t i = 0; i < spans.size();) {
    Span merged = spans[i++];
    while (i < spans.size() && spans[i].begin < merged.end) {
      merged.end = std::max(merged.end, spans[i].end);
      // Where a number's span ("***" in quotes) meets another, the quoted form wins: valid JSON either way.
      if (spans[i].replacement.size() > merged.replacement.size()) merged.replacement = spans[i].replacement;
      ++i;
    }
    out.append(text.substr(copied, merged.begin - copied));
    out.append(merged.replacement);
    copied = merged.end;
  }
  out.append(text.substr(copied));
  return out;
}

}  // namespace

std::string redact(std::string_view text, std::span<const std::string> also) {
  std::vector<Secret> known;
  {
    std::lock_guard lock(secrets_mutex());
    known = secrets();
  }
  for (const std::string& a : also) {
    if (a.empty()) continue;
    Secret s = make_secret(a);
    s.weak = false;  // the caller knows these are secrets wherever they appear
    known.push_back(std::move(s));
  }
  std::vector<Span> spans;
  if (auto tokens = lex_json(text)) {
    mask_json(text, *tokens, known, spans);
  } else {
    mask_text(text, 0, known, spans);
  }
  if (spans.empty()) return std::string(text);
  return apply(text, std::move(spans));
}

void register_secret(std::string_view value) {
  if (value.size() < 4) return;
  std::lock_guard lock(secrets_mutex());
  auto& s = secrets();
  if (std::any_of(s.begin(), s.end(), [&](const Secret& k) { return k.value == value; })) return;
  s.push_back(make_secret(value));
}

bool is_weak_secret(std::string_view value) {
  if (value.size() < 8) return true;
  const auto one_class = [&](int (*is)(int)) {
    return std::all_of(value.begin(), value.end(), [is](unsigned char c) { return is(c) != 0; });
  };
  if (value.size() < 16 && (one_class(std::islower) || one_class(std::isupper) || one_class(std::isdigit))) {
    return true;
  }
  return shannon_entropy(value) < 2.5;
}

double shannon_entropy(std::string_view text) {
  if (text.empty()) return 0;
  std::array<std::size_t, 256> counts{};
  for (unsigned char c : text) ++counts[c];
  double bits = 0;
  const auto n = static_cast<double>(text.size());
  for (std::size_t count : counts) {
    if (count == 0) continue;
    const double p = static_cast<double>(count) / n;
    bits -= p * std::log2(p);
  }
  return bits;
}

std::vector<std::string> url_password_parts(std::string_view url) {
  const std::size_t sep = url.find("://");
  if (sep == std::string_view::npos) return {};
  const auto range = url_password_at(url, sep);
  if (!range) return {};
  const std::string_view password = url.substr(range->first, range->second - range->first);
  std::vector<std::string> parts{std::string(password)};
  if (password.find_first_of("/@:?#") != std::string_view::npos) {
    std::size_t begin = 0;
    while (begin <= password.size()) {
      std::size_t end = password.find_first_of("/@:?#", begin);
      if (end == std::string_view::npos) end = password.size();
      if (end - begin >= 4) parts.emplace_back(password.substr(begin, end - begin));
      begin = end + 1;
    }
  }
  return parts;
}

bool is_secret_name(std::string_view name) {
  std::string l = lower(name);
  for (std::string_view word : {"password", "passwd", "secret", "token", "key", "credential", "private", "auth"}) {
    if (l.find(word) != std::string::npos) return true;
  }
  return false;
}

}  // namespace slipway
