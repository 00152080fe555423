#include "gate/control.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

namespace slipway::gate {
namespace {

Result<sockaddr_un> address_of(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string p = path.string();
  if (p.size() >= sizeof addr.sun_path) {
    return fail(Error::input("the control socket's path is too long for a Unix socket", p,
                             "set gate.control_socket to a shorter path (under 108 bytes)"));
  }
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
  return addr;
}

int connect_to(const sockaddr_un& addr) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads until the peer shuts down its side, `limit` bytes, or `timeout_ms` of silence.
bool read_all(int fd, std::string& out, std::size_t limit, int timeout_ms) {
  char buf[4096];
  while (out.size() < limit) {
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<ControlServer>> ControlServer::start(const std::filesystem::path& path, Handler handler,
                                                            std::function<void()> tick) {
  auto addr = address_of(path);
  if (!addr) return fail(addr.error());
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (std::filesystem::exists(path, ec)) {
    if (const int fd = connect_to(*addr); fd >= 0) {
      ::close(fd);
      return fail(Error::environment("another gate already listens on the control socket", path.string(),
                                     "stop it first, or give this one another gate.control_socket"));
    }
    std::filesystem::remove(path, ec);  // left behind by a gate that died
  }
  std::unique_ptr<ControlServer> server(new ControlServer());
  server->path_ = path;
  server->handler_ = std::move(handler);
  server->tick_ = std::move(tick);
  server->fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const mode_t old = ::umask(0077);
  const int bound = ::bind(server->fd_, reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr);
  ::umask(old);
  if (server->fd_ < 0 || bound != 0 || ::chmod(path.c_str(), 0600) != 0 || ::listen(server->fd_, 16) != 0 ||
      ::pipe2(server->wake_, O_CLOEXEC) != 0) {
    return fail(Error::environment(fmt::format("cannot listen on the control socket: {}", std::strerror(errno)),
                                   path.string(), "check that its folder is writable"));
  }
  server->thread_ = std::thread([s = server.get()] { s->serve(); });
  return server;
}

ControlServer::~ControlServer() {
  if (wake_[1] >= 0) {
    [[maybe_unused]] auto n = ::write(wake_[1], "x", 1);
  }
  if (thread_.joinable()) thread_.join();
  for (int fd : {fd_, wake_[0], wake_[1]}) {
    if (fd >= 0) ::close(fd);
  }
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

void ControlServer::serve() {
  while (true) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    const int r = ::poll(fds, 2, 500);
    if (tick_) tick_();
    if (r < 0 && errno != EINTR) return;
    if (fds[1].revents) return;
    if (r <= 0 || !(fds[0].revents & POLLIN)) continue;
    const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    std::string request;
    if (read_all(client, request, 64 * 1024, 5000)) {
      write_all(client, handler_(request) + "\n");
    }
    ::close(client);
  }
}

Result<std::string> control_call(const std::filesystem::path& path, std::string_view request, Duration timeout) {
  auto addr = address_of(path);
  if (!addr) return fail(addr.error());
  const int fd = connect_to(*addr);
  if (fd < 0) {
    return fail(Error::environment("no gate is running here (nothing listens on the control socket)", path.string(),
                                   "start it with `slipway gate run`, or point gate.control_socket at it"));
  }
  std::string answer;
  const bool ok = write_all(fd, request) && ::shutdown(fd, SHUT_WR) == 0 &&
                  read_all(fd, answer, 1 << 20, static_cast<int>(timeout.count()));
  ::close(fd);
  if (!ok || answer.empty()) {
    return fail(Error::environment("the gate did not answer on its control socket", path.string(),
                                   "check that the gate is healthy: `slipway gate status`"));
  }
  return answer;
}

}  // namespace slipway::gate
