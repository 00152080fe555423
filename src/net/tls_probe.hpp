// What a TLS endpoint offers, asked the way testssl.sh asks: one handshake per protocol version
// (TLS 1.0 and 1.1 included, which Debian's OpenSSL only attempts at security level 0), then a
// verifying handshake for the certificate: chain, host name, days to expiry. A failed check is
// data, not an error: the scan reports it and goes on.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace slipway::net {

struct TlsVersionOffer {
  std::string name;  // "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"
  bool accepted = false;
};

// The server's certificate as one verifying handshake sees it.
struct TlsCertificate {
  bool chain_valid = false;
  std::string chain_error;  // OpenSSL's verify message when the chain does not verify
  bool hostname_ok = false;
  bool self_signed = false;
  long days_left = 0;  // whole days until notAfter; negative when expired
  std::chrono::system_clock::time_point not_after{};
  std::string subject;
  std::string issuer;
};

struct TlsProbe : TlsCertificate {
  std::vector<TlsVersionOffer> versions;
};

// One handshake with host:port, sending `server_name` as SNI and checking the certificate's name
// against it (an IP address against its IP SANs), the chain against the system's CAs and
// `ca_file`. Fails (environment) when it cannot connect or the handshake does not complete.
Result<TlsCertificate> check_certificate(const std::string& host, const std::string& port,
                                         const std::string& server_name, const std::string& ca_file,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Probes host:port. Fails (environment) only when nothing answers TLS at all.
Result<TlsProbe> probe_tls(const std::string& host, const std::string& port, const std::string& ca_file,
                           std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace slipway::net
