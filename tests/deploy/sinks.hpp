// Real servers on 127.0.0.1 that record what the notification channels sent them:
//   HttpSink  answers each HTTP/1.1 request with a set status and body (webhook, Slack, PagerDuty);
//   SmtpSink  speaks SMTP (multi-line greeting and EHLO, STARTTLS or TLS from the first byte,
//             AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, QUIT) and keeps the envelope and the message;
//   ConnectProxy  an HTTP proxy that tunnels CONNECT to 127.0.0.1 only, and keeps each target.
// Each listens on a port the kernel picks and stops (joining its thread) when destroyed.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace slipway::test {

class Listener {
 public:
  Listener();
  virtual ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  [[nodiscard]] int port() const { return port_; }

 protected:
  void start();  // call at the end of the derived constructor
  void stop();   // call at the start of the derived destructor
  virtual void serve(int fd) = 0;
  std::atomic<bool> stopping_{false};

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

class HttpSink : public Listener {
 public:
  struct Request {
    std::string method;
    std::string target;
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
  };

  int status = 200;
  std::string reply = "ok";
  bool echo = false;    // answer with the request's target and body (to see that errors are redacted)
  bool silent = false;  // read the request and never answer (a hung server)

  HttpSink() { start(); }
  ~HttpSink() override { stop(); }
  [[nodiscard]] std::string url(const std::string& path) const;
  [[nodiscard]] std::vector<Request> requests() const;

 private:
  void serve(int fd) override;
  mutable std::mutex mutex_;
  std::vector<Request> requests_;
};

class SmtpSink : public Listener {
 public:
  struct Session {
    std::vector<std::string> commands;       // every command line, in order (AUTH arguments included)
    std::string ehlo;                        // the last EHLO argument
    bool tls = false;                        // STARTTLS (or the implicit TLS handshake) completed
    bool mail_over_tls = false;              // MAIL FROM came after the handshake
    std::string auth_plain;                  // decoded AUTH PLAIN token
    std::string login_user, login_password;  // decoded AUTH LOGIN answers
    std::string mail_from;                   // the MAIL FROM line's argument
    std::vector<std::string> rcpt_to;        // accepted recipients ("<a@b>")
    std::string raw_data;                    // DATA as received, dot-stuffed, CRLF, without the final "."
    std::string message;                     // DATA with the dot-stuffing undone
    bool quit = false;
  };

  std::string auth = "PLAIN LOGIN";  // the AUTH line of EHLO; empty = no AUTH
  std::string auth_reply = "235 2.7.0 Authentication successful";
  std::set<std::string> reject;     // recipients answered with 550
  std::string cert_file, key_file;  // set both to offer STARTTLS
  bool implicit_tls = false;        // with cert_file and key_file: TLS before the greeting (SMTPS)

  SmtpSink() { start(); }
  ~SmtpSink() override { stop(); }
  [[nodiscard]] std::vector<Session> sessions() const;
  // The sessions once there are `at_least` (or after 5 s): a client that gives up without QUIT
  // may return before the sink has seen the connection close.
  [[nodiscard]] std::vector<Session> sessions(std::size_t at_least) const;

 private:
  void serve(int fd) override;
  mutable std::mutex mutex_;
  std::vector<Session> sessions_;
};

class ConnectProxy : public Listener {
 public:
  ConnectProxy() { start(); }
  ~ConnectProxy() override { stop(); }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  [[nodiscard]] std::vector<std::string> targets() const;  // "127.0.0.1:2525", one per CONNECT

 private:
  void serve(int fd) override;
  mutable std::mutex mutex_;
  std::vector<std::string> targets_;
};

}  // namespace slipway::test
