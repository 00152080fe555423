#include "sinks.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/ssl.h>

namespace slipway::test {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string unbase64(const std::string& text) {
  std::string out(text.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return "<bad base64>";
  std::size_t size = static_cast<std::size_t>(n);
  if (text.size() >= 1 && text[text.size() - 1] == '=') --size;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

// A connection, plain or (after STARTTLS) TLS, read line by line.
class Conn {
 public:
  explicit Conn(int fd) : fd_(fd) {
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  ~Conn() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  bool tls(const std::string& cert, const std::string& key) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_certificate_file(ctx_, cert.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM) != 1)
      return false;
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    return SSL_accept(ssl_) == 1;
  }

  void write(const std::string& s) {
    if (ssl_)
      SSL_write(ssl_, s.data(), static_cast<int>(s.size()));
    else
      ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
  }

  // A line without its CRLF; false at the end of the stream.
  bool line(std::string& out) {
    for (;;) {
      if (auto nl = buffer_.find("\r\n"); nl != std::string::npos) {
        out = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 2);
        return true;
      }
      char chunk[4096];
      const long n = ssl_ ? SSL_read(ssl_, chunk, sizeof chunk) : ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  // Reads until "\r\n\r\n" and then `length` more bytes.
  bool http(std::string& head, std::string& body, const std::function<std::size_t(const std::string&)>& length) {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!more()) return false;
    }
    head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    const std::size_t want = length(head);
    while (buffer_.size() < want)
      if (!more()) return false;
    body = buffer_.substr(0, want);
    buffer_.erase(0, want);
    return true;
  }

 private:
  bool more() {
    char chunk[4096];
    const long n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffer_;
};

}  // namespace

Listener::Listener() {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd_, 16) != 0)
    throw std::runtime_error("cannot listen on 127.0.0.1");
  socklen_t len = sizeof addr;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
}

Listener::~Listener() {
  if (fd_ >= 0) close(fd_);
}

void Listener::start() {
  thread_ = std::thread([this] {
    // A client that hangs up mid-reply makes a write fail with EPIPE instead of killing the test
    // (OpenSSL writes with write(), which has no MSG_NOSIGNAL); only this thread is spared.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    while (!stopping_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      serve(c);
      close(c);
    }
  });
}

void Listener::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

std::string HttpSink::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port()) + path;
}

std::vector<HttpSink::Request> HttpSink::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void HttpSink::serve(int fd) {
  Conn conn(fd);
  std::string head, body;
  Request r;
  const auto length = [&](const std::string& h) -> std::size_t {
    std::size_t pos = 0, next;
    bool first = true;
    while (pos <= h.size()) {
      next = h.find("\r\n", pos);
      const std::string line = h.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
      if (first) {
        const auto sp1 = line.find(' '), sp2 = line.rfind(' ');
        r.method = line.substr(0, sp1);
        r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
        first = false;
      } else if (auto colon = line.find(':'); colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        r.headers[lower(line.substr(0, colon))] = value;
      }
      if (next == std::string::npos) break;
      pos = next + 2;
    }
    auto it = r.headers.find("content-length");
    return it == r.headers.end() ? 0 : std::stoul(it->second);
  };
  if (!conn.http(head, body, length)) return;
  r.body = body;
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(r);
  }
  if (silent) {
    // Hold the connection until the client gives up or the sink stops.
    while (!stopping_) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 50) > 0) {
        char c;
        if (::recv(fd, &c, 1, 0) <= 0) return;
      }
    }
    return;
  }
  const std::string answer = echo ? r.target + " " + r.body : reply;
  conn.write("HTTP/1.1 " + std::to_string(status) + " " + (status < 300 ? "OK" : "Error") +
             "\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " + std::to_string(answer.size()) +
             "\r\n\r\n" + answer);
}

std::vector<SmtpSink::Session> SmtpSink::sessions() const {
  std::lock_guard lock(mutex_);
  return sessions_;
}

std::vector<SmtpSink::Session> SmtpSink::sessions(std::size_t at_least) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  auto got = sessions();
  while (got.size() < at_least && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    got = sessions();
  }
  return got;
}

