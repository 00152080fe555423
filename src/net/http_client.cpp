#include "net/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <optional>

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "core/redact.hpp"
#include "core/url.hpp"

namespace slipway::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string default_port(std::string_view scheme) {
  return scheme == "https" || scheme == "wss" ? "443" : "80";
}

}  // namespace

std::string Url::authority() const {
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return port == default_port(scheme) ? h : h + ":" + port;
}

std::string Url::origin() const {
  return scheme + "://" + authority();
}

Result<Url> Url::parse(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return fail(Error::input(fmt::format("'{}' {}", redact(mask_url_password(text)), why), "",
                             "write it as http://host:port/path (or https, ws, wss)"));
  };
  auto parts = slipway::Url::parse(text);
  if (!parts) return bad(parts.error().message);
  if (parts->scheme != "http" && parts->scheme != "https" && parts->scheme != "ws" && parts->scheme != "wss") {
    return bad(fmt::format("has the scheme {}, not http, https, ws or wss", parts->scheme));
  }
  if (parts->host.empty()) return bad("has no host");
  Url url;
  url.scheme = std::move(parts->scheme);
  url.host = parts->host.starts_with('[') ? parts->host.substr(1, parts->host.size() - 2) : std::move(parts->host);
  url.port = parts->port.empty() ? default_port(url.scheme) : std::move(parts->port);
  url.target = parts->path.empty() ? "/" : std::move(parts->path);
  if (parts->has_query) url.target += "?" + parts->query;
  return url;
}

std::string join_url(std::string_view base, std::string_view relative) {
  if (relative.find("://") != std::string_view::npos) return std::string(relative);
  std::string b(base);
  if (relative.starts_with("/")) {
    // Replace the path: keep scheme://authority.
    const auto scheme_end = b.find("://");
    const auto path = scheme_end == std::string::npos ? std::string::npos : b.find('/', scheme_end + 3);
    // A base with a path prefix (http://host/api) keeps it: /x means /api/x.
    if (path != std::string::npos) {
      std::string prefix = b.substr(path);
      while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
      return b.substr(0, path) + prefix + std::string(relative);
    }
    return b + std::string(relative);
  }
  while (!b.empty() && b.back() == '/') b.pop_back();
  return relative.empty() ? b : b + "/" + std::string(relative);
}

std::string header_value(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

std::vector<std::string> header_values(const Headers& headers, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) out.push_back(v);
  }
  return out;
}

struct HttpClient::Impl {
  ClientOptions options;
  asio::io_context io;
  asio::ssl::context tls{asio::ssl::context::tls_client};
  std::string origin;  // of the kept connection
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  std::chrono::system_clock::time_point not_after{};  // of the kept TLS connection's certificate
  beast::flat_buffer buffer;

  explicit Impl(ClientOptions o) : options(std::move(o)) {
    tls.set_default_verify_paths();
    if (!options.ca_file.empty()) {
      boost::system::error_code ec;
      tls.load_verify_file(options.ca_file, ec);
    }
    tls.set_verify_mode(options.verify_peer ? asio::ssl::verify_peer : asio::ssl::verify_none);
  }

  void close() {
    boost::system::error_code ec;
    if (plain) plain->socket().close(ec);
    if (secure) beast::get_lowest_layer(*secure).socket().close(ec);
    plain.reset();
    secure.reset();
    not_after = {};
    origin.clear();
    buffer.clear();
  }

  // Runs the io_context until `done`, or fails at the deadline by closing the socket.
  template <typename Stream>
  Result<void> connect(Stream& stream, const Url& url) {
    boost::system::error_code ec;
    tcp::resolver resolver(io);
    auto results = resolver.resolve(url.host, url.port, ec);
    if (ec) return fail(Error::unreachable_at(fmt::format("cannot resolve {}: {}", url.host, ec.message())));
    beast::get_lowest_layer(stream).expires_after(options.timeout);
    bool done = false;
    beast::get_lowest_layer(stream).async_connect(results, [&](const boost::system::error_code& e, const auto&) {
      ec = e;
      done = true;
    });
    io.restart();
    io.run();
    if (!done || ec) {
      return fail(Error::unreachable_at(fmt::format("cannot connect to {}: {}", url.origin(), ec.message()), "",
                                        "is the server running and listening there?"));
    }
    return {};
  }

