#include "core/config.hpp"

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "core/config_sections.hpp"
#include "core/fs.hpp"

namespace slipway {
namespace fs = std::filesystem;

namespace {

void read_document(ConfigReader& r, const toml::table& doc, Config& c) {
  std::vector<std::string_view> names;
  for (const ConfigSection& section : kConfigSections) names.push_back(section.name);
  r.check_keys(doc, "", names);
  for (const ConfigSection& section : kConfigSections) {
    if (const auto* t = r.table(doc, section.name, "")) section.read(r, *t, c);
  }
}

// (line, column) of a "file:line:col" location, for ordering errors.
std::pair<long, long> location_key(const std::string& where) {
  const auto last = where.rfind(':');
  const auto prev = last == std::string::npos ? std::string::npos : where.rfind(':', last - 1);
  if (prev == std::string::npos) return {0, 0};
  return {std::atol(where.c_str() + prev + 1), std::atol(where.c_str() + last + 1)};
}

}  // namespace

std::string Config::where(const std::string& key) const {
  const std::string name = file.empty() ? std::string("defaults") : file.string();
  if (auto it = positions.find(key); it != positions.end()) return format_location(name, it->second);
  return name;
}

Result<void> Config::require(const std::string& key) const {
  auto it = unresolved.find(key);
  if (it == unresolved.end()) return {};
  std::string names;
  for (const auto& n : it->second) names += (names.empty() ? "" : ", ") + n;
  return fail(Error::input(
      fmt::format("{} uses {}, which is not set", key, names), where(key),
      fmt::format("export {} or put it in the env file (project.env_file or --env-file)", it->second.front())));
}

Config default_config(const fs::path& root) {
  Config c;
  c.root = root;
  c.state.url = (root / ".slipway" / "state.db").string();
  c.backup.repository = root / "backups";
  c.gate.control_socket = root / ".slipway" / "gate.sock";
  return c;
}

tl::expected<Config, ConfigErrors> parse_config(std::string_view text, const fs::path& path, const Environment& env) {
  Config config = default_config(path.has_parent_path() ? path.parent_path() : fs::path("."));
  config.file = path;
  auto parsed = parse_toml(text, path.string(), "fix the TOML syntax; see docs/config.md for the format");
  if (!parsed) return tl::unexpected(ConfigErrors{std::move(parsed.error())});
  const toml::table& doc = *parsed;

  // The env file feeds ${VAR} expansion everywhere, so read it first.
  Environment effective = env;
  if (const auto* project = doc["project"].as_table()) {
    if (const auto* env_file = project->get_as<std::string>("env_file")) {
      fs::path p(env_file->get());
      if (!p.is_absolute()) p = config.root / p;
      auto values = load_env_file(p.string());
      if (!values) return tl::unexpected(ConfigErrors{values.error()});
      for (auto& [k, v] : *values) {
        if (!env.get(k)) effective.set(k, v);
      }
    }
  }

  ConfigReader reader(path.string(), config, effective);
  read_document(reader, doc, config);
  if (!reader.errors.empty()) {
    // toml++ walks keys in sorted order; report in file order.
    std::stable_sort(reader.errors.begin(), reader.errors.end(),
                     [](const Error& a, const Error& b) { return location_key(a.where) < location_key(b.where); });
    return tl::unexpected(std::move(reader.errors));
  }
  config.document = std::make_shared<const ConfigDocument>(ConfigDocument{std::move(*parsed)});
  return config;
}

tl::expected<Config, ConfigErrors> load_config(const fs::path& path, const Environment& env) {
  auto text = read_text_file(path, kMaxConfigFileBytes);
  if (!text) {
    return tl::unexpected(ConfigErrors{Error::input(
        fmt::format("cannot use the config file: {}", text.error().message), path.string(),
        fmt::format("check the path (a regular file of at most {}), or run without --config to use the defaults",
                    format_size(kMaxConfigFileBytes)))});
  }
  return parse_config(*text, path, env);
}

tl::expected<Config, ConfigErrors> find_and_load_config(const std::optional<fs::path>& explicit_path,
                                                        const std::optional<std::string>& env_file) {
  Environment env;
  if (env_file) {
    auto values = load_env_file(*env_file);
    if (!values) return tl::unexpected(ConfigErrors{values.error()});
    env = Environment(std::move(*values));
  }
  if (explicit_path) return load_config(*explicit_path, env);
  if (fs::exists("slipway.toml")) return load_config("slipway.toml", env);
  return default_config(fs::current_path());
}

bool is_postgres_url(std::string_view url) {
  return url.starts_with("postgres://") || url.starts_with("postgresql://");
}

}  // namespace slipway
