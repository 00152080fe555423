#include "core/timezone.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <exception>
#include <vector>

#include <date/tz.h>
#include <fmt/format.h>

#include "core/suggest.hpp"

namespace slipway {
namespace {

// Where Debian's libdate-tz looks (it does not read TZDIR).
constexpr std::string_view kZoneDir = "/usr/share/zoneinfo";
constexpr std::string_view kNameHint =
    R"(use an IANA time zone name such as "Europe/Berlin", "America/New_York" or "UTC")";
constexpr std::string_view kInstallHint = "install the tzdata package (scripts/setup.sh does)";

// Path-like names of letters, digits and "_-+.", with no empty, "." or ".." part: anything else
// is refused before the database is asked, and so is a name too long to be a typo of a zone.
bool valid_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '/' || name.back() == '/') return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t slash = std::min(name.find('/', start), name.size());
    const std::string_view part = name.substr(start, slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    for (char c : part) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '+' && c != '.') return false;
    }
    start = slash + 1;
  }
  return true;
}

// The database, read from kZoneDir on first use; an environment error when it is not there.
Result<const date::tzdb*> database() {
  try {
    const date::tzdb& db = date::get_tzdb();
    if (db.zones.empty()) {
      return fail(Error::environment(fmt::format("the time zone database at {} holds no zones", kZoneDir), {},
                                     std::string(kInstallHint)));
    }
    return &db;
  } catch (const std::exception&) {
    return fail(
        Error::environment(fmt::format("no time zone database at {}", kZoneDir), {}, std::string(kInstallHint)));
  }
}

}  // namespace

TimeZone TimeZone::utc() {
  TimeZone z;
  z.name_ = "UTC";
  return z;
}

Result<TimeZone> TimeZone::load(std::string_view name) {
  if (name == "UTC") return utc();
  if (!valid_zone_name(name)) {
    return fail(Error::input(fmt::format("\"{}\" is not a time zone name", name), {}, std::string(kNameHint)));
  }
  if (name.starts_with("right/")) {
    return fail(
        Error::input(fmt::format("\"{}\" counts leap seconds (a right/ zone), which Slipway does not support", name),
                     {}, "use the zone without the right/ prefix"));
  }
  auto db = database();
  if (!db) return fail(db.error());
  const auto& zones = (*db)->zones;
  const auto found = std::find_if(zones.begin(), zones.end(), [&](const auto& z) { return z.name() == name; });
  if (found == zones.end()) {
    std::vector<std::string_view> candidates;
    candidates.reserve(zones.size());
    for (const auto& z : zones) candidates.emplace_back(z.name());
    return fail(Error::input(fmt::format("unknown time zone \"{}\"{}", name, did_you_mean(name, candidates)), {},
                             std::string(kNameHint)));
  }
  // The library reads a zone's file on its first question and asserts (aborts) on one that does
  // not start with the TZif magic: look first, so a damaged file is an error, not a crash.
  const std::string file = fmt::format("{}/{}", kZoneDir, name);
  char magic[4] = {};
  if (std::FILE* f = std::fopen(file.c_str(), "rb")) {
    const std::size_t got = std::fread(magic, 1, sizeof magic, f);
    std::fclose(f);
    if (got != sizeof magic || std::string_view(magic, sizeof magic) != "TZif")
      return fail(Error::environment("the time zone file is not a TZif file", file, "reinstall the tzdata package"));
  }
  // Then ask one question here, so that an unreadable file is an error now and utc_offset()
  // never throws.
  try {
    (void)found->get_info(std::chrono::sys_seconds{});
  } catch (const std::exception& e) {
    return fail(Error::environment(fmt::format("cannot read the time zone file: {}", e.what()), file,
                                   "reinstall the tzdata package"));
  }
  TimeZone z;
  z.name_ = std::string(name);
  z.zone_ = &*found;
  return z;
}

std::chrono::seconds TimeZone::utc_offset(std::chrono::sys_seconds t) const {
  if (zone_ == nullptr) return std::chrono::seconds{0};
  return zone_->get_info(t).offset;
}

}  // namespace slipway
