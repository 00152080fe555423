#include "verify/security.hpp"

#include <algorithm>
#include <cctype>
#include <random>
#include <set>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "net/http_client.hpp"
#include "net/tls_probe.hpp"

namespace slipway::verify {
namespace {

constexpr std::int64_t kHstsMinAge = 15'552'000;  // 180 days
const char* kPart = "security";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// "default-src 'self'; script-src 'self' 'unsafe-inline'" -> {"default-src": "'self'", ...}.
std::map<std::string, std::string> csp_directives(std::string_view csp) {
  std::map<std::string, std::string> out;
  while (!csp.empty()) {
    const auto semi = csp.find(';');
    const std::string part = trim(csp.substr(0, semi));
    if (!part.empty()) {
      const auto space = part.find(' ');
      const std::string name = lower(part.substr(0, space));
      if (!out.contains(name)) out[name] = space == std::string::npos ? "" : lower(trim(part.substr(space)));
    }
    if (semi == std::string_view::npos) break;
    csp.remove_prefix(semi + 1);
  }
  return out;
}

// The score the Observatory would give, built up as the checks run.
struct Score {
  int penalties = 0;
  int bonuses = 0;
  boost::json::array modifiers;
  void add(std::string_view test, int modifier) {
    if (modifier > 0)
      bonuses += modifier;
    else
      penalties += modifier;
    modifiers.push_back({{"test", test}, {"modifier", modifier}});
  }
  // Bonuses count only when the score without them is 90 (A) or more.
  [[nodiscard]] int total() const {
    const int base = std::max(0, 100 + penalties);
    return base >= 90 ? base + bonuses : base;
  }
};

bool is_session_cookie(std::string_view name) {
  const std::string n = lower(name);
  for (const char* word : {"session", "sess", "sid", "token", "auth", "login", "jwt"}) {
    if (n.find(word) != std::string::npos) return true;
  }
  return false;
}

class Scanner {
 public:
  Scanner(const VerifySettings& settings, Report& report, const net::Url& url)
      : settings_(settings), report_(report), url_(url), client_(options(settings)) {}

  void run() {
    if (url_.secure() || !settings_.security.expect_tls) tls();
    redirect();
    auto res = get(url_.str());
    if (!res) {
      add("security-reachable", Status::fail, res.error().message, url_.str());
      return;
    }
    hsts(*res);
    const bool frame_ancestors = csp(*res);
    x_frame_options(*res, frame_ancestors);
    x_content_type_options(*res);
    referrer_policy(*res);
    cookies(*res);
    cors();
    banner(*res);
    leak_routes();
    compression(*res);
    grade();
  }

 private:
  static net::ClientOptions options(const VerifySettings& s) {
    net::ClientOptions o = s.client_options();
    o.verify_peer = false;  // the certificate is judged by the TLS checks; the scan goes on
    return o;
  }

  Result<net::HttpResponse> get(const std::string& url, net::Headers headers = {}, std::string method = "GET") {
    net::HttpRequest req;
    req.method = std::move(method);
    req.url = url;
    req.headers = std::move(headers);
    return client_.send(req);
  }

  void add(std::string id, Status status, std::string message, std::string subject = {}) {
    if (skipped(id)) return;
    report_.add(std::move(id), kPart, status, std::move(message)).about(std::move(subject));
  }

  // Whether the check `id` is configured off; reports it as skip, once, with the reason.
  bool skipped(std::string_view id) {
    const auto& skip = settings_.security.skip;
    std::string reason;
    if (!settings_.security.expect_tls && is_tls_check(id))
      reason = "expect_tls = false: plain HTTP is expected here";
    else if (std::find(skip.begin(), skip.end(), id) != skip.end())
      reason = "listed in verify.security.skip";
    else
      return false;
    if (skipped_.insert(std::string(id)).second) report_.add(std::string(id), kPart, Status::skip, reason);
    return true;
  }

