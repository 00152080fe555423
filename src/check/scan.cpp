#include "check/scan.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "check/strength.hpp"
#include "core/fs.hpp"
#include "core/hash.hpp"
#include "core/redact.hpp"

namespace slipway::check {
namespace {

constexpr std::string_view kSection = "secrets";
constexpr std::size_t kMaxFileBytes = 2 * 1024 * 1024;
constexpr std::size_t kMinEntropyLength = 20;

// Files that are all hashes and generated ids: scanning them only produces noise.
constexpr std::string_view kGeneratedFiles[] = {
    "package-lock.json",  "yarn.lock", "pnpm-lock.yaml", "*.lock", "go.sum", "*.min.js", "*.map", "*.svg",
    "npm-shrinkwrap.json"};

bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool is_upper_or_digit(char c) {
  return std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c));
}
bool is_base64url(char c) {
  return is_alnum(c) || c == '-' || c == '_';
}
bool is_base64(char c) {
  return is_alnum(c) || c == '+' || c == '/' || c == '=' || c == '-' || c == '_';
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// The length of the run of characters satisfying `pred` from `pos`.
template <typename Pred>
std::size_t run_length(std::string_view s, std::size_t pos, Pred pred) {
  std::size_t n = 0;
  while (pos + n < s.size() && pred(s[pos + n])) ++n;
  return n;
}

class LineScanner {
 public:
  LineScanner(std::string_view line, std::string_view path, int number, const EntropyLimits& limits)
      : line_(line), path_(path), number_(number), limits_(limits) {}

  std::vector<Finding> run() {
    private_key();
    token("aws-access-key", {"AKIA", "ASIA", "ABIA", "ACCA"}, 16, 16, is_upper_or_digit);
    token("github-token", {"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}, 36, 36, is_alnum);
    token("github-token", {"github_pat_"}, 22, 255, [](char c) { return is_alnum(c) || c == '_'; });
    token("stripe-live-key", {"sk_live_", "rk_live_"}, 20, 255, is_alnum);
    slack();
    jwt_token();
    gcp();
    url_password();
    assignment();
    return std::move(findings_);
  }

 private:
  void add(std::string rule, std::string_view secret, std::string masked = {}, bool warning = false) {
    const std::string s(secret);
    if (!seen_.insert(s).second) return;  // one finding per secret per line
    Finding f;
    f.rule = std::move(rule);
    f.path = std::string(path_);
    f.line = number_;
    f.masked = masked.empty() ? mask(secret) : std::move(masked);
    f.fingerprint = sha256_hex(fmt::format("{}:{}:{}", f.rule, path_, s)).substr(0, 12);
    f.warning = warning;
    findings_.push_back(std::move(f));
  }

  // prefix + [min, max] characters of `body`, not glued to more word characters on either side.
  template <typename Pred>
  void token(const char* rule, std::initializer_list<std::string_view> prefixes, std::size_t min, std::size_t max,
             Pred body) {
    for (std::string_view prefix : prefixes) {
      for (std::size_t pos = line_.find(prefix); pos != std::string_view::npos; pos = line_.find(prefix, pos + 1)) {
        if (pos > 0 && is_alnum(line_[pos - 1])) continue;
        const std::size_t n = run_length(line_, pos + prefix.size(), body);
        if (n < min || n > max) continue;
        const std::size_t end = pos + prefix.size() + n;
        if (end < line_.size() && is_alnum(line_[end])) continue;
        add(rule, line_.substr(pos, end - pos));
      }
    }
  }

  void private_key() {
    const auto begin = line_.find("-----BEGIN ");
    if (begin == std::string_view::npos) return;
    const auto end = line_.find("PRIVATE KEY", begin);
    if (end == std::string_view::npos || end - begin > 40) return;
    const auto close = line_.find("-----", end);
    const std::string_view header =
        line_.substr(begin, close == std::string_view::npos ? line_.npos : close + 5 - begin);
    add("private-key", header, std::string(header));
  }

  void slack() {
    for (std::size_t pos = line_.find("xox"); pos != std::string_view::npos; pos = line_.find("xox", pos + 1)) {
      if (pos + 5 > line_.size() || std::string_view("baprs").find(line_[pos + 3]) == std::string_view::npos ||
          line_[pos + 4] != '-') {
        continue;
      }
      const std::size_t n = run_length(line_, pos + 5, [](char c) { return is_alnum(c) || c == '-'; });
      if (n >= 10) add("slack-token", line_.substr(pos, 5 + n));
    }
  }

  void jwt_token() {
    for (std::size_t pos = line_.find("eyJ"); pos != std::string_view::npos; pos = line_.find("eyJ", pos + 1)) {
      std::size_t i = pos;
      int parts = 0;
      while (parts < 3) {
        const std::size_t n = run_length(line_, i, is_base64url);
        if (n < 10) break;
        ++parts;
        i += n;
        if (parts < 3 && (i >= line_.size() || line_[i] != '.')) break;
        ++i;
      }
      if (parts == 3) add("jwt-token", line_.substr(pos, i - 1 - pos));
    }
  }

  void gcp() {
    const auto type = line_.find("\"type\"");
    if (type == std::string_view::npos) return;
    if (line_.find("\"service_account\"", type) != std::string_view::npos) {
      add("gcp-service-account", "service_account", "\"type\": \"service_account\"");
    }
  }

  void url_password() {
    for (std::size_t pos = line_.find("://"); pos != std::string_view::npos; pos = line_.find("://", pos + 3)) {
      std::size_t start = pos + 3, end = start;
      while (end < line_.size() && !std::isspace(static_cast<unsigned char>(line_[end])) &&
             std::string_view("/?#\"'`<>,;)").find(line_[end]) == std::string_view::npos) {
        ++end;
      }
      const std::string_view authority = line_.substr(start, end - start);
      const auto at = authority.rfind('@');
      if (at == std::string_view::npos) continue;
      const auto colon = authority.substr(0, at).find(':');
      if (colon == std::string_view::npos || colon + 1 >= at) continue;
      const std::string_view password = authority.substr(colon + 1, at - colon - 1);
      std::string_view host = authority.substr(at + 1);
      host = host.substr(0, host.find(':'));
      if (password.find_first_of("[]()") != std::string_view::npos) continue;  // a grammar, not a URL
      if (password.front() == '$' || password.front() == '<' || password.front() == '{' || password.front() == '*' ||
          password.front() == '%' || is_placeholder(password) || lower(password) == "pass") {
        continue;
      }
      if (host == "localhost" || host == "127.0.0.1" || host == "[::1]") continue;
      add("url-password", password);
    }
  }

  // NAME = "value", NAME: value, "name": "value", export NAME=value, const name = 'value'.
  void assignment() {
    std::size_t i = 0;
    const auto skip_spaces = [&] {
      while (i < line_.size() && (line_[i] == ' ' || line_[i] == '\t')) ++i;
    };
    skip_spaces();
    for (std::string_view word : {"export ", "const ", "let ", "var ", "set ", "- "}) {
      if (line_.substr(i).starts_with(word)) {
        i += word.size();
        skip_spaces();
      }
    }
    const bool quoted_name = i < line_.size() && (line_[i] == '"' || line_[i] == '\'');
    if (quoted_name) ++i;
    const std::size_t name_start = i;
    while (i < line_.size() && (is_alnum(line_[i]) || line_[i] == '_' || line_[i] == '-' || line_[i] == '.')) ++i;
    const std::string_view name = line_.substr(name_start, i - name_start);
    if (name.empty()) return;
    if (quoted_name && i < line_.size() && (line_[i] == '"' || line_[i] == '\'')) ++i;
    skip_spaces();
    if (i >= line_.size() || (line_[i] != '=' && line_[i] != ':')) return;
    if (line_[i] == ':' && i + 1 < line_.size() && line_[i + 1] == ':') return;  // C++ and Ruby scopes
    if (line_[i] == ':' && i + 1 < line_.size() && line_[i + 1] == '=') ++i;
    ++i;
    if (i < line_.size() && line_[i] == '=') return;  // ==, a comparison
    skip_spaces();
    std::string_view value;
    const bool quoted = i < line_.size() && (line_[i] == '"' || line_[i] == '\'' || line_[i] == '`');
    if (quoted) {
      const char quote = line_[i];
      const auto close = line_.find(quote, i + 1);
      if (close == std::string_view::npos) return;
      value = line_.substr(i + 1, close - i - 1);
    } else {
      const std::size_t n = run_length(line_, i, [](char c) {
        return !std::isspace(static_cast<unsigned char>(c)) && c != ',' && c != ';' && c != '#';
      });
      value = line_.substr(i, n);
    }
    if (value.empty() || is_reference(value)) return;
    if (!quoted && looks_like_code(value)) return;

    const std::string lname = lower(name);
    const bool jwt = lname.find("jwt") != std::string::npos &&
                     (lname.find("secret") != std::string::npos || lname.find("key") != std::string::npos);
    if ((jwt || is_secret_name(name)) && looks_like_literal_secret(value)) {
      add(jwt ? "jwt-secret" : "secret-assignment", value);
      return;
    }
    const bool env_style =
        std::all_of(name.begin(), name.end(), [](char c) { return is_upper_or_digit(c) || c == '_'; }) &&
        std::isupper(static_cast<unsigned char>(name.front()));
    if (env_style && high_entropy(value)) add("high-entropy-string", value, {}, true);
  }

  // process.env.X, ${X}, os.environ["X"], env("X"), <placeholder>: not a literal.
  static bool is_reference(std::string_view value) {
    for (std::string_view ref : {"process.env", "os.environ", "os.getenv", "getenv(", "env(", "ENV[", "import.meta.env",
                                 "config.", "settings."}) {
      if (value.starts_with(ref)) return true;
    }
    return value.front() == '$' || value.front() == '<' || value.front() == '{' || value.front() == '%' ||
           value.front() == '(' || value.front() == '[';
  }

  // An unquoted value that is an expression in code: a call, a member (`env.JWT_SECRET`,
  // `crypto.randomBytes(32)`), or a bare identifier followed by an operator.
  static bool looks_like_code(std::string_view value) {
    if (value.find_first_of("()[]{}") != std::string_view::npos) return true;
    const std::size_t ident = run_length(value, 0, [](char c) { return is_alnum(c) || c == '_' || c == '$'; });
    return ident > 0 && ident < value.size() && value[ident] == '.' &&
           !std::isdigit(static_cast<unsigned char>(value[0]));
  }

  // A literal worth reporting under a secret-like name: 8 characters or more, no spaces, letters
  // and digits or symbols mixed (a header name such as "Authorization" is not a secret), and not a
  // placeholder.
  static bool looks_like_literal_secret(std::string_view value) {
    if (value.size() < 8 || is_placeholder(value)) return false;
    if (std::any_of(value.begin(), value.end(), [](unsigned char c) { return std::isspace(c); })) return false;
    const bool letter = std::any_of(value.begin(), value.end(), [](unsigned char c) { return std::isalpha(c); });
    const bool other = std::any_of(value.begin(), value.end(), [](unsigned char c) { return !std::isalpha(c); });
    return letter && other;
  }

  bool high_entropy(std::string_view value) const {
    if (value.size() < kMinEntropyLength) return false;
    if (value.starts_with("sha1-") || value.starts_with("sha256-") || value.starts_with("sha512-")) return false;
    const bool hex = std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isxdigit(c); });
    if (hex) {
      if (std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); })) return false;
      return shannon_entropy(value) > limits_.hex;
    }
    if (!std::all_of(value.begin(), value.end(), is_base64)) return false;
    return shannon_entropy(value) > limits_.base64;
  }

  std::string_view line_;
  std::string_view path_;
  int number_;
  const EntropyLimits& limits_;
  std::vector<Finding> findings_;
  std::set<std::string> seen_;
};

