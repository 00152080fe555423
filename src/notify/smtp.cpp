#include "notify/smtp.hpp"

#include <curl/curl.h>
#include <strings.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "core/base64.hpp"
#include "core/host.hpp"
#include "core/redact.hpp"

namespace slipway::smtp {
namespace {

constexpr std::string_view kEndOfData = "the message (end of DATA)";

// curl_global_init once per process, before the first handle (it is not thread-safe itself).
CURLcode global_init() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return result;
}

struct Reply {
  int code = 0;
  std::vector<std::string> lines;  // the text of each line after "250-" / "250 "

  // "250 first line / second line", for messages.
  [[nodiscard]] std::string text() const {
    std::string out = std::to_string(code);
    for (std::size_t i = 0; i < lines.size(); ++i) out += (i == 0 ? " " : " / ") + lines[i];
    return out;
  }
  // True when an EHLO reply lists `keyword` ("STARTTLS", "AUTH").
  [[nodiscard]] bool offers(std::string_view keyword, std::string* rest = nullptr) const {
    for (std::size_t i = 1; i < lines.size(); ++i) {
      const std::string& l = lines[i];
      if (l.size() < keyword.size() || strncasecmp(l.c_str(), keyword.data(), keyword.size()) != 0) continue;
      if (l.size() > keyword.size() && l[keyword.size()] != ' ' && l[keyword.size()] != '=') continue;
      if (rest) *rest = l.size() > keyword.size() ? l.substr(keyword.size() + 1) : std::string();
      return true;
    }
    return false;
  }
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// What libcurl said and heard, followed through its debug (commands) and header (replies)
// callbacks, so that an error can name the step and quote the reply as the server wrote it.
struct Conversation {
  explicit Conversation(const Options& options) : o(options) {}

  const Options& o;
  std::string step = "the greeting";  // the last command sent, AUTH's arguments left out
  std::string auth;                   // "AUTH PLAIN" while an AUTH exchange is under way
  bool starttls_sent = false;
  Reply reading;             // the reply whose lines are coming in
  std::string refused_step;  // the last reply of 400 or more and what it answered,
  std::string refusal;       // cleared by a later success
  std::string queued;        // the reply to the end of DATA
  std::string mechanisms;    // the AUTH mechanisms of the last EHLO reply
  std::string stopped;       // why the header callback stopped the transfer
  std::string ca_error;      // why the CA file could not be read
  std::string body;          // the message, CRLF line ends
  std::size_t sent = 0;      // bytes of `body` handed to libcurl

  void command(std::string_view line) {
    if (!auth.empty()) {  // a SASL response: credentials, never shown
      step = auth + " (continued)";
      return;
    }
    const std::string_view verb = line.substr(0, line.find(' '));
    if (iequals(verb, "AUTH")) {
      const std::string_view rest = line.substr(std::min<std::size_t>(line.size(), 5));
      auth = step = "AUTH " + std::string(rest.substr(0, rest.find(' ')));
      return;
    }
    if (iequals(verb, "STARTTLS")) starttls_sent = true;
    step = std::string(line);
  }

  // One line of a reply; false stops the transfer (`stopped` says why).
  bool reply_line(std::string_view line) {
    if (line.size() < 3) return true;
    reading.code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    reading.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
    if (line.size() > 3 && line[3] == '-') return true;
    Reply reply = std::move(reading);
    reading = {};
    return on_reply(reply);
  }

