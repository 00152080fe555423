// [deploy]: the maintenance mode, the health wait, the phases' deadlines and the release steps.
#include <fmt/format.h>

#include "core/config_sections.hpp"

namespace slipway {

const std::vector<std::pair<std::string_view, Duration>> kDefaultDeadlines = {
    {"check", std::chrono::minutes(5)},
    {"lint", std::chrono::minutes(10)},
    {"hold-writes", std::chrono::minutes(1)},
    {"snapshot", std::chrono::minutes(10)},
    {"backup", std::chrono::hours(2)},
    {"maintenance-on", std::chrono::minutes(1)},
    {"migrate", std::chrono::hours(1)},
    {"release", std::chrono::minutes(30)},
    {"switch", std::chrono::minutes(10)},
    {"verify", std::chrono::minutes(30)},
    {"maintenance-off", std::chrono::minutes(1)},
    {"after-switch", std::chrono::minutes(10)},
    {"notify", std::chrono::minutes(2)},
    {"restore", std::chrono::hours(2)},
};

Duration DeployConfig::deadline(std::string_view phase) const {
  if (const auto it = deadlines.find(std::string(phase)); it != deadlines.end()) return it->second;
  for (const auto& [name, value] : kDefaultDeadlines)
    if (name == phase) return value;
  return std::chrono::minutes(30);
}

void read_deploy(ConfigReader& r, const toml::table& t, Config& c) {
  r.check_keys(t, "deploy",
               {"maintenance", "maintenance_without_migrations", "restore_on_rollback", "upstream", "health_url",
                "health_timeout", "lock_lease", "release_migrates", "deadlines", "steps"});
  r.boolean(t, "deploy", "release_migrates", c.deploy.release_migrates);
  if (const auto* d = r.table(t, "deadlines", "deploy")) {
    std::vector<std::string_view> phases;
    for (const auto& [phase, _] : kDefaultDeadlines) phases.push_back(phase);
    r.check_keys(*d, "deploy.deadlines", phases);
    for (const auto& [phase, _] : kDefaultDeadlines) {
      const toml::node* node = d->get(phase);
      if (!node) continue;
      Duration value{-1};
      r.duration(*d, "deploy.deadlines", phase, value);
      if (value == Duration::zero())
        r.error(*node, fmt::format("deploy.deadlines.{} is 0: the phase would be stopped as it starts", phase),
                "give it the time it may take, e.g. \"10min\"; leave the key out for the default");
      if (value > Duration::zero()) c.deploy.deadlines[std::string(phase)] = value;
    }
  }
  r.one_of(t, "deploy", "maintenance", c.deploy.maintenance, {"maintenance", "read-only", "off"});
  r.boolean(t, "deploy", "maintenance_without_migrations", c.deploy.maintenance_without_migrations);
  r.boolean(t, "deploy", "restore_on_rollback", c.deploy.restore_on_rollback);
  r.string(t, "deploy", "upstream", c.deploy.upstream);
  r.string(t, "deploy", "health_url", c.deploy.health_url);
  r.duration(t, "deploy", "health_timeout", c.deploy.health_timeout);
  r.duration(t, "deploy", "lock_lease", c.deploy.lock_lease);
  const toml::node* steps = t.get("steps");
  if (!steps) return;
  const auto* list = steps->as_array();
  if (!list) {
    r.error(*steps, fmt::format("deploy.steps must be an array of tables, not {}", type_name(steps->type())),
            "write each step as [[deploy.steps]] with name = \"...\" and run = \"...\" under it");
    return;
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    const toml::node& node = *list->get(i);
    const std::string key = fmt::format("deploy.steps[{}]", i);
    const auto* step = node.as_table();
    if (!step) {
      r.error(node, fmt::format("{} must be a table, not {}", key, type_name(node.type())),
              "write each step as [[deploy.steps]] with name = \"...\" and run = \"...\" under it");
      continue;
    }
    r.check_keys(*step, key, {"name", "run", "rollback", "after_switch", "timeout", "cwd", "env"});
    DeployStep s;
    s.key = key;
    r.string(*step, key, "name", s.name);
    r.string(*step, key, "run", s.run);
    r.string(*step, key, "rollback", s.rollback);
    r.string(*step, key, "after_switch", s.after_switch);
    r.duration(*step, key, "timeout", s.timeout);
    r.path(*step, key, "cwd", s.cwd);
    if (const auto* env = r.table(*step, "env", key)) {
      for (const auto& [name, value] : *env) {
        std::string v;
        r.string(*env, key + ".env", name.str(), v);
        s.env[std::string(name.str())] = v;
      }
    }
    if (s.run.empty())
      r.error(node, fmt::format("{} has no run command", key), "add run = \"the command\" (it runs with /bin/sh -c)");
    if (s.name.empty()) s.name = fmt::format("step {}", i + 1);
    c.deploy.steps.push_back(std::move(s));
  }
}

}  // namespace slipway