bool segment_match(std::string_view p, std::string_view s) {
  // `*` and `?` within one segment, by backtracking on the last star.
  std::size_t pi = 0, si = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == s[si])) {
      ++pi;
      ++si;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    parts.push_back(path.substr(start, slash == std::string_view::npos ? path.npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

bool parts_match(const std::vector<std::string_view>& p, std::size_t pi, const std::vector<std::string_view>& s,
                 std::size_t si) {
  if (pi == p.size()) return si == s.size();
  if (p[pi] == "**") {
    for (std::size_t k = si; k <= s.size(); ++k) {
      if (parts_match(p, pi + 1, s, k)) return true;
    }
    return false;
  }
  return si < s.size() && segment_match(p[pi], s[si]) && parts_match(p, pi + 1, s, si + 1);
}

bool ignored_path(const CheckSecretsConfig& config, std::string_view path) {
  for (std::string_view pattern : kGeneratedFiles) {
    if (glob_match(pattern, path)) return true;
  }
  return std::any_of(config.ignore_paths.begin(), config.ignore_paths.end(),
                     [&](const std::string& p) { return glob_match(p, path); });
}

std::vector<std::string> split_nul(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\0', start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string describe(const Finding& f) {
  static const std::pair<std::string_view, std::string_view> kNames[] = {
      {"private-key", "a private key"},
      {"aws-access-key", "an AWS access key"},
      {"gcp-service-account", "a Google Cloud service-account key"},
      {"slack-token", "a Slack token"},
      {"github-token", "a GitHub token"},
      {"stripe-live-key", "a Stripe live key"},
      {"jwt-token", "a signed JWT"},
      {"url-password", "a URL with a password"},
      {"jwt-secret", "a JWT secret"},
      {"secret-assignment", "a secret assigned in code"},
      {"high-entropy-string", "a random-looking value"},
  };
  for (const auto& [rule, name] : kNames) {
    if (rule == f.rule) return std::string(name);
  }
  return f.rule;
}

// Lines added by the last `commits` commits: "commit:<sha>", "+++ b/<path>", "@@ ... +N,M @@", "+line".
void scan_history(const Git& git, int commits, const CheckSecretsConfig& config, const EntropyLimits& limits,
                  std::set<std::string>& seen, std::vector<Finding>& out) {
  auto log = git.run({"log", "-p", fmt::format("-n{}", commits), "--no-color", "--no-ext-diff", "--no-renames",
                      "--format=commit:%h", "--diff-filter=AM", "--", "."});
  if (!log) return;
  std::istringstream lines(*log);
  std::string commit, path;
  int number = 0;
  bool skip = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("commit:")) {
      commit = line.substr(7);
      path.clear();
    } else if (line.starts_with("+++ ")) {
      path = line.starts_with("+++ b/") ? line.substr(6) : std::string();
      skip = path.empty() || ignored_path(config, path);
    } else if (line.starts_with("@@ ")) {
      const auto plus = line.find(" +");
      number = plus == std::string::npos ? 0 : std::atoi(line.c_str() + plus + 2);
    } else if (!path.empty() && !line.empty() && line[0] == '+') {
      if (!skip && line.find("slipway:ignore-secret") == std::string::npos) {
        for (Finding& f : scan_line(std::string_view(line).substr(1), path, number, limits)) {
          if (!seen.insert(f.fingerprint).second) continue;
          f.commit = commit;
          out.push_back(std::move(f));
        }
      }
      ++number;
    } else if (!path.empty() && !line.empty() && line[0] == ' ') {
      ++number;
    }
  }
}

void check_env_files(const Git& git, const std::vector<std::string>& tracked, Report& report) {
  std::vector<std::string> problems;
  for (const auto& path : tracked) {
    if (is_env_file(path)) problems.push_back(fmt::format("{} is committed", path));
  }
  if (auto others = git.run({"ls-files", "-z", "--full-name", "--others", "--exclude-standard"})) {
    for (const auto& path : split_nul(*others)) {
      if (is_env_file(path)) problems.push_back(fmt::format("{} is not ignored by git", path));
    }
  }
  if (!problems.empty()) {
    std::string message;
    for (const auto& p : problems) message += fmt::format("{}{}", message.empty() ? "" : "; ", p);
    report.add("env-files-ignored", std::string(kSection), Status::fail, message)
        .with_hint(
            "add .env and .env.* (with !.env.example) to .gitignore, `git rm --cached` committed ones, and rotate "
            "what they held");
    return;
  }
  if (!git.run({"check-ignore", "-q", ".env"})) {
    report.add("env-files-ignored", std::string(kSection), Status::warn, ".gitignore does not ignore .env")
        .with_hint("add .env and .env.* to .gitignore before someone creates one");
    return;
  }
  report.add("env-files-ignored", std::string(kSection), Status::pass, ".env files are ignored by git");
}

}  // namespace

