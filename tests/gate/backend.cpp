#include "backend.hpp"

#include <sys/socket.h>
#include <list>
#include <mutex>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

namespace slipway::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Backend::Impl {
  std::string name;
  Backend* owner = nullptr;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::thread accept_thread;
  std::mutex mutex;
  std::list<std::pair<std::thread, std::shared_ptr<tcp::socket>>> connections;
  std::atomic<bool> stopping{false};

  void serve(tcp::socket& socket);
  http::response<http::string_body> answer(const http::request<http::string_body>& req);
};

http::response<http::string_body> Backend::Impl::answer(const http::request<http::string_body>& req) {
  const std::string target(req.target());
  http::response<http::string_body> res{http::status::ok, 11};
  res.set(http::field::content_type, "application/json");
  res.set("X-Backend", name);
  if (target == "/health") {
    if (!owner->healthy.load()) res.result(http::status::service_unavailable);
    res.body() = owner->healthy.load() ? "{\"status\":\"ok\"}" : "{\"status\":\"down\"}";
    return res;
  }
  if (target.starts_with("/slow")) {
    const auto ms = target.find("ms=") == std::string::npos ? 200 : std::stoi(target.substr(target.find("ms=") + 3));
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
  if (target == "/big") {
    res.body() = std::string(1'000'000, 'x');
    return res;
  }
  boost::json::object o;
  o["backend"] = name;
  o["method"] = std::string(req.method_string());
  o["target"] = target;
  o["xff"] = std::string(req["X-Forwarded-For"]);
  o["bypass"] = std::string(req["X-Slipway-Bypass"]);  // the gate never forwards it
  o["proto"] = std::string(req["X-Forwarded-Proto"]);
  o["host"] = std::string(req[http::field::host]);
  o["forwarded_host"] = std::string(req["X-Forwarded-Host"]);
  o["connection"] = std::string(req[http::field::connection]);
  o["hop"] = std::string(req["X-Secret-Hop"]);
  o["body"] = req.body().size();
  res.body() = boost::json::serialize(o);
  if (target == "/chunked") res.chunked(true);
  return res;
}

void Backend::Impl::serve(tcp::socket& socket) {
  beast::flat_buffer buffer;
  beast::error_code ec;
  while (!stopping.load()) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(100'000'000);
    http::read(socket, buffer, parser, ec);
    if (ec) break;
    auto req = parser.release();
    owner->requests.fetch_add(1);
    if (req.target() == "/stream") {
      // Read-until-close, in two parts: the second waits for the test's release_stream.
      asio::write(socket,
                  asio::buffer(std::string_view(
                      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nfirst\n")),
                  ec);
      for (int i = 0; i < 1000 && !owner->release_stream.load() && !stopping.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      asio::write(socket, asio::buffer(std::string_view("second\n")), ec);
      break;
    }
    if (beast::websocket::is_upgrade(req)) {
      beast::websocket::stream<tcp::socket&> ws(socket);
      ws.accept(req, ec);
      while (!ec) {
        beast::flat_buffer message;
        ws.read(message, ec);
        if (ec) break;
        ws.text(ws.got_text());
        ws.write(message.data(), ec);
      }
      break;
    }
    auto res = answer(req);
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    http::write(socket, res, ec);
    if (ec || !req.keep_alive() || req.target() == "/close-after") break;
  }
  socket.shutdown(tcp::socket::shutdown_both, ec);
}

Backend::Backend(std::string name) : impl_(std::make_unique<Impl>()) {
  impl_->name = std::move(name);
  impl_->owner = this;
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->accept_thread = std::thread([impl = impl_.get()] {
    while (!impl->stopping.load()) {
      beast::error_code ec;
      auto socket = std::make_shared<tcp::socket>(impl->ioc);
      impl->acceptor.accept(*socket, ec);
      if (ec || impl->stopping.load()) break;
      std::lock_guard lock(impl->mutex);
      impl->connections.emplace_back(std::thread([impl, socket] { impl->serve(*socket); }), socket);
    }
  });
}

Backend::~Backend() {
  impl_->stopping.store(true);
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  impl_->accept_thread.join();
  std::lock_guard lock(impl_->mutex);
  for (auto& [thread, socket] : impl_->connections) {
    ::shutdown(socket->native_handle(), SHUT_RDWR);
    thread.join();
  }
}

unsigned short Backend::port() const {
  return impl_->acceptor.local_endpoint().port();
}

std::string Backend::address() const {
  return "127.0.0.1:" + std::to_string(port());
}

}  // namespace slipway::test
