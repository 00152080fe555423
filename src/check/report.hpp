// What `slipway check` produces: a flat list of checks, each in one section, each pass / warn / fail.
//
// Every part of the checklist (env.cpp, scan.cpp, git.cpp, database.cpp, backup.cpp) appends to a
// Report; the renderer groups by section in the order the sections first appear. Ids are
// kebab-case and stable (docs/commands/check.md lists them): a CI script may grep for
// "git-pushed". Messages never hold a secret's value: they say which variable and why.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace slipway::check {

enum class Status { pass, warn, fail };

std::string_view to_string(Status s);

struct Check {
  std::string id;       // "env-jwt-secret", "git-pushed", "db-grants"
  std::string section;  // "env", "secrets", "git", "database", "backup"
  Status status = Status::pass;
  std::string message;
  std::string hint;  // what to do, or empty
};

struct Summary {
  int pass = 0;
  int warn = 0;
  int fail = 0;
};

class Report {
 public:
  void add(Check check) { checks_.push_back(std::move(check)); }
  void add(std::string id, std::string section, Status status, std::string message, std::string hint = {}) {
    checks_.push_back({std::move(id), std::move(section), status, std::move(message), std::move(hint)});
  }

  [[nodiscard]] const std::vector<Check>& checks() const { return checks_; }
  [[nodiscard]] Summary summary() const;
  // The first check with `id`, or null.
  [[nodiscard]] const Check* find(std::string_view id) const;
  // Drops checks whose id is in `ids` (check.skip).
  void skip(const std::vector<std::string>& ids);

 private:
  std::vector<Check> checks_;
};

// "jwt_secret" / "JWT_SECRET" -> "jwt-secret": how variable names become ids.
std::string kebab(std::string_view name);

// "fail" / "warn" from a configured severity; "off" is the caller's to handle.
Status severity(std::string_view configured);

}  // namespace slipway::check