std::vector<Finding> scan_line(std::string_view line, std::string_view path, int line_number,
                               const EntropyLimits& limits) {
  return LineScanner(line, path, line_number, limits).run();
}

std::vector<Finding> scan_text(std::string_view text, std::string_view path, const EntropyLimits& limits) {
  std::vector<Finding> out;
  int number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    ++number;
    pos = eol + 1;
    if (line.find("slipway:ignore-secret") != std::string_view::npos) continue;
    for (Finding& f : scan_line(line, path, number, limits)) out.push_back(std::move(f));
  }
  return out;
}

std::string mask(std::string_view secret) {
  const std::size_t shown = std::min<std::size_t>(4, secret.size() / 3);
  return fmt::format("{}…", secret.substr(0, shown));
}

bool glob_match(std::string_view pattern, std::string_view path) {
  if (pattern.find('/') == std::string_view::npos) {
    const auto slash = path.rfind('/');
    return segment_match(pattern, slash == std::string_view::npos ? path : path.substr(slash + 1));
  }
  if (pattern.starts_with("/")) pattern.remove_prefix(1);
  return parts_match(split_path(pattern), 0, split_path(path), 0);
}

bool is_env_file(std::string_view path) {
  const auto slash = path.rfind('/');
  const std::string name = lower(slash == std::string_view::npos ? path : path.substr(slash + 1));
  if (name != ".env" && !name.starts_with(".env.")) return false;
  for (std::string_view suffix : {".example", ".sample", ".template", ".dist", ".defaults", ".schema"}) {
    if (name.ends_with(suffix)) return false;
  }
  return true;
}