  static bool is_tls_check(std::string_view id) {
    return id.starts_with("tls-") || id == "https-redirect" || id == "header-hsts";
  }

  void tls() {
    bool all = true;
    for (std::string_view id : {"tls-protocol", "tls-certificate", "tls-hostname", "tls-expiry"})
      all = skipped(id) && all;
    if (all) return;
    auto probe = net::probe_tls(url_.host, url_.port, settings_.ca_file);
    if (!probe) {
      add("tls-protocol", Status::fail, probe.error().message, url_.authority());
      return;
    }
    bool modern = false;
    for (const auto& v : probe->versions) {
      const bool legacy = v.name == "TLSv1" || v.name == "TLSv1.1";
      if (!legacy && v.accepted) modern = true;
      if (legacy) {
        add("tls-protocol", v.accepted ? Status::fail : Status::pass,
            v.accepted ? fmt::format("{} is offered; turn it off (TLS 1.2+ only)", v.name)
                       : fmt::format("{} is refused", v.name),
            v.name);
      } else {
        add("tls-protocol", Status::pass, fmt::format("{} is {}", v.name, v.accepted ? "offered" : "not offered"),
            v.name);
      }
    }
    if (!modern) add("tls-protocol", Status::fail, "neither TLS 1.2 nor TLS 1.3 is offered", "TLSv1.2+");
    if (probe->chain_valid) {
      add("tls-certificate", Status::pass, fmt::format("chain verifies (issuer {})", probe->issuer), probe->subject);
    } else {
      add("tls-certificate", Status::fail,
          fmt::format("{}{}", probe->self_signed ? "self-signed: " : "untrusted: ", probe->chain_error),
          probe->subject);
    }
    add("tls-hostname", probe->hostname_ok ? Status::pass : Status::fail,
        probe->hostname_ok ? fmt::format("the certificate is valid for {}", url_.host)
                           : fmt::format("the certificate is not valid for {}", url_.host),
        url_.host);
    const long days = probe->days_left;
    const Status expiry = days < 7 ? Status::fail : days < 30 ? Status::warn : Status::pass;
    add("tls-expiry", expiry,
        days < 0 ? fmt::format("expired {} days ago", -days) : fmt::format("expires in {} days", days), probe->subject);
    hsts_possible_ = true;
  }

  void redirect() {
    if (skipped("https-redirect")) return;
    std::string http_url = settings_.security.http_url;
    const bool configured = !http_url.empty();
    if (!configured) {
      if (!url_.secure()) {
        add("https-redirect", Status::fail, "the service is served over plain HTTP", url_.str());
        score_.add("redirection-missing", -20);
        return;
      }
      http_url =
          "http://" + (url_.host.find(':') != std::string::npos ? "[" + url_.host + "]" : url_.host) + url_.target;
    }
    auto res = get(http_url);
    if (!res) {
      const Status s = configured ? Status::fail : Status::pass;
      add("https-redirect", s,
          configured ? fmt::format("{} did not answer: {}", http_url, res.error().message)
                     : "no plain HTTP listener, so nothing to redirect",
          http_url);
      return;
    }
    const std::string location = res->header("location");
    const bool redirects = res->status == 301 || res->status == 302 || res->status == 307 || res->status == 308;
    if (!redirects) {
      add("https-redirect", Status::fail,
          fmt::format("plain HTTP answers {} instead of redirecting to HTTPS", res->status), http_url);
      score_.add("redirection-missing", -20);
    } else if (!lower(location).starts_with("https://")) {
      add("https-redirect", Status::fail, fmt::format("the first hop redirects to {}, not to https://", location),
          http_url);
      score_.add("redirection-not-to-https-on-initial-redirection", -10);
    } else {
      auto target = net::Url::parse(location);
      const bool same_host = target && target->host == url_.host;
      add("https-redirect", same_host ? Status::pass : Status::warn,
          same_host ? fmt::format("{} -> {}", res->status, location)
                    : fmt::format("redirects to another host ({}), which prevents HSTS", location),
          http_url);
      if (!same_host) score_.add("redirection-off-host-from-http", -5);
    }
  }

