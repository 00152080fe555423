// The top-level sections of slipway.toml that core reads: one reader each, in a file of its own
// (core/config_<section>.cpp, built by the glob in core/CMakeLists.txt), and the one list that
// names them.
//
// parse_config() reports a top-level table that is not listed here as an unknown section (with a
// "did you mean"), and calls each listed reader with its section's table. A reader checks its
// keys (ConfigReader::check_keys) and reads them into its part of Config.
//
// A new section: its struct and member in core/config.hpp, core/config_watch.cpp with
// read_watch(), and its declaration and row here. [verify] is read by verify/settings.cpp from
// Config::document; core's reader of it takes base_url only.
//
// Include from core's config_*.cpp only (this brings toml++).
#pragma once

#include <string_view>

#include "core/config_reader.hpp"

namespace slipway {

using SectionReader = void (*)(ConfigReader& r, const toml::table& t, Config& c);

void read_project(ConfigReader& r, const toml::table& t, Config& c);
void read_database(ConfigReader& r, const toml::table& t, Config& c);
void read_migrations(ConfigReader& r, const toml::table& t, Config& c);
void read_lint(ConfigReader& r, const toml::table& t, Config& c);
void read_backup(ConfigReader& r, const toml::table& t, Config& c);
void read_gate(ConfigReader& r, const toml::table& t, Config& c);
void read_verify(ConfigReader& r, const toml::table& t, Config& c);
void read_state(ConfigReader& r, const toml::table& t, Config& c);
void read_check(ConfigReader& r, const toml::table& t, Config& c);
void read_deploy(ConfigReader& r, const toml::table& t, Config& c);
void read_notify(ConfigReader& r, const toml::table& t, Config& c);
void read_watch(ConfigReader& r, const toml::table& t, Config& c);

struct ConfigSection {
  std::string_view name;
  SectionReader read;
};

// In the order an unknown section's hint lists them.
inline constexpr ConfigSection kConfigSections[] = {
    {"project", read_project},        // config_project.cpp
    {"database", read_database},      // config_database.cpp
    {"migrations", read_migrations},  // config_migrations.cpp
    {"lint", read_lint},              // config_lint.cpp
    {"backup", read_backup},          // config_backup.cpp
    {"gate", read_gate},              // config_gate.cpp
    {"verify", read_verify},          // config_verify.cpp
    {"state", read_state},            // config_state.cpp
    {"check", read_check},            // config_check.cpp
    {"deploy", read_deploy},          // config_deploy.cpp
    {"notify", read_notify},          // config_notify.cpp
    {"watch", read_watch},            // config_watch.cpp
};

}  // namespace slipway
