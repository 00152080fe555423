// The security part: one pass over the service's TLS endpoint and base URL.
//
//   TLS          each protocol version tried (1.0/1.1 offered fails), chain, host name, expiry
//                (warn < 30 days, fail < 7), plain HTTP's first hop redirecting to HTTPS
//   headers      Mozilla Observatory's tests and score modifiers (HSTS, CSP, X-Frame-Options,
//                X-Content-Type-Options, Referrer-Policy, cookies, CORS), and its grade
//   CORS         preflights: an arbitrary origin not reflected, no * with credentials, null
//                refused, each configured origin allowed exactly
//   leaks        debug and leak routes must not answer 200 (a catch-all 200 is told apart)
//   banner       a Server / X-Powered-By header revealing a version
//   compression  on for JSON and static responses, with BREACH exemptions
// An untrusted certificate is a finding, not the end of the scan. A check listed in
// security.skip, and with expect_tls = false the TLS, https-redirect and HSTS checks, are
// reported once as skip with the reason, and add nothing to the score.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "verify/report.hpp"
#include "verify/settings.hpp"

namespace slipway::verify {

// Observatory's grade chart: 100+ A+, 90 A, 85 A-, 80 B+, 70 B, 65 B-, 60 C+, 50 C, 45 C-,
// 40 D+, 30 D, 25 D-, else F.
std::string observatory_grade(int score);

// The leak routes probed besides security.debug_paths.
const std::vector<std::string>& default_leak_routes();

// Every check id the scan reports, for verify.security.skip.
const std::vector<std::string_view>& security_check_ids();

// Scans `settings.security.url` (or base_url). Fails only on bad input (a bad URL).
Result<void> run_security_scan(const VerifySettings& settings, Report& report);

}  // namespace slipway::verify
