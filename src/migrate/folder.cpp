#include "migrate/folder.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

#include <fmt/format.h>

namespace slipway::migrate {
namespace fs = std::filesystem;

namespace {

const std::regex kFlywayVersioned(R"(^V([0-9][0-9._]*)__(.+)\.sql$)");
const std::regex kFlywayRepeatable(R"(^R__(.+)\.sql$)");
const std::regex kGolangUp(R"(^([0-9]+)_(.+)\.up\.sql$)");
const std::regex kPrismaDir(R"(^([0-9]+)_(.+)$)");

std::vector<fs::path> entries(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path());
  return out;
}

// Flyway versions compare part by part: 1.10 > 1.9, and "_" separates like ".".
bool version_less(const std::string& a, const std::string& b) {
  const auto parts = [](const std::string& v) {
    std::vector<unsigned long long> out;
    std::string cur;
    for (char c : v + ".") {
      if (c == '.' || c == '_') {
        if (!cur.empty()) out.push_back(std::stoull(cur.substr(0, 18)));
        cur.clear();
      } else {
        cur += c;
      }
    }
    return out;
  };
  return parts(a) < parts(b);
}

}  // namespace

std::string_view to_string(Layout l) {
  switch (l) {
    case Layout::prisma: return "prisma";
    case Layout::flyway: return "flyway";
    case Layout::golang_migrate: return "golang-migrate";
    case Layout::plain: return "plain";
  }
  return "plain";
}

Result<Layout> parse_layout(std::string_view name) {
  for (Layout l : {Layout::prisma, Layout::flyway, Layout::golang_migrate, Layout::plain}) {
    if (to_string(l) == name) return l;
  }
  return fail(Error::input(fmt::format("unknown migration format '{}'", name), "migrations.format",
                           "use auto, prisma, flyway, golang-migrate or plain"));
}

bool natural_less(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      std::size_t i2 = i, j2 = j;
      while (i2 < a.size() && std::isdigit(static_cast<unsigned char>(a[i2]))) ++i2;
      while (j2 < b.size() && std::isdigit(static_cast<unsigned char>(b[j2]))) ++j2;
      std::string_view na = a.substr(i, i2 - i), nb = b.substr(j, j2 - j);
      while (na.size() > 1 && na.front() == '0') na.remove_prefix(1);
      while (nb.size() > 1 && nb.front() == '0') nb.remove_prefix(1);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = i2;
      j = j2;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

Layout detect_layout(const fs::path& dir) {
  if (fs::exists(dir / "migration_lock.toml")) return Layout::prisma;
  int flyway = 0, golang = 0, prisma = 0;
  for (const fs::path& p : entries(dir)) {
    const std::string name = p.filename().string();
    if (fs::is_directory(p) && fs::exists(p / "migration.sql")) ++prisma;
    if (std::regex_match(name, kFlywayVersioned) || std::regex_match(name, kFlywayRepeatable)) ++flyway;
    if (std::regex_match(name, kGolangUp)) ++golang;
  }
  if (prisma > 0 && prisma >= flyway && prisma >= golang) return Layout::prisma;
  if (flyway > 0 && flyway >= golang) return Layout::flyway;
  if (golang > 0) return Layout::golang_migrate;
  return Layout::plain;
}

Layout layout_of_file(const fs::path& file) {
  const fs::path dir = fs::absolute(file).parent_path();
  if (file.filename() == "migration.sql" && detect_layout(dir.parent_path()) == Layout::prisma) return Layout::prisma;
  return detect_layout(dir);
}

bool runs_file_in_transaction(Layout layout) {
  return layout != Layout::plain;
}

Result<Folder> discover(const fs::path& input, std::string_view layout_name) {
  fs::path dir = input;
  if (fs::is_directory(dir / "prisma" / "migrations")) dir = dir / "prisma" / "migrations";
  if (!fs::is_directory(dir)) {
    return fail(Error::input("not a migrations folder", input.string(), "give a folder of migrations or .sql files"));
  }
  Layout layout = Layout::plain;
  if (layout_name == "auto") {
    layout = detect_layout(dir);
  } else {
    auto parsed = parse_layout(layout_name);
    if (!parsed) return fail(parsed.error());
    layout = *parsed;
  }

  std::vector<MigrationFile> out;
  std::vector<MigrationFile> repeatable;
  std::smatch m;
  for (const fs::path& p : entries(dir)) {
    const std::string name = p.filename().string();
    switch (layout) {
      case Layout::prisma:
        if (fs::is_directory(p) && fs::exists(p / "migration.sql")) {
          MigrationFile f{"", name, p / "migration.sql", false};
          if (std::regex_match(name, m, kPrismaDir)) {
            f.version = m[1];
            f.name = m[2];
          }
          out.push_back(std::move(f));
        }
        break;
      case Layout::flyway:
        if (std::regex_match(name, m, kFlywayVersioned)) {
          out.push_back({m[1], m[2], p, false});
        } else if (std::regex_match(name, m, kFlywayRepeatable)) {
          repeatable.push_back({"", m[1], p, true});
        }
        break;
      case Layout::golang_migrate:
        if (std::regex_match(name, m, kGolangUp)) out.push_back({m[1], m[2], p, false});
        break;
      case Layout::plain:
        if (fs::is_regular_file(p) && p.extension() == ".sql") out.push_back({"", p.stem().string(), p, false});
        break;
    }
  }
  switch (layout) {
    case Layout::prisma:
    case Layout::plain:
      std::sort(out.begin(), out.end(),
                [](const auto& a, const auto& b) { return natural_less(a.path.string(), b.path.string()); });
      break;
    case Layout::flyway:
      std::sort(out.begin(), out.end(),
                [](const auto& a, const auto& b) { return version_less(a.version, b.version); });
      std::sort(repeatable.begin(), repeatable.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
      out.insert(out.end(), repeatable.begin(), repeatable.end());
      break;
    case Layout::golang_migrate:
      std::sort(out.begin(), out.end(),
                [](const auto& a, const auto& b) { return natural_less(a.version, b.version); });
      break;
  }
  return Folder{dir, layout, std::move(out)};
}

}  // namespace slipway::migrate