  void hsts(const net::HttpResponse& res) {
    if (skipped("header-hsts")) return;
    const std::string value = res.header("strict-transport-security");
    if (!url_.secure()) {
      add("header-hsts", Status::fail, "HSTS cannot be set without HTTPS", "Strict-Transport-Security");
      score_.add("hsts-not-implemented-no-https", -20);
      return;
    }
    if (value.empty()) {
      add("header-hsts", Status::fail, fmt::format("missing; send max-age={} or more", kHstsMinAge),
          "Strict-Transport-Security");
      score_.add("hsts-not-implemented", -20);
      return;
    }
    const std::string v = lower(value);
    const auto pos = v.find("max-age=");
    if (pos == std::string::npos) {
      add("header-hsts", Status::fail, fmt::format("'{}' has no max-age", value), "Strict-Transport-Security");
      score_.add("hsts-header-invalid", -20);
      return;
    }
    const std::int64_t age = std::atoll(v.c_str() + pos + 8 + (v[pos + 8] == '"' ? 1 : 0));
    hsts_on_ = age >= kHstsMinAge;
    add("header-hsts", hsts_on_ ? Status::pass : Status::fail,
        hsts_on_ ? fmt::format("max-age={}", age) : fmt::format("max-age={} is under {} (180 days)", age, kHstsMinAge),
        "Strict-Transport-Security");
    score_.add(
        hsts_on_ ? "hsts-implemented-max-age-at-least-six-months" : "hsts-implemented-max-age-less-than-six-months",
        hsts_on_ ? 0 : -10);
  }

  // Returns whether CSP sets frame-ancestors.
  bool csp(const net::HttpResponse& res) {
    if (skipped("header-csp")) return false;
    const std::string value = res.header("content-security-policy");
    if (value.empty()) {
      add("header-csp", Status::fail, "missing; start from default-src 'self'", "Content-Security-Policy");
      score_.add("csp-not-implemented", -25);
      return false;
    }
    const auto d = csp_directives(value);
    const auto script = d.contains("script-src")    ? d.at("script-src")
                        : d.contains("default-src") ? d.at("default-src")
                                                    : "";
    const auto style = d.contains("style-src")     ? d.at("style-src")
                       : d.contains("default-src") ? d.at("default-src")
                                                   : "";
    const bool unsafe_inline = script.find("'unsafe-inline'") != std::string::npos;
    const bool unsafe_eval = script.find("'unsafe-eval'") != std::string::npos;
    const bool insecure = value.find("http:") != std::string::npos;
    if (unsafe_inline) {
      add("header-csp", Status::fail, "script-src allows 'unsafe-inline'", "Content-Security-Policy");
      score_.add("csp-implemented-with-unsafe-inline", -20);
    } else if (unsafe_eval) {
      add("header-csp", Status::fail, "script-src allows 'unsafe-eval'", "Content-Security-Policy");
      score_.add("csp-implemented-with-unsafe-eval", -10);
    } else if (insecure) {
      add("header-csp", Status::fail, "allows resources over http:", "Content-Security-Policy");
      score_.add("csp-implemented-with-insecure-scheme", -20);
    } else if (!d.contains("default-src") && !d.contains("script-src")) {
      add("header-csp", Status::warn, "neither default-src nor script-src is set, so scripts are not restricted",
          "Content-Security-Policy");
      score_.add("csp-implemented-with-unsafe-inline", -20);
    } else {
      const bool none = d.contains("default-src") && d.at("default-src") == "'none'";
      add("header-csp", Status::pass,
          style.find("'unsafe-inline'") != std::string::npos
              ? "no unsafe script sources ('unsafe-inline' in style-src only)"
              : "no unsafe sources",
          "Content-Security-Policy");
      score_.add(none ? "csp-implemented-with-no-unsafe-default-src-none" : "csp-implemented-with-no-unsafe",
                 none ? 10 : 5);
    }
    return d.contains("frame-ancestors");
  }

