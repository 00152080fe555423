#include "net/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

#include "net/listen.hpp"

namespace slipway::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
using Acceptor = asio::as_tuple_t<asio::use_awaitable_t<>>::as_default_on_t<tcp::acceptor>;
using Socket = asio::as_tuple_t<asio::use_awaitable_t<>>::as_default_on_t<tcp::socket>;
using Stream = beast::basic_stream<tcp, asio::any_io_executor>;

struct HttpServer::State {
  asio::io_context ioc{1};
  Acceptor acceptor{ioc};
  Handler handler;
  std::thread thread;
};

namespace {

std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
}

asio::awaitable<void> session(HttpServer::State& state, Socket socket) {
  Stream stream(std::move(socket));
  beast::flat_buffer buffer;
  while (true) {
    stream.expires_after(std::chrono::seconds(30));
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(64 * 1024);
    auto [e, n] = co_await http::async_read(stream, buffer, parser, nothrow);
    if (e) co_return;
    const auto& req = parser.get();
    const std::string_view target = sv(req.target());
    const std::string_view path = target.substr(0, target.find_first_of("?#"));
    const ServerAnswer answer = state.handler({sv(req.method_string()), target, path});
    http::response<http::string_body> res{static_cast<http::status>(answer.status), 11};
    res.set(http::field::server, "slipway");
    res.set(http::field::content_type, answer.content_type);
    res.body() = answer.body;
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    auto [we, wn] = co_await http::async_write(stream, res, nothrow);
    if (we || !req.keep_alive()) co_return;
  }
}

asio::awaitable<void> accept_loop(HttpServer::State& state) {
  while (state.acceptor.is_open()) {
    auto [e, socket] = co_await state.acceptor.async_accept();
    if (e) {
      if (e == asio::error::operation_aborted || !state.acceptor.is_open()) co_return;
      // EMFILE and the like: the next accept may succeed, after a pause rather than a busy loop.
      asio::steady_timer pause(state.ioc, std::chrono::milliseconds(50));
      co_await pause.async_wait(nothrow);
      continue;
    }
    asio::co_spawn(state.ioc, session(state, std::move(socket)), asio::detached);
  }
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(std::string_view listen, std::string_view key, Handler handler) {
  auto ep = listen_endpoint(listen, key);
  if (!ep) return fail(ep.error());
  auto state = std::make_unique<State>();
  state->handler = std::move(handler);
  if (auto ok = open_acceptor(state->acceptor, *ep, key); !ok) return fail(ok.error());
  asio::co_spawn(state->ioc, accept_loop(*state), asio::detached);
  state->thread = std::thread([s = state.get()] { s->ioc.run(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(state)));
}

HttpServer::HttpServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

HttpServer::~HttpServer() {
  close();
  state_->ioc.stop();
  if (state_->thread.joinable()) state_->thread.join();
}

std::uint16_t HttpServer::port() const {
  beast::error_code ec;
  const auto ep = state_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void HttpServer::close() {
  asio::post(state_->ioc, [s = state_.get()] {
    beast::error_code ignored;
    s->acceptor.close(ignored);
  });
}

}  // namespace slipway::net