  Result<void> open(const Url& url) {
    if (origin == url.origin() && (plain || secure)) return {};
    close();
    if (!url.secure()) {
      plain.emplace(io);
      auto r = connect(*plain, url);
      if (!r)
        close();
      else
        origin = url.origin();
      return r;
    }
    secure.emplace(io, tls);
    auto r = connect(*secure, url);
    if (!r) {
      close();
      return r;
    }
    SSL* ssl = secure->native_handle();
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(url.host.c_str()));
    if (options.verify_peer) SSL_set1_host(ssl, url.host.c_str());
    boost::system::error_code ec;
    bool done = false;
    secure->async_handshake(asio::ssl::stream_base::client, [&](const boost::system::error_code& e) {
      ec = e;
      done = true;
    });
    io.restart();
    io.run();
    if (!done || ec) {
      close();
      return fail(Error::environment(fmt::format("TLS handshake with {} failed: {}", url.origin(), ec.message()), "",
                                     options.verify_peer ? "for a private CA pass --ca-file" : ""));
    }
    if (X509* cert = SSL_get1_peer_certificate(ssl)) {
      std::tm tm{};
      if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1)
        not_after = std::chrono::system_clock::from_time_t(timegm(&tm));
      X509_free(cert);
    }
    origin = url.origin();
    return {};
  }

  template <typename Stream>
  Result<HttpResponse> exchange(Stream& stream, const Url& url, const HttpRequest& request) {
    http::request<http::string_body> req;
    req.method_string(request.method);
    req.target(url.target);
    req.version(11);
    bool has_host = false, has_agent = false;
    for (const auto& [k, v] : request.headers) {
      if (iequals(k, "host")) has_host = true;
      if (iequals(k, "user-agent")) has_agent = true;
      req.insert(k, v);
    }
    for (const auto& [k, v] : options.headers) {
      if (header_value(request.headers, k).empty()) req.set(k, v);
    }
    if (!has_host) req.set(http::field::host, url.authority());
    if (!has_agent) req.set(http::field::user_agent, "slipway-verify");
    req.body() = request.body;
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
      req.prepare_payload();
    }

    http::response_parser<http::string_body> parser;
    parser.body_limit(options.body_limit);
    parser.header_limit(64 * 1024);
    if (request.method == "HEAD") parser.skip(true);
    boost::system::error_code ec;
    bool done = false;
    const auto start = std::chrono::steady_clock::now();
    beast::get_lowest_layer(stream).expires_after(options.timeout);
    http::async_write(stream, req, [&](const boost::system::error_code& e, std::size_t) {
      if (e) {
        ec = e;
        done = true;
        return;
      }
      http::async_read(stream, buffer, parser, [&](const boost::system::error_code& e2, std::size_t) {
        ec = e2;
        done = true;
      });
    });
    io.restart();
    io.run();
    if (!done || ec) {
      const std::string what = ec == beast::error::timeout ? "timed out" : ec.message();
      return fail(Error::environment(fmt::format("{} {}: {}", request.method, redact(url.str()), what)));
    }
    HttpResponse out;
    out.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    auto& res = parser.get();
    out.certificate_not_after = not_after;
    out.status = static_cast<int>(res.result_int());
    out.reason = std::string(res.reason());
    for (const auto& field : res)
      out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    out.body = std::move(res.body());
    if (!res.keep_alive()) close();
    return out;
  }

  Result<HttpResponse> send(const HttpRequest& request) {
    auto url = Url::parse(request.url);
    if (!url) return fail(url.error());
    const bool reused = origin == url->origin() && (plain || secure);
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (auto r = open(*url); !r) return fail(r.error());
      auto res = plain ? exchange(*plain, *url, request) : exchange(*secure, *url, request);
      if (res) return res;
      close();
      // A kept connection the server closed meanwhile: one fresh try.
      if (!reused || attempt == 1) return res;
    }
    return fail(Error::environment("unreachable"));
  }
};

HttpClient::HttpClient(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::send(const HttpRequest& request) {
  return impl_->send(request);
}

}  // namespace slipway::net