  bool on_reply(const Reply& reply) {
    if (!auth.empty() && reply.code != 334) auth.clear();
    if (step == "QUIT") return true;
    if (reply.code >= 400) {
      refused_step = step;
      refusal = reply.text();
    } else {
      refusal.clear();
    }
    if (step == kEndOfData) queued = reply.text();
    if (step == "DATA" && reply.code == 354) step = kEndOfData;
    // libcurl goes on without AUTH when the server does not offer it; the user asked for it.
    const bool hello = step.starts_with("EHLO ") && reply.code == 250;
    const bool before_starttls = o.tls == Tls::starttls && !starttls_sent;
    if (hello && !before_starttls && !o.username.empty() && !reply.offers("AUTH", &mechanisms)) {
      stopped = fmt::format("SMTP {}:{} does not offer AUTH, but notify.email.username is set", o.host, o.port);
      return false;
    }
    return true;
  }
};

std::string_view without_crlf(const char* data, std::size_t size) {
  std::string_view s(data, size);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

int on_debug(CURL*, curl_infotype type, char* data, std::size_t size, void* user) {
  if (type == CURLINFO_HEADER_OUT) static_cast<Conversation*>(user)->command(without_crlf(data, size));
  return 0;
}

std::size_t on_reply(char* data, std::size_t size, std::size_t count, void* user) {
  auto* c = static_cast<Conversation*>(user);
  return c->reply_line(without_crlf(data, size * count)) ? size * count : 0;
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* c = static_cast<Conversation*>(user);
  const std::size_t n = std::min(size * count, c->body.size() - c->sent);
  std::memcpy(buffer, c->body.data() + c->sent, n);
  c->sent += n;
  return n;
}

// Trusts what the rest of slipway trusts: OpenSSL's default CAs (which honour SSL_CERT_FILE and
// SSL_CERT_DIR) on top of libcurl's bundle, and the CA file.
CURLcode trust(CURL*, void* ssl_ctx, void* user) {
  auto* c = static_cast<Conversation*>(user);
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  SSL_CTX_set_default_verify_paths(ctx);
  if (c->o.ca_file.empty() || SSL_CTX_load_verify_locations(ctx, c->o.ca_file.c_str(), nullptr) == 1) return CURLE_OK;
  const unsigned long e = ERR_get_error();
  char buf[256] = "unreadable";
  if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
  c->ca_error = buf;
  return CURLE_SSL_CACERT_BADFILE;
}

// CRLF line ends (a lone CR or LF becomes CRLF), ending with one; libcurl dot-stuffs.
std::string crlf(std::string_view data) {
  std::string out;
  out.reserve(data.size() + data.size() / 40 + 2);
  for (std::size_t i = 0; i < data.size(); ++i) {
    const char c = data[i];
    if (c == '\r' || c == '\n') {
      out += "\r\n";
      if (c == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ++i;
    } else {
      out.push_back(c);
    }
  }
  if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
  return out;
}

// "<a@b>" for an address written "a@b" or "Name <a@b>".
std::string angle(std::string_view address) {
  const auto lt = address.find('<');
  const auto gt = address.rfind('>');
  if (lt != std::string_view::npos && gt != std::string_view::npos && gt > lt)
    return std::string(address.substr(lt, gt - lt + 1));
  return "<" + std::string(address) + ">";
}

bool tls_failure(CURLcode rc) {
  switch (rc) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CRL_BADFILE: return true;
    default: return false;
  }
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// The error of a transfer that failed with `rc`.
Error failure(CURL* curl, CURLcode rc, const Conversation& c, const char* errbuf) {
  const Options& o = c.o;
  const std::string where = o.host + ":" + o.port;
  const std::string said = errbuf[0] ? errbuf : curl_easy_strerror(rc);
  long os_errno = 0;
  curl_off_t connected_us = 0;
  curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
  curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME_T, &connected_us);
  const bool not_connected = rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY ||
                             rc == CURLE_COULDNT_CONNECT || (rc == CURLE_OPERATION_TIMEDOUT && connected_us == 0);
  if (not_connected) {
    const std::string why = os_errno != 0                    ? std::strerror(static_cast<int>(os_errno))
                            : rc == CURLE_OPERATION_TIMEDOUT ? std::string("timed out")
                                                             : said;
    const std::string through = o.proxy.empty() ? std::string() : " through " + o.proxy;
    return Error::unreachable_at(fmt::format("cannot connect to {}{}: {}", where, through, why), "",
                                 "is the SMTP server running and listening there?");
  }
  if (!c.stopped.empty()) return Error::environment(c.stopped);
  if (!c.ca_error.empty()) return Error::input(fmt::format("cannot read the CA file {}: {}", o.ca_file, c.ca_error));
  if (rc == CURLE_USE_SSL_FAILED && !c.starttls_sent)
    return Error::environment(
        fmt::format("SMTP {} does not offer STARTTLS, but notify.email.tls is \"starttls\"", where), "",
        "use the server's submission port (587), or its SMTPS port with tls = \"implicit\"; tls = \"none\" "
        "only for a trusted local relay");
  if (tls_failure(rc)) {
    const bool upgrade = o.tls == Tls::starttls;
    std::string hint;
    if (!upgrade && said.find("wrong version number") != std::string::npos)
      hint = "the server does not speak TLS on connect there: is it a STARTTLS port (use tls = \"starttls\")?";
    return Error::environment(
        fmt::format("SMTP {}: TLS handshake{} failed: {}", where, upgrade ? " after STARTTLS" : "", said), "", hint);
  }
  if (!c.refusal.empty())
    return Error::environment(fmt::format("SMTP {} refused {}: {}", where, c.refused_step, c.refusal));
  if (rc == CURLE_LOGIN_DENIED)  // no mechanism in common: libcurl sends no AUTH at all
    return Error::environment(
        fmt::format("SMTP {} offers AUTH {}, and libcurl speaks none of those mechanisms", where, c.mechanisms));
  if (rc == CURLE_OPERATION_TIMEDOUT)
    return Error::environment(fmt::format("SMTP {}: {}: no reply: timed out", where, c.step));
  return Error::environment(fmt::format("SMTP {}: {}: {}", where, c.step, said));
}

}  // namespace

std::string header_value(std::string_view value) {
  std::string clean(value);
  bool ascii = true;
  for (auto& c : clean) {
    if (c == '\r' || c == '\n') c = ' ';
    if (static_cast<unsigned char>(c) >= 0x80) ascii = false;
  }
  if (ascii) return clean;
  // Encoded words are at most 75 characters (RFC 2047 section 2): 45 bytes of text each, never
  // splitting a UTF-8 sequence, joined by folding whitespace.
  std::string out;
  std::size_t i = 0;
  while (i < clean.size()) {
    std::size_t end = std::min(clean.size(), i + 45);
    while (end < clean.size() && end > i && (static_cast<unsigned char>(clean[end]) & 0xC0) == 0x80) --end;
    if (end == i) end = std::min(clean.size(), i + 45);  // not UTF-8: cut anywhere
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64_encode(std::string_view(clean).substr(i, end - i), Base64::standard) + "?=";
    i = end;
  }
  return out;
}

std::string rfc5322_date(std::chrono::system_clock::time_point t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} +0000", kDays[tm.tm_wday], tm.tm_mday, kMonths[tm.tm_mon],
                     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

Result<std::string> send(const Options& o, const Message& message) {
  if (message.to.empty()) return fail(Error::input("an email needs at least one recipient"));
  for (const auto* a : {&message.from, &o.helo_name}) {
    if (a->find_first_of("\r\n") != std::string::npos) return fail(Error::input("a line break in an SMTP address"));
  }
  for (const auto& a : message.to) {
    if (a.find_first_of("\r\n") != std::string::npos) return fail(Error::input("a line break in an SMTP address"));
  }
  if (const CURLcode rc = global_init(); rc != CURLE_OK)
    return fail(Error::environment(fmt::format("cannot initialise libcurl: {}", curl_easy_strerror(rc))));
  std::unique_ptr<CURL, CurlDeleter> handle(curl_easy_init());
  if (!handle) return fail(Error::environment("cannot initialise libcurl"));
  CURL* curl = handle.get();

  Conversation c(o);
  c.body = crlf(message.data);
  const std::string helo = o.helo_name.empty() ? host_name() : o.helo_name;
  char* escaped = curl_easy_escape(curl, helo.c_str(), static_cast<int>(helo.size()));
  const std::string host = o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
  const std::string url =
      fmt::format("{}://{}:{}/{}", o.tls == Tls::implicit ? "smtps" : "smtp", host, o.port, escaped ? escaped : "");
  curl_free(escaped);
  const std::string from = angle(message.from);
  curl_slist* list = nullptr;
  for (const auto& to : message.to) {
    curl_slist* next = curl_slist_append(list, angle(to).c_str());
    if (!next) {
      curl_slist_free_all(list);
      return fail(Error::environment("out of memory"));
    }
    list = next;
  }
  const std::unique_ptr<curl_slist, CurlDeleter> rcpt(list);
  char errbuf[CURL_ERROR_SIZE] = "";
  const auto ms = [](std::chrono::milliseconds d) { return static_cast<long>(d.count()); };

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
  curl_easy_setopt(curl, CURLOPT_READDATA, &c);
  curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(c.body.size()));
  // STARTTLS or nothing: never a silent plain-text fallback.
  if (o.tls != Tls::none) curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  curl_easy_setopt(curl, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  // No cached CA store: trust() adds to this connection's store only.
  curl_easy_setopt(curl, CURLOPT_CA_CACHE_TIMEOUT, 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, trust);
  curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, &c);
  if (!o.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, o.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, o.password.c_str());
    curl_easy_setopt(curl, CURLOPT_SASL_IR, 1L);  // "AUTH PLAIN <token>": one round trip
  }
  if (!o.proxy.empty()) {
    curl_easy_setopt(curl, CURLOPT_PROXY, o.proxy.c_str());
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "");  // the configured proxy, whatever no_proxy says
  }
  curl_easy_setopt(curl, CURLOPT_HTTPPROXYTUNNEL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, ms(o.timeout));
  curl_easy_setopt(curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, static_cast<long>((o.timeout.count() + 999) / 1000));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, ms(o.timeout * 4));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);  // QUIT before curl_easy_perform returns
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_reply);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &c);
  curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);  // for the debug callback, which prints nothing
  curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, on_debug);
  curl_easy_setopt(curl, CURLOPT_DEBUGDATA, &c);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);

  const CURLcode rc = curl_easy_perform(curl);
  const std::vector<std::string> password{o.password};
  const std::span<const std::string> mask = o.password.empty() ? std::span<const std::string>() : password;
  if (rc != CURLE_OK) {
    Error e = failure(curl, rc, c, errbuf);
    e.message = redact(e.message, mask);
    return fail(std::move(e));
  }
  if (c.queued.empty()) {
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    return std::to_string(code);
  }
  return redact(c.queued, mask);
}

}  // namespace slipway::smtp
