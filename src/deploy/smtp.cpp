#include "deploy/smtp.hpp"

#include "core/base64.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/host.hpp"
#include "core/redact.hpp"

namespace slipway::smtp {
namespace {

std::string ssl_error() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "connection closed or timed out";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// A peer that closed its end makes write() raise SIGPIPE; for the length of a session the signal
// is blocked in this thread and one raised meanwhile is swallowed, so it is an EPIPE error.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~SigpipeGuard() {
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE)) {
      const timespec zero{0, 0};
      sigtimedwait(&set_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t set_{}, old_{};
};

struct Reply {
  int code = 0;
  std::vector<std::string> lines;  // the text of each line after "250-" / "250 "

  // "250 first line / second line", for messages.
  [[nodiscard]] std::string text() const {
    std::string out = std::to_string(code);
    for (std::size_t i = 0; i < lines.size(); ++i) out += (i == 0 ? " " : " / ") + lines[i];
    return out;
  }
  // True when an EHLO reply lists `keyword` ("STARTTLS", "AUTH", "8BITMIME").
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

class Session {
 public:
  Session(const Options& options) : o_(options), where_(options.host + ":" + options.port) {}
  ~Session() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Result<void> connect() {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (const int rc = getaddrinfo(o_.host.c_str(), o_.port.c_str(), &hints, &found); rc != 0)
      return fail(Error::unreachable_at(fmt::format("cannot connect to {}: {}", where_, gai_strerror(rc))));
    std::string why = "no address";
    for (auto* a = found; a && fd_ < 0; a = a->ai_next) {
      const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
      if (fd < 0) {
        why = std::strerror(errno);
        continue;
      }
      int err = 0;
      if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
        err = errno;
        if (err == EINPROGRESS) {
          pollfd p{fd, POLLOUT, 0};
          const int rc = ::poll(&p, 1, static_cast<int>(o_.timeout.count()));
          socklen_t len = sizeof err;
          if (rc == 0)
            err = ETIMEDOUT;
          else if (rc < 0)
            err = errno;
          else
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        }
      }
      if (err != 0) {
        why = err == ETIMEDOUT ? "timed out" : std::strerror(err);
        ::close(fd);
        continue;
      }
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      timeval tv{};
      tv.tv_sec = static_cast<time_t>(o_.timeout.count() / 1000);
      tv.tv_usec = static_cast<suseconds_t>((o_.timeout.count() % 1000) * 1000);
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      fd_ = fd;
    }
    freeaddrinfo(found);
    if (fd_ < 0)
      return fail(Error::unreachable_at(fmt::format("cannot connect to {}: {}", where_, why), "",
                                        "is the SMTP server running and listening there?"));
    return {};
  }

  Result<void> start_tls() {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (!ctx_) return fail(Error::environment("cannot create a TLS context: " + ssl_error()));
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    SSL_CTX_set_default_verify_paths(ctx_);
    if (!o_.ca_file.empty() && SSL_CTX_load_verify_locations(ctx_, o_.ca_file.c_str(), nullptr) != 1)
      return fail(Error::input(fmt::format("cannot read the CA file {}: {}", o_.ca_file, ssl_error())));
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    in6_addr ip{};
    const bool literal =
        inet_pton(AF_INET, o_.host.c_str(), &ip) == 1 || inet_pton(AF_INET6, o_.host.c_str(), &ip) == 1;
    if (literal) {
      // An address is checked against the certificate's IP names; SNI carries host names only.
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), o_.host.c_str());
    } else {
      SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(o_.host.c_str()));
      SSL_set1_host(ssl_, o_.host.c_str());
    }
    if (SSL_connect(ssl_) != 1) {
      broken_ = true;
      const long verify = SSL_get_verify_result(ssl_);
      const std::string why = verify != X509_V_OK ? X509_verify_cert_error_string(verify) : ssl_error();
      return fail(Error::environment(fmt::format("SMTP {}: TLS handshake after STARTTLS failed: {}", where_, why)));
    }
    buffer_.clear();  // nothing sent before the handshake may be read as if it were protected
    return {};
  }

  Result<void> write(std::string_view data) {
    auto r = write_all(data);
    if (!r) broken_ = true;
    return r;
  }

  Result<void> write_all(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = 0;
      if (ssl_) {
        const int w = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
        if (w <= 0) return fail(Error::environment(fmt::format("SMTP {}: write failed: {}", where_, ssl_error())));
        n = w;
      } else {
        n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          const char* why = errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : std::strerror(errno);
          return fail(Error::environment(fmt::format("SMTP {}: write failed: {}", where_, why)));
        }
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
  }

  // One reply, multi-line or not: "250-a", "250-b", "250 c" -> {250, [a, b, c]}.
  Result<Reply> read_reply(std::string_view step) {
    Reply reply;
    for (;;) {
      auto line = read_line(step);
      if (!line) {
        broken_ = true;
        return fail(line.error());
      }
      if (line->size() < 3 || !std::isdigit(static_cast<unsigned char>((*line)[0])) ||
          !std::isdigit(static_cast<unsigned char>((*line)[1])) ||
          !std::isdigit(static_cast<unsigned char>((*line)[2])))
        return fail(Error::environment(
            fmt::format("SMTP {}: {}: not an SMTP reply: \"{}\"", where_, step, redact(line->substr(0, 200)))));
      const int code = std::stoi(line->substr(0, 3));
      if (reply.code != 0 && code != reply.code)
        return fail(Error::environment(fmt::format("SMTP {}: {}: a multi-line reply changed its code", where_, step)));
      reply.code = code;
      reply.lines.push_back(line->size() > 4 ? line->substr(4) : std::string());
      if (line->size() == 3 || (*line)[3] == ' ') return reply;
      if ((*line)[3] != '-')
        return fail(Error::environment(
            fmt::format("SMTP {}: {}: not an SMTP reply: \"{}\"", where_, step, redact(line->substr(0, 200)))));
    }
  }

  // Sends `command` (without CRLF) and reads the reply; fails unless its code is `expect`.
  // `shown` is how the command appears in a message (AUTH's arguments are never shown).
  Result<Reply> command(const std::string& command, int expect, std::string_view shown = {}, int also = 0) {
    const std::string_view step = shown.empty() ? std::string_view(command) : shown;
    if (broken_) return fail(Error::environment(fmt::format("SMTP {}: the connection is broken", where_)));
    if (auto w = write(command + "\r\n"); !w) return fail(w.error());
    return expect_reply(step, expect, also);
  }

  // Reads a reply; fails unless its code is `expect` (or `also`, when not 0).
  Result<Reply> expect_reply(std::string_view step, int expect, int also = 0) {
    auto reply = read_reply(step);
    if (!reply) return fail(reply.error());
    if (reply->code != expect && (also == 0 || reply->code != also))
      return fail(Error::environment(fmt::format("SMTP {} refused {}: {}", where_, step, redact(reply->text()))));
    return reply;
  }

 private:
  Result<std::string> read_line(std::string_view step) {
    for (;;) {
      if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      if (buffer_.size() > 64 * 1024)
        return fail(Error::environment(fmt::format("SMTP {}: {}: a reply line longer than 64 KiB", where_, step)));
      char chunk[4096];
      ssize_t n = 0;
      if (ssl_) {
        const int r = SSL_read(ssl_, chunk, sizeof chunk);
        if (r <= 0)
          return fail(Error::environment(fmt::format("SMTP {}: {}: no reply: {}", where_, step, ssl_error())));
        n = r;
      } else {
        n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          const char* why = errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : std::strerror(errno);
          return fail(Error::environment(fmt::format("SMTP {}: {}: no reply: {}", where_, step, why)));
        }
        if (n == 0)
          return fail(Error::environment(fmt::format("SMTP {}: {}: the server closed the connection", where_, step)));
      }
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  const Options& o_;
  std::string where_;
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffer_;
  bool broken_ = false;  // an I/O or TLS failure: nothing more can be said on this connection
};

