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

struct TlsProbe {
  std::vector<TlsVersionOffer> versions;
  bool chain_valid = false;
  std::string chain_error;  // OpenSSL's verify message when the chain does not verify
  bool hostname_ok = false;
  bool self_signed = false;
  long days_left = 0;  // until notAfter; negative when expired
  std::string subject;
  std::string issuer;
};

// Probes host:port. Fails (environment) only when nothing answers TLS at all.
Result<TlsProbe> probe_tls(const std::string& host, const std::string& port, const std::string& ca_file,
                           std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace slipway::net
