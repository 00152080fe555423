// Listening sockets for slipway's servers (the gate's proxy threads and net::HttpServer): the
// address a setting names, as an endpoint, and an acceptor opened on it, with errors that name the
// setting. Asio types: include from .cpp files only (gate/proxy.cpp, net/http_server.cpp).
#pragma once

#include <string_view>

#include <fmt/format.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/socket_base.hpp>

#include "core/error.hpp"

namespace slipway::net {

// "127.0.0.1:8080", "0.0.0.0:80", "localhost:9090" or "[::1]:8080" as an endpoint; bad input
// naming `key` ("gate.listen") for anything else, host names included.
Result<boost::asio::ip::tcp::endpoint> listen_endpoint(std::string_view text, std::string_view key);

// Opens, binds and listens on `acceptor` at `ep`. `reuse_port`: sockets of several threads share
// the port (SO_REUSEPORT), and the kernel spreads new connections over them. An environment error
// naming `key` when the port cannot be had.
template <class Acceptor>
Result<void> open_acceptor(Acceptor& acceptor, const boost::asio::ip::tcp::endpoint& ep, std::string_view key,
                           bool reuse_port = false) {
  namespace asio = boost::asio;
  using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
  boost::system::error_code ec;
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && reuse_port) acceptor.set_option(ReusePort(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail(
        Error::environment(fmt::format("cannot listen on {}:{}: {}", ep.address().to_string(), ep.port(), ec.message()),
                           std::string(key), "is another process using the port?"));
  }
  return {};
}

}  // namespace slipway::net