// "<a@b>" for an address written "a@b" or "Name <a@b>".
std::string angle(std::string_view address) {
  const auto lt = address.find('<');
  const auto gt = address.rfind('>');
  if (lt != std::string_view::npos && gt != std::string_view::npos && gt > lt)
    return std::string(address.substr(lt, gt - lt + 1));
  return "<" + std::string(address) + ">";
}

Result<void> authenticate(Session& s, const Options& o, const Reply& ehlo) {
  std::string mechanisms;
  if (!ehlo.offers("AUTH", &mechanisms))
    return fail(Error::environment(
        fmt::format("SMTP {}:{} does not offer AUTH, but notify.email.username is set", o.host, o.port)));
  std::string upper = mechanisms;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const auto has = [&](std::string_view m) {
    const std::string padded = " " + upper + " ";
    return padded.find(" " + std::string(m) + " ") != std::string::npos;
  };
  if (has("PLAIN")) {
    std::string token;
    token.push_back('\0');
    token += o.username;
    token.push_back('\0');
    token += o.password;
    auto r = s.command("AUTH PLAIN " + base64_encode(token, Base64::standard), 235, "AUTH PLAIN");
    if (!r) return fail(r.error());
    return {};
  }
  if (has("LOGIN")) {
    if (auto r = s.command("AUTH LOGIN", 334); !r) return fail(r.error());
    if (auto r = s.command(base64_encode(o.username, Base64::standard), 334, "AUTH LOGIN (user name)"); !r)
      return fail(r.error());
    if (auto r = s.command(base64_encode(o.password, Base64::standard), 235, "AUTH LOGIN (password)"); !r)
      return fail(r.error());
    return {};
  }
  return fail(Error::environment(
      fmt::format("SMTP {}:{} offers AUTH {} but slipway speaks PLAIN and LOGIN only", o.host, o.port, mechanisms)));
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

std::string dot_stuff(std::string_view data) {
  std::string out;
  out.reserve(data.size() + data.size() / 40 + 8);
  bool line_start = true;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const char c = data[i];
    if (c == '\r' && i + 1 < data.size() && data[i + 1] == '\n') continue;  // the \n below writes CRLF
    if (line_start && c == '.') out.push_back('.');
    if (c == '\n' || c == '\r') {
      out += "\r\n";
      line_start = true;
      continue;
    }
    out.push_back(c);
    line_start = false;
  }
  if (!line_start) out += "\r\n";
  out += ".\r\n";
  return out;
}

