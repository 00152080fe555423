// What `slipway check` produces: a flat list of checks, each in one section, each pass / warn / fail.
//
// Every part of the checklist (env.cpp, scan.cpp, git.cpp, database.cpp, backup.cpp) appends to a
// Report; the renderer groups by section in the order the sections first appear. Ids are
// kebab-case and stable (docs/commands/check.md lists them): a CI script may grep for
// "git-pushed". Messages never hold a secret's value: they say which variable and why.
#pragma once

#include <string>
#include <string_view>

#include "core/report.hpp"

namespace slipway::check {

// The checklist is a report::Report("check", "section").
using report::Check;
using report::Report;
using report::Status;
using report::Summary;

// "jwt_secret" / "JWT_SECRET" -> "jwt-secret": how variable names become ids.
std::string kebab(std::string_view name);

// "fail" / "warn" from a configured severity; "off" is the caller's to handle.
Status severity(std::string_view configured);

}  // namespace slipway::check