  void x_frame_options(const net::HttpResponse& res, bool frame_ancestors) {
    if (skipped("header-x-frame-options")) return;
    const std::string v = lower(trim(res.header("x-frame-options")));
    if (frame_ancestors) {
      add("header-x-frame-options", Status::pass, "CSP frame-ancestors is set", "X-Frame-Options");
      score_.add("x-frame-options-implemented-via-csp", 5);
    } else if (v == "deny" || v == "sameorigin") {
      add("header-x-frame-options", Status::pass, fmt::format("X-Frame-Options: {}", res.header("x-frame-options")),
          "X-Frame-Options");
      score_.add("x-frame-options-sameorigin-or-deny", 0);
    } else {
      add("header-x-frame-options", Status::fail,
          v.empty() ? "missing (and no CSP frame-ancestors): the pages can be framed (clickjacking)"
                    : fmt::format("'{}' is not DENY or SAMEORIGIN", res.header("x-frame-options")),
          "X-Frame-Options");
      score_.add(v.empty() ? "x-frame-options-not-implemented" : "x-frame-options-header-invalid", -20);
    }
  }

  void x_content_type_options(const net::HttpResponse& res) {
    if (skipped("header-x-content-type-options")) return;
    const std::string v = lower(trim(res.header("x-content-type-options")));
    const bool ok = v == "nosniff";
    add("header-x-content-type-options", ok ? Status::pass : Status::fail,
        ok ? "nosniff"
           : (v.empty() ? "missing; send X-Content-Type-Options: nosniff" : fmt::format("'{}' is not nosniff", v)),
        "X-Content-Type-Options");
    score_.add(ok ? "x-content-type-options-nosniff" : "x-content-type-options-not-implemented", ok ? 0 : -5);
  }

