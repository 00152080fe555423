// Connection strings as libpq reads them: postgresql:// URLs and "key=value" conninfo alike.
//
// Child processes (pg_dump, pg_restore) get the connection without its password, which goes
// through PGPASSWORD instead, so it never shows in `ps` or in a printed command line:
//
//   auto info = ConnInfo::parse("postgresql://app:s3cret@db:5432/loans?sslmode=require");
//   info->password();       // "s3cret"
//   info->without_password().to_string();  // "host='db' port='5432' user='app' dbname='loans' sslmode='require'"
//   info->with("dbname", "scratch").to_string();
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace slipway::pg {

class ConnInfo {
 public:
  // Parses with PQconninfoParse; a malformed string is an input error (redacted).
  static Result<ConnInfo> parse(const std::string& url);

  // The value of `key` ("dbname", "host", ...), or "" when not set.
  [[nodiscard]] std::string get(const std::string& key) const;
  [[nodiscard]] std::string password() const { return get("password"); }
  [[nodiscard]] ConnInfo with(const std::string& key, const std::string& value) const;
  [[nodiscard]] ConnInfo without_password() const;
  // "postgresql://user@host:port/dbname": for manifests and messages, never with the password.
  [[nodiscard]] std::string display() const;
  // "key='value' ..." with quotes and backslashes escaped, for libpq and --dbname=.
  [[nodiscard]] std::string to_string() const;

 private:
  std::vector<std::pair<std::string, std::string>> options_;
};

}  // namespace slipway::pg
