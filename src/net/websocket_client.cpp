#include "net/websocket_client.hpp"

#include <optional>

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "core/redact.hpp"

namespace slipway::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

template <typename Ws>
Result<WebSocketRun> drive(asio::io_context& io, Ws& ws, const Url& url, int count, const std::string& echo,
                           const ClientOptions& options, Clock::time_point started) {
  WebSocketRun run;
  error_code ec;
  const auto wait = [&](auto&& start_op) -> error_code {
    error_code result;
    bool done = false;
    start_op([&](const error_code& e, auto&&...) {
      result = e;
      done = true;
    });
    io.restart();
    while (!done && io.run_one()) {
    }
    return done ? result : asio::error::timed_out;
  };
  websocket::response_type upgrade;
  ws.set_option(websocket::stream_base::decorator([&options](websocket::request_type& req) {
    req.set(beast::http::field::user_agent, "slipway-verify");
    for (const auto& [k, v] : options.headers) req.set(k, v);
  }));
  ec = wait([&](auto handler) { ws.async_handshake(upgrade, url.authority(), url.target, handler); });
  if (ec) {
    if (upgrade.result_int() != 0 && upgrade.result_int() != 101) {
      return fail(Error::environment(
          fmt::format("the WebSocket upgrade of {} was refused: {}", redact(url.str()), upgrade.result_int())));
    }
    return fail(Error::environment(fmt::format("WebSocket {}: {}", redact(url.str()), ec.message())));
  }
  run.connect = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
  beast::get_lowest_layer(ws).expires_never();

  // Reads run all the time: they deliver messages, and pongs arrive through the control callback.
  beast::flat_buffer buffer;
  std::optional<Clock::time_point> sent;
  bool answered = false;
  ws.control_callback([&](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::pong && sent && echo.empty()) answered = true;
  });
  std::function<void()> read_next;
  bool reading = true;
  error_code read_error;
  read_next = [&] {
    ws.async_read(buffer, [&](const error_code& e, std::size_t) {
      if (e) {
        read_error = e;
        reading = false;
        return;
      }
      const std::string text = beast::buffers_to_string(buffer.data());
      buffer.consume(buffer.size());
      if (run.first_message.empty() && !sent) run.first_message = text;
      if (!echo.empty() && sent && text == echo) answered = true;
      read_next();
    });
  };
  read_next();
  for (int i = 0; i < count; ++i) {
    answered = false;
    sent = Clock::now();
    const auto deadline = *sent + options.timeout;
    if (echo.empty()) {
      ws.async_ping({}, [](const error_code&) {});
    } else {
      ws.async_write(asio::buffer(echo), [](const error_code&, std::size_t) {});
    }
    io.restart();
    while (!answered && reading && Clock::now() < deadline) io.run_one_until(deadline);
    if (!answered) {
      return fail(Error::environment(fmt::format("WebSocket {}: no {} within {} ms{}", redact(url.str()),
                                                 echo.empty() ? "pong" : "echo", options.timeout.count(),
                                                 reading ? "" : fmt::format(" ({})", read_error.message()))));
    }
    run.round_trips.push_back(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - *sent));
  }
  // Close politely; the pending read completes with "closed".
  ws.async_close(websocket::close_code::normal, [](const error_code&) {});
  io.restart();
  io.run_for(std::chrono::milliseconds(500));
  return run;
}

}  // namespace

Result<WebSocketRun> websocket_round_trips(const std::string& text, int count, const std::string& echo,
                                           const ClientOptions& options) {
  auto url = Url::parse(text);
  if (!url) return fail(url.error());
  if (url->scheme != "ws" && url->scheme != "wss") {
    return fail(Error::input(fmt::format("a WebSocket URL starts with ws:// or wss://, not {}://", url->scheme)));
  }
  asio::io_context io;
  const auto started = Clock::now();
  error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(url->host, url->port, ec);
  if (ec) return fail(Error::unreachable_at(fmt::format("cannot resolve {}: {}", url->host, ec.message())));
  const auto connect = [&](beast::tcp_stream& stream) -> Result<void> {
    stream.expires_after(options.timeout);
    bool done = false;
    stream.async_connect(endpoints, [&](const error_code& e, const tcp::endpoint&) {
      ec = e;
      done = true;
    });
    io.run();
    if (!done || ec)
      return fail(Error::unreachable_at(fmt::format("cannot connect to {}: {}", url->origin(), ec.message())));
    return {};
  };
  if (!url->secure()) {
    websocket::stream<beast::tcp_stream> ws(io);
    if (auto r = connect(beast::get_lowest_layer(ws)); !r) return fail(r.error());
    return drive(io, ws, *url, count, echo, options, started);
  }
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.set_default_verify_paths();
  if (!options.ca_file.empty()) tls.load_verify_file(options.ca_file, ec);
  tls.set_verify_mode(options.verify_peer ? asio::ssl::verify_peer : asio::ssl::verify_none);
  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(io, tls);
  if (auto r = connect(beast::get_lowest_layer(ws)); !r) return fail(r.error());
  SSL_ctrl(ws.next_layer().native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
           const_cast<char*>(url->host.c_str()));
  if (options.verify_peer) SSL_set1_host(ws.next_layer().native_handle(), url->host.c_str());
  bool done = false;
  ws.next_layer().async_handshake(asio::ssl::stream_base::client, [&](const error_code& e) {
    ec = e;
    done = true;
  });
  io.restart();
  io.run();
  if (!done || ec)
    return fail(Error::environment(fmt::format("TLS handshake with {} failed: {}", url->origin(), ec.message())));
  return drive(io, ws, *url, count, echo, options, started);
}

}  // namespace slipway::net