namespace {

Result<std::string> converse(Session& s, const Options& options, const Message& message) {
  if (auto r = s.expect_reply("the greeting", 220); !r) return fail(r.error());
  const std::string ehlo = "EHLO " + (options.helo_name.empty() ? host_name() : options.helo_name);
  auto hello = s.command(ehlo, 250);
  if (!hello) return fail(hello.error());
  if (options.starttls) {
    if (!hello->offers("STARTTLS"))
      return fail(Error::environment(
          fmt::format("SMTP {}:{} does not offer STARTTLS, but notify.email.starttls is true", options.host,
                      options.port),
          "", "use the server's submission port (587), or set starttls = false for a trusted local relay"));
    if (auto r = s.command("STARTTLS", 220); !r) return fail(r.error());
    if (auto r = s.start_tls(); !r) return fail(r.error());
    hello = s.command(ehlo, 250);  // the capabilities may differ once protected (RFC 3207)
    if (!hello) return fail(hello.error());
  }
  if (!options.username.empty()) {
    if (auto r = authenticate(s, options, *hello); !r) return fail(r.error());
  }
  std::string mail = "MAIL FROM:" + angle(message.from);
  if (hello->offers("8BITMIME")) mail += " BODY=8BITMIME";
  if (auto r = s.command(mail, 250); !r) return fail(r.error());
  for (const auto& to : message.to) {
    // 251 (user not local; will forward) accepts the recipient too.
    if (auto r = s.command("RCPT TO:" + angle(to), 250, {}, 251); !r) return fail(r.error());
  }
  if (auto r = s.command("DATA", 354); !r) return fail(r.error());
  if (auto w = s.write(dot_stuff(message.data)); !w) return fail(w.error());
  auto queued = s.expect_reply("the message (end of DATA)", 250);
  if (!queued) return fail(queued.error());
  return queued->text();
}

}  // namespace

Result<std::string> send(const Options& options, const Message& message) {
  if (message.to.empty()) return fail(Error::input("an email needs at least one recipient"));
  SigpipeGuard guard;
  Session s(options);
  if (auto r = s.connect(); !r) return fail(r.error());
  auto result = converse(s, options, message);
  // Goodbye, also after a refusal; its answer changes nothing (the message is queued or it is not).
  (void)s.command("QUIT", 221);
  return result;
}

}  // namespace slipway::smtp
