// [watch]: the monitor's listener and its probes ([[watch.probe]]). The conditions of an http
// probe are verify's assertion language; core keeps their text and position, and watch parses
// them (core does not depend on verify).
#include <algorithm>

#include <fmt/format.h>

#include "core/config_sections.hpp"

namespace slipway {

namespace {

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
           ch == '.';
  });
}

void positive(ConfigReader& r, const toml::table& t, const std::string& key, std::string_view name, Duration d) {
  if (const toml::node* node = t.get(name); node && d <= Duration::zero())
    r.error(*node, fmt::format("{}.{} must be longer than 0", key, name), "for example \"30s\"");
}

void read_conditions(ConfigReader& r, const toml::table& t, WatchProbe& p) {
  const toml::node* node = t.get("conditions");
  if (!node) return;
  const auto* list = node->as_array();
  if (!list) {
    r.error(*node, fmt::format("{}.conditions must be an array of strings, not {}", p.key, type_name(node->type())),
            "conditions = [\"status == 200\", \"json $.status == \\\"ok\\\"\", \"duration < 500ms\"]");
    return;
  }
  for (const auto& item : *list) {
    if (const auto* s = item.as_string())
      p.conditions.emplace_back(s->get(), r.where(item));
    else
      r.error(item, fmt::format("{}.conditions must hold strings, not {}", p.key, type_name(item.type())),
              "write each condition as a string: \"status == 200\"");
  }
}

WatchProbe read_probe(ConfigReader& r, const toml::table& t, const std::string& key) {
  r.check_keys(t, key,
               {"name", "kind", "severity", "url", "method", "headers", "address", "database_url", "conditions",
                "every", "retry_every", "down_after", "up_after", "repeat", "timeout"});
  WatchProbe p;
  p.key = key;
  r.string(t, key, "name", p.name);
  r.one_of(t, key, "kind", p.kind, {"http", "tcp", "postgres"},
           "http probes a URL, tcp connects to host:port, postgres connects and runs SELECT 1");
  r.one_of(t, key, "severity", p.severity, {"critical", "warning"}, "critical alerts remind every `repeat`");
  r.string(t, key, "url", p.url);
  r.string(t, key, "method", p.method);
  r.string_table(t, key, "headers", p.headers);
  r.string(t, key, "address", p.address);
  r.string(t, key, "database_url", p.database_url);
  read_conditions(r, t, p);
  r.duration(t, key, "every", p.every);
  r.duration(t, key, "retry_every", p.retry_every);
  r.duration(t, key, "down_after", p.down_after);
  r.integer(t, key, "up_after", p.up_after, 1, 1000);
  r.duration(t, key, "repeat", p.repeat);
  r.duration(t, key, "timeout", p.timeout);
  positive(r, t, key, "every", p.every);
  positive(r, t, key, "retry_every", p.retry_every);
  positive(r, t, key, "timeout", p.timeout);

  if (!valid_name(p.name))
    r.error(t.get("name") ? *t.get("name") : static_cast<const toml::node&>(t),
            p.name.empty() ? fmt::format("{} has no name", key)
                           : fmt::format("{}.name \"{}\" may hold only letters, digits, '-', '_' and '.'", key, p.name),
            "name = \"api\": it names the probe in alerts, its dedup key and `watch status`");
  const auto require = [&](std::string_view field, const std::string& value, std::string_view example) {
    if (value.empty())
      r.error(t, fmt::format("{} (kind \"{}\") has no {}", key, p.kind, field), fmt::format("add {}", example));
  };
  if (p.kind == "http") require("url", p.url, "url = \"http://127.0.0.1:3000/health\"");
  if (p.kind == "tcp") require("address", p.address, "address = \"127.0.0.1:5432\"");
  if (p.kind != "http" && (t.get("conditions") || t.get("url") || t.get("headers")))
    r.error(t, fmt::format("{}: url, headers and conditions are for http probes, not {}", key, p.kind),
            "remove them, or set kind = \"http\"");
  return p;
}

}  // namespace

void read_watch(ConfigReader& r, const toml::table& t, Config& c) {
  r.check_keys(t, "watch", {"listen", "probe", "history_raw", "history_keep", "log_format"});
  r.string(t, "watch", "listen", c.watch.listen);
  r.duration(t, "watch", "history_raw", c.watch.history_raw);
  r.duration(t, "watch", "history_keep", c.watch.history_keep);
  positive(r, t, "watch", "history_raw", c.watch.history_raw);
  positive(r, t, "watch", "history_keep", c.watch.history_keep);
  if (c.watch.history_keep < c.watch.history_raw)
    r.error(t.get("history_keep") ? *t.get("history_keep") : static_cast<const toml::node&>(t),
            fmt::format("watch.history_keep ({}) is shorter than watch.history_raw ({})",
                        format_duration(c.watch.history_keep), format_duration(c.watch.history_raw)),
            "keep the hourly history at least as long as the raw results, e.g. history_keep = \"90d\"");
  r.one_of(t, "watch", "log_format", c.watch.log_format, {"text", "json"},
           "json writes one object per line: time, level, msg and fields such as probe");
  const auto probes = r.tables(t, "probe", "watch");
  for (std::size_t i = 0; i < probes.size(); ++i) {
    const std::string key = fmt::format("watch.probe[{}]", i);
    WatchProbe p = read_probe(r, *probes[i], key);
    const bool taken = std::any_of(c.watch.probes.begin(), c.watch.probes.end(),
                                   [&](const WatchProbe& q) { return q.name == p.name; });
    if (taken && !p.name.empty())
      r.error(*probes[i], fmt::format("{}: another probe is already named \"{}\"", key, p.name),
              "give each probe its own name: its alerts and state are kept by name");
    c.watch.probes.push_back(std::move(p));
  }
}

}  // namespace slipway
