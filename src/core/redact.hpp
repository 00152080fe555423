// The one place secrets are removed from text before it is printed, logged or stored.
//
// redact() masks, and changes nothing but the secret itself (quotes, separators and whatever follows stay,
// so JSON stays JSON and a URL keeps its host):
//   - the password in a URL's userinfo, up to the LAST '@' before the host, so an unencoded '/' or '@' in
//     it (base64 passwords) is masked whole:
//       postgresql://app:abc/def@db/loans        -> postgresql://app:***@db/loans
//   - values under secret-looking names (token, secret, password, passwd, pwd, authorization, cookie,
//     session, api_key, private_key, credential...), as a name ends in a query string, a conninfo,
//     an env assignment, a header line or JSON (also JSON escaped inside JSON, and XML's &quot;):
//       ?access_token=abc&page=2                 -> ?access_token=***&page=2
//       password='a b' host=db                   -> password='***' host=db
//       {"refresh_token":"abc","pin":1234}       -> {"refresh_token":"***","pin":"***"}
//       Authorization: Bearer abc                -> Authorization: Bearer ***
//   - any value registered as a secret: register_secret("hunter2xQ") masks it anywhere (also in its JSON
//     and XML escaped forms). A weak secret (is_weak_secret: "admin", "postgres") is masked only where it
//     stands as a whole value (after '=' or ':', quoted or not, up to a separator), never inside
//     ordinary words: "admin" stays in "GET /admin/users", not in "role=admin".
// Every URL, environment value and command output goes through it on the way out.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace slipway {

inline constexpr std::string_view kMask = "***";

// Masks every secret in `text` (see above). `also` are masked as free substrings in this call only,
// whatever their strength (the pieces of a password in the message of the library that split it).
std::string redact(std::string_view text, std::span<const std::string> also = {});

// Remembers `value` so that redact() masks it from now on. Values shorter than 4 bytes are
// ignored: masking "1" everywhere would destroy output without protecting anything.
void register_secret(std::string_view value);

// True when a secret is too plain to be masked as a free substring: under 8 bytes, under 16 bytes of
// one character class ("postgres", "12345678"), or under 2.5 bits of entropy per character.
// `slipway check` reports such secrets as weak.
bool is_weak_secret(std::string_view value);

// Shannon entropy of `text` in bits per character.
double shannon_entropy(std::string_view text);

// The password of a URL's userinfo (between the first ':' and the last '@' before the host) and, when
// it holds unencoded '/', '@', ':', '?' or '#', its pieces of 4 bytes or more between them: libpq
// splits such a URL elsewhere and may print a piece as a host, port or database name. Empty when the
// URL has no password.
std::vector<std::string> url_password_parts(std::string_view url);

// True when an environment variable or config key names a secret
// (PASSWORD, SECRET, TOKEN, KEY, CREDENTIAL, PRIVATE, AUTH in its name, case-insensitive).
bool is_secret_name(std::string_view name);

}  // namespace slipway
