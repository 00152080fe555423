// The one place secrets are removed from text before it is printed, logged or stored.
//
// redact() masks three kinds of secret:
//   - the password in a URL's userinfo:   postgresql://app:s3cret@db/loans -> postgresql://app:***@db/loans
//   - password-like key=value pairs:      host=db password=s3cret          -> host=db password=***
//                                         ?sslpassword=x&token=y           -> ?sslpassword=***&token=***
//   - any value registered as a secret:   register_secret("hunter2") masks "hunter2" anywhere.
// Every URL, environment value and command output goes through it on the way out.
#pragma once

#include <string>
#include <string_view>

namespace slipway {

inline constexpr std::string_view kMask = "***";

// Masks every secret in `text` (see above).
std::string redact(std::string_view text);

// Remembers `value` so that redact() masks it from now on. Values shorter than 4 bytes are
// ignored: masking "1" everywhere would destroy output without protecting anything.
void register_secret(std::string_view value);

// True when an environment variable or config key names a secret
// (PASSWORD, SECRET, TOKEN, KEY, CREDENTIAL, PRIVATE, AUTH in its name, case-insensitive).
bool is_secret_name(std::string_view name);

}  // namespace slipway