void SmtpSink::serve(int fd) {
  Conn conn(fd);
  Session s;
  bool saved = false;
  // Saved before the reply to QUIT, so a client that has its answer finds the session here.
  const auto save = [&] {
    if (saved) return;
    saved = true;
    std::lock_guard lock(mutex_);
    sessions_.push_back(s);
  };
  if (implicit_tls) {
    if (!conn.tls(cert_file, key_file)) {
      save();
      return;
    }
    s.tls = true;
  }
  conn.write("220-smtp.test ESMTP test sink\r\n220 ready\r\n");
  std::string line;
  while (conn.line(line)) {
    s.commands.push_back(line);
    const std::string verb = lower(line.substr(0, line.find(' ')));
    if (verb == "ehlo") {
      s.ehlo = line.size() > 5 ? line.substr(5) : "";
      std::vector<std::string> caps{"smtp.test greets " + s.ehlo, "8BITMIME", "SIZE 10000000"};
      if (!cert_file.empty() && !s.tls) caps.emplace_back("STARTTLS");
      if (!auth.empty()) caps.push_back("AUTH " + auth);
      std::string reply;
      for (std::size_t i = 0; i < caps.size(); ++i) reply += (i + 1 < caps.size() ? "250-" : "250 ") + caps[i] + "\r\n";
      conn.write(reply);
    } else if (verb == "starttls") {
      conn.write("220 2.0.0 go ahead\r\n");
      if (!conn.tls(cert_file, key_file)) break;
      s.tls = true;
    } else if (lower(line).starts_with("auth plain")) {
      // The token on the AUTH line (an initial response, RFC 4954), or after a 334.
      if (line.size() <= 11) {
        conn.write("334 \r\n");
        if (!conn.line(line)) break;
        line = "AUTH PLAIN " + line;
      }
      s.auth_plain = unbase64(line.substr(11));
      conn.write(auth_reply + "\r\n");
    } else if (lower(line).starts_with("auth login")) {
      if (line.size() <= 11) {
        conn.write("334 VXNlcm5hbWU6\r\n");
        if (!conn.line(line)) break;
      } else {
        line = line.substr(11);  // the user name as an initial response
      }
      s.login_user = unbase64(line);
      conn.write("334 UGFzc3dvcmQ6\r\n");
      if (!conn.line(line)) break;
      s.login_password = unbase64(line);
      conn.write(auth_reply + "\r\n");
    } else if (lower(line).starts_with("mail from:")) {
      s.mail_from = line.substr(10);
      s.mail_over_tls = s.tls;
      conn.write("250 2.1.0 Ok\r\n");
    } else if (lower(line).starts_with("rcpt to:")) {
      const std::string to = line.substr(8);
      if (reject.count(to)) {
        conn.write("550 5.1.1 " + to + ": Recipient address rejected: no such user\r\n");
      } else {
        s.rcpt_to.push_back(to);
        conn.write("250 2.1.5 Ok\r\n");
      }
    } else if (verb == "data") {
      conn.write("354 End data with <CR><LF>.<CR><LF>\r\n");
      while (conn.line(line) && line != ".") {
        s.raw_data += line + "\r\n";
        s.message += (line.starts_with('.') ? line.substr(1) : line) + "\r\n";
      }
      conn.write("250 2.0.0 Ok: queued as T1\r\n");
    } else if (verb == "quit") {
      s.quit = true;
      save();
      conn.write("221 2.0.0 Bye\r\n");
      break;
    } else {
      conn.write("502 5.5.2 Error: command not recognized\r\n");
    }
  }
  save();
}

std::vector<std::string> ConnectProxy::targets() const {
  std::lock_guard lock(mutex_);
  return targets_;
}

void ConnectProxy::serve(int fd) {
  Conn conn(fd);
  std::string head, body;
  if (!conn.http(head, body, [](const std::string&) { return std::size_t{0}; })) return;
  // "CONNECT 127.0.0.1:2525 HTTP/1.1"
  const auto sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
  const std::string target = head.substr(sp1 + 1, sp2 - sp1 - 1);
  {
    std::lock_guard lock(mutex_);
    targets_.push_back(target);
  }
  const auto colon = target.rfind(':');
  if (!head.starts_with("CONNECT ") || colon == std::string::npos || target.substr(0, colon) != "127.0.0.1") {
    conn.write("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
    return;
  }
  const int up = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(target.substr(colon + 1))));
  if (connect(up, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    conn.write("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
    close(up);
    return;
  }
  conn.write("HTTP/1.1 200 Connection established\r\n\r\n");
  // Bytes both ways until either side closes (or the proxy stops).
  pollfd p[2]{{fd, POLLIN, 0}, {up, POLLIN, 0}};
  char chunk[4096];
  while (!stopping_) {
    if (poll(p, 2, 50) <= 0) continue;
    bool done = false;
    for (int i = 0; i < 2 && !done; ++i) {
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const long n = ::recv(p[i].fd, chunk, sizeof chunk, 0);
      done = n <= 0 || ::send(p[1 - i].fd, chunk, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n;
    }
    if (done) break;
  }
  close(up);
}

}  // namespace slipway::test
