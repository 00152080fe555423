#include "net/tls_probe.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <ctime>
#include <memory>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace slipway::net {
namespace {

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
  Fd(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

// A connected TCP socket with send and receive timeouts, or -1.
int dial(const std::string& host, const std::string& port, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = res; a; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  return fd;
}

bool is_ip(const std::string& host) {
  return host.find_first_not_of("0123456789.") == std::string::npos || host.find(':') != std::string::npos;
}

std::string name_of(X509_NAME* name) {
  if (!name) return {};
  char buf[512];
  X509_NAME_oneline(name, buf, sizeof buf);
  return buf;
}

using Ctx = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;
using Ssl = std::unique_ptr<SSL, decltype(&SSL_free)>;

// One TLS handshake on a fresh connection: `ok` when it completed.
struct Handshake {
  Fd fd;
  Ssl ssl;
  bool ok = false;
};

Result<Handshake> handshake(SSL_CTX* ctx, const std::string& host, const std::string& port,
                            const std::string& server_name, std::chrono::milliseconds timeout) {
  Handshake h{Fd(dial(host, port, timeout)), Ssl(nullptr, SSL_free)};
  if (h.fd.fd < 0) return fail(Error::environment(fmt::format("cannot connect to {}:{}", host, port)));
  h.ssl.reset(SSL_new(ctx));
  SSL_set_fd(h.ssl.get(), h.fd.fd);
  if (!is_ip(server_name)) {
    SSL_ctrl(h.ssl.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(server_name.c_str()));
  }
  h.ok = SSL_connect(h.ssl.get()) == 1;
  ERR_clear_error();
  return h;
}

}  // namespace

Result<TlsProbe> probe_tls(const std::string& host, const std::string& port, const std::string& ca_file,
                           std::chrono::milliseconds timeout) {
  TlsProbe out;
  const std::pair<const char*, int> versions[] = {
      {"TLSv1", TLS1_VERSION}, {"TLSv1.1", TLS1_1_VERSION}, {"TLSv1.2", TLS1_2_VERSION}, {"TLSv1.3", TLS1_3_VERSION}};
  bool any = false;
  for (const auto& [name, version] : versions) {
    Ctx ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
    SSL_CTX_set_min_proto_version(ctx.get(), version);
    SSL_CTX_set_max_proto_version(ctx.get(), version);
    // TLS 1.0/1.1 need SHA-1 and old ciphers, which security level 1+ refuses to even offer.
    SSL_CTX_set_security_level(ctx.get(), 0);
    if (version < TLS1_3_VERSION) SSL_CTX_set_cipher_list(ctx.get(), "ALL:@SECLEVEL=0");
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    auto h = handshake(ctx.get(), host, port, host, timeout);
    if (!h) return fail(h.error());
    if (h->ok) SSL_shutdown(h->ssl.get());
    out.versions.push_back({name, h->ok});
    any = any || h->ok;
  }
  if (!any) return fail(Error::environment(fmt::format("{}:{} does not speak TLS 1.0 to 1.3", host, port)));

  auto certificate = check_certificate(host, port, host, ca_file, timeout);
  if (!certificate) return fail(certificate.error());
  static_cast<TlsCertificate&>(out) = std::move(*certificate);
  return out;
}

Result<TlsCertificate> check_certificate(const std::string& host, const std::string& port,
                                         const std::string& server_name, const std::string& ca_file,
                                         std::chrono::milliseconds timeout) {
  TlsCertificate out;
  Ctx ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  SSL_CTX_set_default_verify_paths(ctx.get());
  if (!ca_file.empty()) SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);  // judge it ourselves, then go on
  SSL_CTX_set_security_level(ctx.get(), 0);
  auto h = handshake(ctx.get(), host, port, server_name, timeout);
  if (!h) return fail(h.error());
  if (!h->ok) return fail(Error::environment(fmt::format("TLS handshake with {}:{} failed", host, port)));
  SSL* ssl = h->ssl.get();
  const long verify = SSL_get_verify_result(ssl);
  out.chain_valid = verify == X509_V_OK;
  if (!out.chain_valid) out.chain_error = X509_verify_cert_error_string(verify);
  out.self_signed = verify == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT || verify == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN;
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert) {
    out.subject = name_of(X509_get_subject_name(cert));
    out.issuer = name_of(X509_get_issuer_name(cert));
    out.hostname_ok = is_ip(server_name)
                          ? X509_check_ip_asc(cert, server_name.c_str(), 0) == 1
                          : X509_check_host(cert, server_name.c_str(), server_name.size(), 0, nullptr) == 1;
    int days = 0, seconds = 0;
    if (ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert))) out.days_left = days;
    std::tm tm{};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1)
      out.not_after = std::chrono::system_clock::from_time_t(timegm(&tm));
    X509_free(cert);
  }
  SSL_shutdown(ssl);
  ERR_clear_error();
  return out;
}

}  // namespace slipway::net