  void referrer_policy(const net::HttpResponse& res) {
    if (skipped("header-referrer-policy")) return;
    const std::string raw = res.header("referrer-policy");
    // The last recognised value of a list wins, as in browsers.
    std::string v;
    for (std::string_view list = raw; !list.empty();) {
      const auto comma = list.find(',');
      const std::string item = lower(trim(list.substr(0, comma)));
      if (!item.empty()) v = item;
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
    static const std::vector<std::string> safe{"no-referrer", "same-origin", "strict-origin",
                                               "strict-origin-when-cross-origin"};
    static const std::vector<std::string> unsafe{"origin", "origin-when-cross-origin", "unsafe-url"};
    if (v.empty()) {
      add("header-referrer-policy", Status::warn, "missing; browsers default to strict-origin-when-cross-origin",
          "Referrer-Policy");
      score_.add("referrer-policy-not-implemented", 0);
    } else if (std::find(safe.begin(), safe.end(), v) != safe.end()) {
      add("header-referrer-policy", Status::pass, v, "Referrer-Policy");
      score_.add("referrer-policy-private", 5);
    } else if (std::find(unsafe.begin(), unsafe.end(), v) != unsafe.end()) {
      add("header-referrer-policy", Status::fail, fmt::format("'{}' leaks URLs to other sites", v), "Referrer-Policy");
      score_.add("referrer-policy-unsafe", -5);
    } else if (v == "no-referrer-when-downgrade") {
      add("header-referrer-policy", Status::warn, "no-referrer-when-downgrade sends full URLs to other HTTPS sites",
          "Referrer-Policy");
      score_.add("referrer-policy-no-referrer-when-downgrade", 0);
    } else {
      add("header-referrer-policy", Status::fail, fmt::format("'{}' is not a Referrer-Policy", raw), "Referrer-Policy");
      score_.add("referrer-policy-header-invalid", -5);
    }
  }

  void cookies(const net::HttpResponse& res) {
    if (skipped("cookie-flags")) return;
    const auto set = net::header_values(res.headers, "set-cookie");
    if (set.empty()) {
      score_.add("cookies-not-found", 0);
      return;
    }
    int worst = 5;
    std::string worst_test = "cookies-secure-with-httponly-sessions-and-samesite";
    for (const auto& cookie : set) {
      const std::string name = trim(cookie.substr(0, cookie.find('=')));
      const std::string attrs = lower(cookie);
      const bool secure = attrs.find("; secure") != std::string::npos || attrs.find(";secure") != std::string::npos;
      const bool httponly = attrs.find("httponly") != std::string::npos;
      const bool samesite = attrs.find("samesite") != std::string::npos;
      const bool session = is_session_cookie(name);
      std::vector<std::string> missing;
      if (!secure) missing.emplace_back("Secure");
      if (session && !httponly) missing.emplace_back("HttpOnly");
      if (!samesite) missing.emplace_back("SameSite");
      std::string list;
      for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
      add("cookie-flags", missing.empty() ? Status::pass : Status::fail,
          missing.empty() ? "Secure, HttpOnly where it matters, SameSite" : fmt::format("without {}", list), name);
      auto consider = [&](int modifier, const char* test) {
        if (modifier < worst) {
          worst = modifier;
          worst_test = test;
        }
      };
      if (session && !secure)
        consider(hsts_on_ ? -10 : -40, hsts_on_ ? "cookies-session-without-secure-flag-but-protected-by-hsts"
                                                : "cookies-session-without-secure-flag");
      if (session && !httponly) consider(-30, "cookies-session-without-httponly-flag");
      if (!session && !secure)
        consider(hsts_on_ ? -5 : -20,
                 hsts_on_ ? "cookies-without-secure-flag-but-protected-by-hsts" : "cookies-without-secure-flag");
      if (!samesite) consider(0, "cookies-secure-with-httponly-sessions");
    }
    score_.add(worst_test, worst);
  }

  void cors() {
    bool all = true;
    for (std::string_view id :
         {"cors-arbitrary-origin", "cors-wildcard-credentials", "cors-null-origin", "cors-allowed-origin"})
      all = skipped(id) && all;
    if (all) return;
    const auto preflight = [&](const std::string& origin) {
      return get(url_.str(),
                 {{"Origin", origin},
                  {"Access-Control-Request-Method", "GET"},
                  {"Access-Control-Request-Headers", "authorization"}},
                 "OPTIONS");
    };
    const std::string evil = "https://slipway-probe.invalid";
    auto res = preflight(evil);
    if (!res) {
      add("cors-arbitrary-origin", Status::warn, fmt::format("the preflight failed: {}", res.error().message), evil);
      return;
    }
    const std::string acao = res->header("access-control-allow-origin");
    const bool credentials = lower(res->header("access-control-allow-credentials")) == "true";
    if (acao == evil) {
      add("cors-arbitrary-origin", Status::fail,
          fmt::format("any origin is reflected in Access-Control-Allow-Origin{}",
                      credentials ? ", with credentials" : ""),
          evil);
      score_.add("cross-origin-resource-sharing-implemented-with-universal-access", credentials ? -50 : 0);
    } else {
      add("cors-arbitrary-origin", Status::pass,
          acao.empty() ? "not allowed" : fmt::format("answered '{}', not the origin", acao), evil);
    }
    add("cors-wildcard-credentials", acao == "*" && credentials ? Status::fail : Status::pass,
        acao == "*" && credentials ? "Access-Control-Allow-Origin: * together with Allow-Credentials: true"
                                   : "no wildcard with credentials",
        "Access-Control-Allow-Origin");
    if (acao == "*" && credentials) score_.add("cross-origin-resource-sharing-implemented-with-universal-access", -50);
    auto null = preflight("null");
    if (null) {
      const bool allowed = null->header("access-control-allow-origin") == "null";
      add("cors-null-origin", allowed ? Status::fail : Status::pass,
          allowed ? "the null origin (sandboxed frames, file://) is allowed" : "the null origin is refused", "null");
    }
    for (const std::string& origin : settings_.security.cors_origins) {
      if (origin.ends_with("/") || origin.find("://") == std::string::npos) {
        add("cors-allowed-origin", Status::fail,
            "an origin is scheme://host[:port], without a trailing slash: browsers never send this one", origin);
        continue;
      }
      auto ok = preflight(origin);
      if (!ok) continue;
      const std::string got = ok->header("access-control-allow-origin");
      add("cors-allowed-origin", got == origin ? Status::pass : Status::fail,
          got == origin
              ? "allowed exactly"
              : (got.empty() ? "not allowed" : fmt::format("answered '{}' instead of the origin itself", got)),
          origin);
    }
  }

  void banner(const net::HttpResponse& res) {
    if (skipped("server-banner")) return;
    for (const char* name : {"server", "x-powered-by", "x-aspnet-version"}) {
      const std::string v = res.header(name);
      if (v.empty()) continue;
      const bool version = std::any_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); });
      add("server-banner", version ? Status::warn : Status::pass,
          version ? fmt::format("reveals '{}'; hide the version (nginx: server_tokens off)", v)
                  : fmt::format("'{}', no version", v),
          name == std::string("server")         ? "Server"
          : name == std::string("x-powered-by") ? "X-Powered-By"
                                                : "X-AspNet-Version");
    }
  }

