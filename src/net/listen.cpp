#include "net/listen.hpp"

#include "net/probe.hpp"

namespace slipway::net {

Result<boost::asio::ip::tcp::endpoint> listen_endpoint(std::string_view text, std::string_view key) {
  auto hp = parse_host_port(text);
  if (!hp) return fail(Error::input(hp.error().message, std::string(key), hp.error().hint));
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(hp->host == "localhost" ? "127.0.0.1" : hp->host, ec);
  if (ec) {
    return fail(Error::input(fmt::format("{} must be an IP address and port, not \"{}\"", key, text), std::string(key),
                             "write it like 127.0.0.1:8080 or 0.0.0.0:8080"));
  }
  return boost::asio::ip::tcp::endpoint(address, hp->port);
}

}  // namespace slipway::net
