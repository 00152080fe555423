// Base64 (RFC 4648) through libsodium: the standard alphabet with padding (SMTP's AUTH and encoded
// headers), and base64url without padding (JWT and JWK).
#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace slipway {

enum class Base64 { standard, url };

std::string base64_encode(std::string_view bytes, Base64 variant);

// Fails (bad input) on a character outside the variant's alphabet, an impossible length or
// non-zero trailing bits. For `url`, trailing '=' padding is tolerated (issuers differ).
Result<std::string> base64_decode(std::string_view text, Base64 variant);

}  // namespace slipway
