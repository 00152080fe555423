// `slipway verify smoke` against nginx answering with tokens: a failing step's body excerpt and a
// captured token in a query string never reach a report, and every report stays well-formed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <boost/json.hpp>

#include "process.hpp"
#include "server.hpp"

namespace slipway::verify {
namespace {

namespace fs = std::filesystem;

constexpr const char* kAccess = "eyJhbGciOiJIUzI1NiJ9.QWNjZXNzVG9rZW4.c2lnbmF0dXJlQWNj";
constexpr const char* kRefresh = "Rfr3sh-Tok3n-Value-9x8y7zQ";
constexpr const char* kSession = "s3ss-Kq8wPz4mVt7b";

const char* kApi = R"(
  server {
    listen 127.0.0.1:@PORT0@;
    default_type application/json;
    location = /api/auth/session {
      return 200 '{"accessToken":"eyJhbGciOiJIUzI1NiJ9.QWNjZXNzVG9rZW4.c2lnbmF0dXJlQWNj","user":{"role":"ADMIN"}}';
    }
    location = /api/auth/refresh {
      return 401 '{"error":"expired","refresh_token":"Rfr3sh-Tok3n-Value-9x8y7zQ","hint":"log in again"}';
    }
    location = /api/legacy {
      default_type text/plain;
      return 400 'bad request: refresh_token=Rfr3sh-Tok3n-Value-9x8y7zQ; session=s3ss-Kq8wPz4mVt7b';
    }
    location = /api/files { return 500 $request_uri; }
  }
)";

std::string flows() {
  return R"(
[[verify.flow]]
name = "refresh"
[[verify.flow.step]]
name = "session"
url = "/api/auth/session"
capture = { token = "json $.accessToken" }
[[verify.flow.step]]
name = "refresh"
method = "POST"
url = "/api/auth/refresh"

[[verify.flow]]
name = "legacy"
[[verify.flow.step]]
name = "legacy"
url = "/api/legacy"

[[verify.flow]]
name = "files"
[[verify.flow.step]]
name = "session"
url = "/api/auth/session"
capture = { token = "json $.accessToken" }
[[verify.flow.step]]
name = "files"
url = "/api/files?access_token={{token}}"
)";
}

TEST(SmokeRedaction, UncapturedRefreshTokenInAFailingStepsBodyIsMaskedInEveryFormat) {
  test::Nginx nginx(kApi);
  const fs::path dir = nginx.dir();
  std::ofstream(dir / "slipway.toml") << "[verify]\nbase_url = \"http://127.0.0.1:" << nginx.port() << "\"\n"
                                      << flows();
  for (const std::string format : {"text", "json", "junit", "markdown"}) {
    const auto r = test::run(
        {test::slipway_binary(), "verify", "smoke", "--format", format, "--config", (dir / "slipway.toml").string()},
        {}, {{"NO_COLOR", "1"}});
    EXPECT_EQ(r.exit_code, 1) << format << "\n" << r.out << r.err;
    for (const char* secret : {kAccess, kRefresh, kSession}) {
      EXPECT_EQ(r.out.find(secret), std::string::npos) << format << " printed " << secret << "\n" << r.out;
      EXPECT_EQ(r.err.find(secret), std::string::npos) << format << " printed " << secret << "\n" << r.err;
    }
    if (format == "json") {
      boost::system::error_code ec;
      const auto doc = boost::json::parse(r.out, ec);
      ASSERT_FALSE(ec) << "not JSON:\n" << r.out;
      std::string messages;
      for (const auto& c : doc.at("checks").as_array()) messages += std::string(c.at("message").as_string()) + "\n";
      // The excerpt is still there to read, with only the secrets masked.
      EXPECT_NE(messages.find(R"({"error":"expired","refresh_token":"***","hint":"log in again"})"), std::string::npos)
          << messages;
      EXPECT_NE(messages.find("refresh_token=***; session=***"), std::string::npos) << messages;
      EXPECT_NE(messages.find("/api/files?access_token=***"), std::string::npos) << messages;
      // Two flows of two steps: the session steps passed and were counted.
      EXPECT_EQ(doc.at("summary").at("pass").as_int64(), 2) << r.out;
    }
    if (format == "text") {
      EXPECT_NE(r.out.find(R"("refresh_token":"***")"), std::string::npos) << r.out;
    }
  }
}

}  // namespace
}  // namespace slipway::verify
