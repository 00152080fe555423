// Certificates for tests, made with the openssl command in a folder the test owns.
#pragma once

#include <string>

namespace slipway::test {

// A private CA in `dir`: ca.key and ca.pem (valid 30 days). Fails the test when openssl fails.
void make_ca(const std::string& dir);
// `name`.key and `name`.pem in `dir`, for subjectAltName `san` ("IP:127.0.0.1",
// "DNS:localhost"), signed by make_ca's CA in `dir`, valid for `days` days from now.
void make_ca_signed_cert(const std::string& dir, const std::string& name, const std::string& san, int days);

}  // namespace slipway::test
