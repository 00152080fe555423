#include "net/probe.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

namespace slipway::net {

Result<HostPort> parse_host_port(std::string_view text) {
  HostPort out;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail(Error::input(fmt::format("\"{}\" is not HOST:PORT", text), "", "write [::1]:3000 for IPv6"));
    }
    out.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return fail(Error::input(fmt::format("\"{}\" is not HOST:PORT", text), "", "write it like 127.0.0.1:3000"));
    }
    out.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
    return fail(Error::input(fmt::format("\"{}\" has no valid port", text), "", "a port is 1 to 65535"));
  }
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

Result<int> connect_tcp(const HostPort& address, Duration timeout) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + timeout;
  const std::string where = fmt::format("{}:{}", address.host, address.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(address.host.c_str(), std::to_string(address.port).c_str(), &hints, &found) != 0 || !found) {
    return fail(Error::environment("cannot resolve the host", where));
  }
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int rc = fd < 0 ? -1 : ::connect(fd, found->ai_addr, found->ai_addrlen);
  const int connect_errno = errno;
  freeaddrinfo(found);
  if (fd < 0) return fail(Error::environment("cannot create a socket", where));
  const auto failed = [&](std::string message) {
    ::close(fd);
    return fail(Error::environment(std::move(message), where));
  };
  if (rc == 0) return fd;
  if (connect_errno != EINPROGRESS) return failed(std::strerror(connect_errno));
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
  pollfd p{fd, POLLOUT, 0};
  if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) != 1) return failed("connect timed out");
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return failed(std::strerror(err));
  return fd;
}

Result<int> http_status(const HostPort& address, std::string_view path, Duration timeout) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + timeout;
  const std::string where = fmt::format("{}:{}{}", address.host, address.port, path);
  auto connected = connect_tcp(address, timeout);
  if (!connected) return fail(Error::environment(connected.error().message, where));
  const int fd = *connected;
  const auto wait = [&](short events) -> bool {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    return ::poll(&p, 1, static_cast<int>(left)) == 1;
  };
  const auto done = [&](Result<int> r) {
    ::close(fd);
    return r;
  };
  const std::string request = fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: slipway-gate\r\n"
      "Connection: close\r\n\r\n",
      path, address.host, address.port);
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (errno != EAGAIN || !wait(POLLOUT)) {
      return done(fail(Error::environment("cannot send the request", where)));
    }
  }
  std::string head;
  char buf[1024];
  while (head.find("\r\n") == std::string::npos && head.size() < 4096) {
    if (!wait(POLLIN)) return done(fail(Error::environment("no answer before the timeout", where)));
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return done(fail(Error::environment("the connection closed before a status line", where)));
    head.append(buf, static_cast<std::size_t>(n));
  }
  // "HTTP/1.1 200 OK"
  int status = 0;
  if (head.starts_with("HTTP/1.") && head.size() >= 12) {
    std::from_chars(head.data() + 9, head.data() + 12, status);
  }
  if (status < 100 || status > 599) return done(fail(Error::environment("the answer is not HTTP", where)));
  return done(status);
}

}  // namespace slipway::net