void check_secrets(const CheckSecretsConfig& config, const Git& git, Report& report) {
  if (!config.enabled) return;
  if (!git.is_repository()) {
    report.add("repo-secrets", std::string(kSection), Status::warn, "not a git repository: the secret scan needs one")
        .with_hint("run slipway check in the project's git checkout");
    return;
  }
  auto top = git.top();
  auto listing = git.run({"ls-files", "-z", "--full-name"});
  if (!top || !listing) {
    report.add("repo-secrets", std::string(kSection), Status::warn,
               fmt::format("cannot list the tracked files: {}", (!top ? top.error() : listing.error()).message));
    return;
  }
  const std::vector<std::string> tracked = split_nul(*listing);
  const EntropyLimits limits{config.base64_entropy, config.hex_entropy};
  std::vector<Finding> findings;
  std::set<std::string> seen;
  std::size_t scanned = 0;
  for (const std::string& path : tracked) {
    if (ignored_path(config, path)) continue;
    const auto file = *top / path;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec) || std::filesystem::file_size(file, ec) > kMaxFileBytes) continue;
    auto text = read_text_file(file);
    if (!text || text->substr(0, 8000).find('\0') != std::string::npos) continue;  // unreadable or binary
    ++scanned;
    for (Finding& f : scan_text(*text, path, limits)) {
      if (seen.insert(f.fingerprint).second) findings.push_back(std::move(f));
    }
  }
  if (config.history > 0) scan_history(git, config.history, config, limits, seen, findings);

  std::size_t ignored = 0, reported = 0;
  for (const Finding& f : findings) {
    if (std::find(config.ignore.begin(), config.ignore.end(), f.fingerprint) != config.ignore.end()) {
      ++ignored;
      continue;
    }
    ++reported;
    const std::string where = fmt::format("{}:{}", f.path, f.line);
    const std::string history = f.commit.empty() ? "" : fmt::format(" (added in commit {})", f.commit);
    report
        .add(f.rule, std::string(kSection), f.warning ? Status::warn : Status::fail,
             redact(fmt::format("{}: {} {}{} [fingerprint {}]", where, describe(f), f.masked, history, f.fingerprint)))
        .with_hint(f.commit.empty()
                       ? "move it to the environment and rotate it; if it is not a secret, add the fingerprint "
                         "to check.secrets.ignore or `slipway:ignore-secret` on the line"
                       : "it is in git history: rotate it (rewriting history does not unpublish it), or add "
                         "the fingerprint to check.secrets.ignore");
  }
  if (reported == 0) {
    report.add("repo-secrets", std::string(kSection), Status::pass,
               fmt::format("no secrets in {} tracked files{}{}", scanned,
                           config.history > 0 ? fmt::format(" and the last {} commits", config.history) : "",
                           ignored ? fmt::format(" ({} ignored by fingerprint)", ignored) : ""));
  }
  check_env_files(git, tracked, report);
}

}  // namespace slipway::check
