// [project]: the project's name and its env file (which parse_config reads first, for ${VAR}).
#include "core/config_sections.hpp"

namespace slipway {
namespace fs = std::filesystem;

void read_project(ConfigReader& r, const toml::table& t, Config& c) {
  r.check_keys(t, "project", {"name", "env_file"});
  r.string(t, "project", "name", c.project.name);
  fs::path env_file;
  r.path(t, "project", "env_file", env_file);
  if (!env_file.empty()) c.project.env_file = env_file.string();
}

}  // namespace slipway
