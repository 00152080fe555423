#include "harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "backend.hpp"

namespace slipway::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

tcp::endpoint local(unsigned short port) {
  return {asio::ip::make_address("127.0.0.1"), port};
}

Reply to_reply(const http::response<http::string_body>& res) {
  Reply r;
  r.status = static_cast<int>(res.result_int());
  r.body = res.body();
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[name] = std::string(f.value());
  }
  return r;
}

http::request<http::string_body> make_request(const std::string& method, const std::string& target,
                                              const Headers& headers, const std::string& body) {
  http::request<http::string_body> req;
  req.method_string(method);  // unknown methods too
  req.target(target);
  req.version(11);
  req.set(http::field::host, "app.test");
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    req.body() = body;
    req.prepare_payload();
  }
  return req;
}

}  // namespace

Reply fetch(unsigned short port, const std::string& method, const std::string& target, const Headers& headers,
            const std::string& body) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  stream.expires_after(std::chrono::seconds(20));
  stream.connect(local(port), ec);
  if (ec) return {};
  auto req = make_request(method, target, headers, body);
  req.keep_alive(false);
  http::write(stream, req, ec);
  if (ec) return {};
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(100'000'000);
  if (method == "HEAD") parser.skip(true);
  http::read(stream, buffer, parser, ec);
  if (ec) return {};
  return to_reply(parser.get());
}

struct Client::Impl {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  unsigned short port;
  bool connected = false;
};

Client::Client(unsigned short port) : impl_(new Impl) {
  impl_->port = port;
}
Client::~Client() {
  delete impl_;
}

Reply Client::fetch(const std::string& method, const std::string& target) {
  beast::error_code ec;
  if (!impl_->connected) {
    impl_->stream.connect(local(impl_->port), ec);
    if (ec) return {};
    impl_->connected = true;
  }
  impl_->stream.expires_after(std::chrono::seconds(20));
  auto req = make_request(method, target, {}, method == "POST" ? "{\"a\":1}" : "");
  http::write(impl_->stream, req, ec);
  http::response<http::string_body> res;
  if (!ec) http::read(impl_->stream, impl_->buffer, res, ec);
  if (ec) {
    impl_->stream.close();
    impl_->buffer.clear();
    impl_->connected = false;
    return {};
  }
  if (!res.keep_alive()) {
    impl_->stream.close();
    impl_->connected = false;
  }
  return to_reply(res);
}

std::string raw_exchange(unsigned short port, const std::string& bytes) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  stream.expires_after(std::chrono::seconds(5));
  stream.connect(local(port), ec);
  if (ec) return {};
  asio::write(stream, asio::buffer(bytes), ec);
  std::string out;
  char buf[4096];
  while (true) {
    const auto n = stream.read_some(asio::buffer(buf), ec);
    out.append(buf, n);
    if (ec) break;
  }
  return out;
}

RawConnection::RawConnection(unsigned short port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{10, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

void RawConnection::send(const std::string& bytes) {
  if (fd_ >= 0) (void)!::write(fd_, bytes.data(), bytes.size());
}

const std::string& RawConnection::read_until(const std::string& text) {
  char buf[4096];
  while (fd_ >= 0 && got_.find(text) == std::string::npos) {
    const auto n = ::read(fd_, buf, sizeof buf);
    closed_ = n == 0;
    if (n <= 0) break;
    got_.append(buf, static_cast<std::size_t>(n));
  }
  return got_;
}

void RawConnection::send_last(const std::string& bytes) {
  if (fd_ < 0) return;
  int on = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
  send(bytes);
  ::shutdown(fd_, SHUT_WR);
}

const std::string& RawConnection::read_to_close() {
  return read_until(std::string(1, '\0') + "never");
}

std::vector<std::string> websocket_echo(unsigned short port, const std::string& target,
                                        const std::vector<std::string>& messages) {
  asio::io_context ioc;
  beast::websocket::stream<beast::tcp_stream> ws(ioc);
  beast::error_code ec;
  beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(10));
  beast::get_lowest_layer(ws).connect(local(port), ec);
  if (ec) return {};
  ws.handshake("app.test", target, ec);
  if (ec) return {};
  std::vector<std::string> out;
  for (const auto& m : messages) {
    ws.write(asio::buffer(m), ec);
    beast::flat_buffer buffer;
    ws.read(buffer, ec);
    if (ec) break;
    out.push_back(beast::buffers_to_string(buffer.data()));
  }
  ws.close(beast::websocket::close_code::normal, ec);
  return out;
}

GateProcess::GateProcess(const std::string& upstream, const std::string& gate_toml, const std::string& admin_toml) {
  char templ[] = "/tmp/slipway-gate-XXXXXX";
  if (!mkdtemp(templ)) throw std::runtime_error("mkdtemp");
  dir = templ;
  config = dir + "/slipway.toml";
  port = free_port();
  admin_port = free_port();
  std::ostringstream toml;
  toml << "[gate]\nlisten = \"127.0.0.1:" << port << "\"\nupstream = \"" << upstream
       << "\"\nadmin_listen = \"127.0.0.1:" << admin_port << "\"\ncontrol_socket = \"gate.sock\"\nthreads = 2\n"
       << (gate_toml.find("allow =") == std::string::npos ? "allow = [\"/api/auth/login\"]\n" : "")
       << (gate_toml.find("access_log =") == std::string::npos ? "access_log = \"access.log\"\n" : "")
       << (gate_toml.find("switch_timeout") == std::string::npos ? "switch_timeout = \"5s\"\n" : "")
       << "drain_timeout = \"5s\"\n"
       << gate_toml << "\n[gate.admin]\n"
       << admin_toml << "\n";
  write("slipway.toml", toml.str());
}

GateProcess::~GateProcess() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

void GateProcess::signal(int sig) const {
  if (pid_ > 0) kill(pid_, sig);
}

void GateProcess::write(const std::string& relative, const std::string& text) const {
  std::ofstream(dir + "/" + relative, std::ios::binary) << text;
}

std::string GateProcess::file(const std::string& relative) const {
  std::ifstream in(dir + "/" + relative, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void GateProcess::start() {
  pid_ = fork();
  if (pid_ == 0) {
    const int fd = ::open((dir + "/gate.out").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    const std::string binary = slipway_binary();
    execl(binary.c_str(), binary.c_str(), "gate", "run", "--config", config.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 400; ++i) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("the gate exited at start: " + file("gate.out"));
    }
    asio::io_context ioc;
    tcp::socket s(ioc);
    beast::error_code ec;
    s.connect(local(port), ec);
    if (!ec) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  throw std::runtime_error("the gate did not start listening: " + file("gate.out"));
}

int GateProcess::stop() {
  if (pid_ < 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

RunResult GateProcess::ctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{slipway_binary(), "gate"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--config");
  argv.push_back(config);
  return run(argv);
}

}  // namespace slipway::test