  void leak_routes() {
    if (skipped("leak-route")) return;
    // A catch-all route (an SPA's index.html) answers 200 everywhere: learn its body first.
    std::random_device rd;
    const std::string random_path = fmt::format("/slipway-{:08x}-not-a-route", rd());
    auto baseline = get(net::join_url(url_.origin(), random_path));
    const std::string catch_all = baseline && baseline->status == 200 ? baseline->body : std::string();
    std::vector<std::string> routes = default_leak_routes();
    routes.insert(routes.end(), settings_.security.debug_paths.begin(), settings_.security.debug_paths.end());
    std::size_t exposed = 0;
    for (const auto& route : routes) {
      auto res = get(net::join_url(url_.origin(), route));
      if (!res || res->status != 200) continue;
      if (baseline && baseline->status == 200 && res->body == catch_all) continue;
      ++exposed;
      add("leak-route", Status::fail, fmt::format("answers 200 ({} bytes); it must not be reachable", res->body.size()),
          route);
    }
    if (exposed == 0) {
      add("leak-route", Status::pass, fmt::format("none of {} debug and leak routes answers 200", routes.size()),
          "debug routes");
    }
  }

  void compression(const net::HttpResponse& first) {
    if (skipped("compression")) return;
    std::vector<std::string> paths = settings_.security.compression_paths;
    if (paths.empty()) paths.push_back(url_.target);
    (void)first;
    for (const auto& path : paths) {
      const bool exempt =
          std::find(settings_.security.compression_exempt.begin(), settings_.security.compression_exempt.end(), path) !=
          settings_.security.compression_exempt.end();
      auto res = get(net::join_url(url_.origin(), path), {{"Accept-Encoding", "gzip, br"}});
      if (!res) continue;
      const std::string type = lower(res->header("content-type"));
      const bool compressible = type.find("json") != std::string::npos || type.find("text/") != std::string::npos ||
                                type.find("javascript") != std::string::npos || type.find("svg") != std::string::npos;
      const std::string encoding = res->header("content-encoding");
      if (exempt) {
        add("compression", Status::pass,
            encoding.empty() ? "exempt (BREACH) and not compressed"
                             : fmt::format("exempt (BREACH) yet compressed ({})", encoding),
            path);
      } else if (!compressible) {
        add("compression", Status::pass, fmt::format("{} is not a compressible type", type.empty() ? "no type" : type),
            path);
      } else if (encoding.empty()) {
        add("compression", Status::warn,
            fmt::format("{} is served uncompressed; turn gzip or br on (list paths that reflect secrets in "
                        "compression_exempt: BREACH)",
                        type),
            path);
      } else {
        add("compression", Status::pass,
            fmt::format("{} ({}); BREACH: list paths that reflect secrets next to user input in compression_exempt",
                        encoding, type),
            path);
      }
    }
  }

