// Notification emails over SMTP (RFC 5321) through libcurl: one message per connection.
//
//   S: 220 mail.example.com ESMTP          C: MAIL FROM:<slipway@example.com> SIZE=2048
//   C: EHLO deploy-host                    S: 250 2.1.0 Ok
//   S: 250-mail.example.com                C: RCPT TO:<ops@example.com>     (one per recipient)
//   S: 250-STARTTLS                        S: 250 2.1.5 Ok
//   S: 250 AUTH PLAIN LOGIN                C: DATA / S: 354 / the message, dot-stuffed, then "."
//   C: STARTTLS, then EHLO again           S: 250 2.0.0 queued as 4F2A
//   C: AUTH PLAIN <base64>                 C: QUIT
//
// Tls::starttls upgrades with STARTTLS and requires it (a server that does not offer it is an
// error, never a silent plain-text fallback); Tls::implicit speaks TLS from the first byte
// (SMTPS, port 465). Either way the certificate and host name are verified. With a user name,
// libcurl picks the AUTH mechanism (PLAIN, LOGIN, CRAM-MD5...) from those the server offers; a
// server that offers none is an error. A proxy (SOCKS or HTTP CONNECT) is `proxy` or, when empty,
// libcurl's environment variables (smtp_proxy / smtps_proxy, all_proxy, no_proxy). Every error
// names the step and quotes the server's reply; the password never appears in one.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace slipway::smtp {

enum class Tls { none, starttls, implicit };

struct Options {
  std::string host;
  std::string port = "25";
  std::string username;  // AUTH when set
  std::string password;
  Tls tls = Tls::none;
  std::string ca_file;    // PEM file of CAs to trust besides the system's
  std::string helo_name;  // the EHLO argument; empty = this machine's host name
  std::string proxy;      // socks5h://host:1080, http://host:3128...; empty = the environment's
  // The connection, and each server reply (rounded up to whole seconds); the whole conversation
  // gets four times as long.
  std::chrono::milliseconds timeout{5000};
};

struct Message {
  std::string from;             // envelope sender (MAIL FROM)
  std::vector<std::string> to;  // envelope recipients (RCPT TO)
  std::string data;             // the whole message, headers and body; line ends are made CRLF
};

// A header value safe to write: CR and LF become spaces, and a value with non-ASCII bytes is an
// RFC 2047 encoded word ("=?UTF-8?B?...?=").
std::string header_value(std::string_view value);

// An RFC 5322 date: "Sat, 21 Nov 2026 09:35:02 +0000" (always UTC, never the locale's names).
std::string rfc5322_date(std::chrono::system_clock::time_point t);

// Sends `message` and returns the server's reply to the end of DATA ("250 2.0.0 queued as 4F2A").
// Fails (environment, `unreachable`) with "cannot connect to host:port: ..." when no connection
// could be made (the only failure worth a retry), or with the step and the server's reply
// otherwise.
Result<std::string> send(const Options& options, const Message& message);

}  // namespace slipway::smtp
