// Migration folders as the tools that own them lay them out, read in the order they apply.
//
//   prisma          prisma/migrations/20260101000000_init/migration.sql   (ordered by folder name)
//   flyway          V1__init.sql, V1.1__users.sql, R__views.sql           (versions, then repeatables)
//   golang-migrate  000001_init.up.sql, 000002_users.up.sql               (numeric; .down.sql skipped)
//   plain           any *.sql                                             (natural order: 2_x before 10_x)
//
// "auto" picks the layout from what the folder holds.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace slipway::migrate {

enum class Layout { prisma, flyway, golang_migrate, plain };

std::string_view to_string(Layout l);
// "auto" -> nullopt-like: returns Layout for a named one; fails on unknown names.
Result<Layout> parse_layout(std::string_view name);

struct MigrationFile {
  std::string version;  // "20260101000000", "1.1", "1"; "" for repeatable and plain files
  std::string name;     // "init"
  std::filesystem::path path;
  bool repeatable = false;  // Flyway R__ migrations
};

// The layout of `dir`, guessed from its content.
Layout detect_layout(const std::filesystem::path& dir);

struct Folder {
  std::filesystem::path dir;  // where the migrations are (prisma/migrations under a project root)
  Layout layout = Layout::plain;
  std::vector<MigrationFile> files;  // in the order they apply
};

// The migrations of `dir`. `layout` "auto" detects. A project root holding prisma/migrations is
// accepted for Prisma.
Result<Folder> discover(const std::filesystem::path& dir, std::string_view layout = "auto");

// The layout a single migration file belongs to, from where it sits: a migration.sql under a
// Prisma migrations folder is Prisma's, a V1__x.sql beside others is Flyway's, and so on.
Layout layout_of_file(const std::filesystem::path& file);

// Whether the tool runs each multi-statement file in one transaction (all of these do but
// plain files, which psql -f runs statement by statement).
bool runs_file_in_transaction(Layout layout);

// Compares strings with digit runs compared as numbers: "2_x" < "10_x".
bool natural_less(std::string_view a, std::string_view b);

}  // namespace slipway::migrate
