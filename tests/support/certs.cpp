#include "certs.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <vector>

#include "process.hpp"

namespace slipway::test {

namespace {

void openssl(const std::vector<std::string>& args, const std::string& dir) {
  std::vector<std::string> argv{"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run(argv, {}, {}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace

void make_ca(const std::string& dir) {
  openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
           "-subj", "/CN=Slipway Test CA"},
          dir);
}

void make_ca_signed_cert(const std::string& dir, const std::string& name, const std::string& san, int days) {
  openssl({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj",
           "/CN=" + san.substr(san.find(':') + 1)},
          dir);
  std::ofstream(dir + "/" + name + ".cnf") << "subjectAltName=" << san << "\n";
  openssl({"x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
           name + ".pem", "-days", std::to_string(days), "-extfile", name + ".cnf"},
          dir);
}

}  // namespace slipway::test
