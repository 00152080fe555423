// A real PostgreSQL for tests: one server per test binary, started on first use by
// scripts/pg-sandbox in a temporary directory, and stopped when the binary exits, however it
// exits (the sandbox stops when its stdin, held by this process, closes).
#pragma once

#include <string>

namespace slipway::test {

class Postgres {
 public:
  // The server, started on first call.
  static Postgres& instance();

  // A fresh, empty database with a unique name; returns its URL.
  std::string create_database();
  // Runs SQL as the superuser on `url` (fails the test on error).
  void exec(const std::string& url, const std::string& sql);
  // Creates login role `role` (roles are per server), runs `grants` on `url` as the superuser,
  // and returns `url` connecting as that role.
  std::string create_role(const std::string& url, const std::string& role, const std::string& grants);

  [[nodiscard]] const std::string& admin_url() const { return admin_url_; }

 private:
  Postgres();
  std::string admin_url_;
  int databases_ = 0;
};

}  // namespace slipway::test