  void grade() {
    const int total = score_.total();
    const std::string g = observatory_grade(total);
    const Status status = total >= 70 ? Status::pass : total >= 50 ? Status::warn : Status::fail;
    add("security-grade", status,
        fmt::format("{} ({} points, as the Mozilla HTTP Observatory scores headers)", g, total), url_.origin());
    boost::json::object o;
    o["grade"] = g;
    o["score"] = total;
    o["modifiers"] = score_.modifiers;
    report_.extra()["security"] = std::move(o);
  }

  const VerifySettings& settings_;
  Report& report_;
  net::Url url_;
  net::HttpClient client_;
  Score score_;
  std::set<std::string> skipped_;
  bool hsts_on_ = false;
  bool hsts_possible_ = false;
};

}  // namespace

std::string observatory_grade(int score) {
  static constexpr std::pair<int, const char*> kChart[] = {{100, "A+"}, {90, "A"},  {85, "A-"}, {80, "B+"},
                                                           {70, "B"},   {65, "B-"}, {60, "C+"}, {50, "C"},
                                                           {45, "C-"},  {40, "D+"}, {30, "D"},  {25, "D-"}};
  for (const auto& [min, grade] : kChart) {
    if (score >= min) return grade;
  }
  return "F";
}

const std::vector<std::string>& default_leak_routes() {
  static const std::vector<std::string> routes{"/.env",
                                               "/.env.local",
                                               "/.env.production",
                                               "/.git/config",
                                               "/.git/HEAD",
                                               "/.svn/entries",
                                               "/.hg/hgrc",
                                               "/.DS_Store",
                                               "/debug",
                                               "/debug/vars",
                                               "/debug/pprof/",
                                               "/actuator",
                                               "/actuator/env",
                                               "/actuator/heapdump",
                                               "/server-status",
                                               "/server-info",
                                               "/phpinfo.php",
                                               "/info.php",
                                               "/__debug__/",
                                               "/_profiler",
                                               "/elmah.axd",
                                               "/trace.axd",
                                               "/console",
                                               "/.aws/credentials",
                                               "/config.json",
                                               "/backup.sql",
                                               "/dump.sql",
                                               "/.npmrc",
                                               "/docker-compose.yml",
                                               "/.htpasswd"};
  return routes;
}

const std::vector<std::string_view>& security_check_ids() {
  static const std::vector<std::string_view> ids{"tls-protocol",
                                                 "tls-certificate",
                                                 "tls-hostname",
                                                 "tls-expiry",
                                                 "https-redirect",
                                                 "header-hsts",
                                                 "header-csp",
                                                 "header-x-frame-options",
                                                 "header-x-content-type-options",
                                                 "header-referrer-policy",
                                                 "cookie-flags",
                                                 "cors-arbitrary-origin",
                                                 "cors-wildcard-credentials",
                                                 "cors-null-origin",
                                                 "cors-allowed-origin",
                                                 "leak-route",
                                                 "server-banner",
                                                 "compression",
                                                 "security-grade",
                                                 "security-reachable"};
  return ids;
}

Result<void> run_security_scan(const VerifySettings& settings, Report& report) {
  const std::string target = settings.security.url.empty() ? settings.base_url : settings.security.url;
  auto url = net::Url::parse(target);
  if (!url) return fail(url.error());
  Scanner(settings, report, *url).run();
  return {};
}

}  // namespace slipway::verify
