// Secrets committed to the repository: the tracked files under the project's folder as they are
// now, and the lines the last N commits added there (a key deleted in the latest commit is still
// in history). Paths are shown from the repository's top.
//
// Detectors, by rule id (each finding is one check in section "secrets"):
//   private-key          a PEM header: -----BEGIN [RSA |EC |OPENSSH |...]PRIVATE KEY-----
//   aws-access-key       AKIA/ASIA + 16 upper-case letters and digits
//   gcp-service-account  "type": "service_account" (a service-account JSON key file)
//   slack-token          xoxb-/xoxp-/xoxa-/xoxr-/xoxs-...
//   github-token         ghp_/gho_/ghu_/ghs_/ghr_ + 36, github_pat_ + 22 or more
//   stripe-live-key      sk_live_/rk_live_ + 20 or more
//   jwt-token            eyJ....eyJ....signature (a signed token pasted into code)
//   url-password         scheme://user:password@host, unless the password is a placeholder or
//                        ${VAR}, or the host is localhost
//   jwt-secret           a literal value assigned to a name with "jwt" and "secret"/"key" in it
//   secret-assignment    a literal value assigned to a secret-like name (PASSWORD, TOKEN, API_KEY...)
//   high-entropy-string  an env-style NAME=value (upper-case name) whose value is random-looking:
//                        Shannon entropy above 4.5 bits/char over the base64 alphabet or 3.0 over
//                        hex, 20 characters or more (the limits detect-secrets uses); a warning
// A line with "slipway:ignore-secret" in it is skipped. Findings carry a fingerprint,
// sha256("rule:path:secret") cut to 12 hex digits, for check.secrets.ignore.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "check/git.hpp"
#include "check/report.hpp"
#include "core/config.hpp"

namespace slipway::check {

struct Finding {
  std::string rule;
  std::string path;
  int line = 0;
  std::string commit;  // the commit that added it, when found in history only
  std::string masked;  // "AKIA…"
  std::string fingerprint;
  bool warning = false;  // heuristic (high-entropy-string): a warning, not a failure
};

struct EntropyLimits {
  double base64 = 4.5;
  double hex = 3.0;
};

// Findings in one line of `path` (pure; what the scanner runs on every line).
std::vector<Finding> scan_line(std::string_view line, std::string_view path, int line_number,
                               const EntropyLimits& limits);
// Findings in a whole file's text.
std::vector<Finding> scan_text(std::string_view text, std::string_view path, const EntropyLimits& limits);

// A 20-character key -> its first 4 characters and "…"; never more than a third of the secret.
std::string mask(std::string_view secret);

// `path` matches a glob: `*` and `?` within a path segment, `**` across segments; a pattern with
// no '/' matches the file name at any depth (as in .gitignore).
bool glob_match(std::string_view pattern, std::string_view path);

// True for env files that must never be committed: .env, .env.production, app/.env.local;
// not templates (.env.example, .env.sample, .env.template, .env.dist).
bool is_env_file(std::string_view path);

// The secrets part of the checklist: every finding (after check.secrets.ignore and
// ignore_paths), or one pass; and env-files-ignored.
void check_secrets(const CheckSecretsConfig& config, const Git& git, Report& report);

}  // namespace slipway::check
