// [watch]: the monitor's listener and its probes ([[watch.probe]]). The conditions of an http
// probe are verify's assertion language; core keeps their text and position, and watch parses
// them (core does not depend on verify). A sql probe's condition ("value < 5") is small enough to
// parse here. Each kind reads its own keys (kKindKeys); another kind's key is an error.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string_view>
#include <utility>
#include <vector>

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

// The keys only some kinds read, with those kinds: written on a probe of another kind, such a key
// is an error at the key (a `query` on a host probe would otherwise be silently ignored).
constexpr std::pair<std::string_view, std::string_view> kKindKeys[] = {
    {"url", "http metrics"},
    {"method", "http"},
    {"headers", "http"},
    {"conditions", "http"},
    {"address", "tcp tls"},
    {"server_name", "tls"},
    {"ca_file", "tls http"},
    {"cert_days", "tls http"},
    {"database_url", "postgres sql"},
    {"query", "sql"},
    {"condition", "sql"},
    {"check", "host"},
    {"above", "host"},
    {"path", "host"},
    {"forecast", "host"},
    {"requests", "metrics"},
    {"duration", "metrics"},
    {"window", "metrics"},
    {"error_rate_above", "metrics"},
    {"p50_above", "metrics"},
    {"p95_above", "metrics"},
    {"p99_above", "metrics"},
    {"min_requests", "metrics"},
    {"post_deploy", "metrics"},
    {"regression_error_rate", "metrics"},
    {"regression_p95", "metrics"},
    {"regression_p95_min", "metrics"},
};

bool listed(std::string_view words, std::string_view word) {
  while (!words.empty()) {
    const auto space = words.find(' ');
    if (words.substr(0, space) == word) return true;
    words = space == std::string_view::npos ? std::string_view() : words.substr(space + 1);
  }
  return false;
}

void reject_other_kinds_keys(ConfigReader& r, const toml::table& t, const WatchProbe& p) {
  for (const auto& [name, kinds] : kKindKeys) {
    const toml::node* node = t.get(name);
    if (!node || listed(kinds, p.kind)) continue;
    const auto first = kinds.substr(0, kinds.find(' '));
    std::string owners(kinds);
    if (const auto space = owners.find(' '); space != std::string::npos) owners.replace(space, 1, " and ");
    r.error(*node, fmt::format("{}.{} is for {} probes, not {}", p.key, name, owners, p.kind),
            fmt::format("remove it, or set kind = \"{}\"", first));
  }
}

// "value < 5": `value`, one of < <= > >= == !=, a finite number. False when `text` is not that.
bool parse_value_condition(std::string_view text, std::string& op, double& number) {
  const auto skip = [&] {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  };
  skip();
  if (!text.starts_with("value")) return false;
  text.remove_prefix(5);
  skip();
  for (std::string_view o : {"<=", ">=", "==", "!=", "<", ">"}) {
    if (text.starts_with(o)) {
      op = std::string(o);
      break;
    }
  }
  if (op.empty()) return false;
  text.remove_prefix(op.size());
  skip();
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size() && std::isfinite(number);
}

bool metric_name(std::string_view name) {
  const auto head = [](char ch) { return std::isalpha(static_cast<unsigned char>(ch)) || ch == '_' || ch == ':'; };
  return !name.empty() && head(name.front()) &&
         std::all_of(name.begin(), name.end(), [&](char ch) { return head(ch) || (ch >= '0' && ch <= '9'); });
}

void read_kind_keys(ConfigReader& r, const toml::table& t, const std::string& key, WatchProbe& p) {
  r.string(t, key, "server_name", p.server_name);
  r.path(t, key, "ca_file", p.ca_file);
  r.integer(t, key, "cert_days", p.cert_days, 0, 3650);
  r.string(t, key, "query", p.query);
  r.string(t, key, "condition", p.condition);
  r.one_of(t, key, "check", p.check, {"cpu", "memory", "disk"},
           "cpu: busy share from /proc/stat, memory: MemAvailable of MemTotal, disk: statvfs of `path`");
  r.number(t, key, "above", p.above, 0, 100);
  r.string(t, key, "path", p.path);
  r.duration(t, key, "forecast", p.forecast);
  r.string(t, key, "requests", p.requests);
  r.string(t, key, "duration", p.duration);
  r.duration(t, key, "window", p.window);
  r.number(t, key, "error_rate_above", p.error_rate_above, 0, 100);
  r.duration(t, key, "p50_above", p.p50_above);
  r.duration(t, key, "p95_above", p.p95_above);
  r.duration(t, key, "p99_above", p.p99_above);
  r.integer(t, key, "min_requests", p.min_requests, 0, 1'000'000'000);
  r.duration(t, key, "post_deploy", p.post_deploy);
  r.number(t, key, "regression_error_rate", p.regression_error_rate, 0, 100);
  r.number(t, key, "regression_p95", p.regression_p95, 0, 1000);
  r.duration(t, key, "regression_p95_min", p.regression_p95_min);
  positive(r, t, key, "window", p.window);

  if (const toml::node* node = t.get("condition");
      node && p.kind == "sql" && !p.condition.empty() &&
      !parse_value_condition(p.condition, p.condition_op, p.condition_value))
    r.error(*node, fmt::format("{}.condition \"{}\" is not `value OPERATOR NUMBER`", key, p.condition),
            "condition = \"value < 5\"; the operators are < <= > >= == !=");
  if (const toml::node* node = t.get("cert_days"); node && p.kind == "http" && !p.url.starts_with("https://"))
    r.error(*node, fmt::format("{}.cert_days needs an https url", key),
            "remove it, or probe the https URL (or add a kind = \"tls\" probe)");
  if (const toml::node* node = t.get("path"); node && p.kind == "host" && !p.path.starts_with('/'))
    r.error(*node, fmt::format("{}.path \"{}\" must be an absolute path", key, p.path),
            "path = \"/\" or the mount point to watch, like \"/var/lib/postgresql\"");
  for (const char* name : {"path", "forecast"}) {
    if (const toml::node* node = t.get(name); node && p.kind == "host" && !p.check.empty() && p.check != "disk")
      r.error(*node, fmt::format("{}.{} is for check = \"disk\", not \"{}\"", key, name, p.check),
              "remove it, or set check = \"disk\"");
  }
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string*>{"requests", &p.requests}, {"duration", &p.duration}}) {
    if (const toml::node* node = t.get(name); node && !metric_name(*value))
      r.error(*node, fmt::format("{}.{} \"{}\" is not a Prometheus metric name", key, name, *value),
              "letters, digits, '_' and ':', not starting with a digit, like \"http_requests_total\"");
  }
}

WatchProbe read_probe(ConfigReader& r, const toml::table& t, const std::string& key) {
  std::vector<std::string_view> known = {"name",     "kind",   "severity", "every",      "retry_every",  "down_after",
                                         "up_after", "repeat", "timeout",  "depends_on", "deploy_window"};
  for (const auto& [name, kinds] : kKindKeys) known.push_back(name);
  r.check_keys(t, key, known);
  WatchProbe p;
  p.key = key;
  r.string(t, key, "name", p.name);
  r.one_of(t, key, "kind", p.kind, {"http", "tcp", "tls", "postgres", "sql", "host", "metrics"},
           "http probes a URL, tcp connects to host:port, tls checks its certificate, postgres connects and runs "
           "SELECT 1, sql judges the number a query returns, host watches CPU, memory or disk, metrics judges a "
           "Prometheus endpoint's error rate and latency");
  r.one_of(t, key, "severity", p.severity, {"critical", "warning"}, "critical alerts remind every `repeat`");
  r.string(t, key, "url", p.url);
  r.string(t, key, "method", p.method);
  r.string_table(t, key, "headers", p.headers);
  r.string(t, key, "address", p.address);
  r.string(t, key, "database_url", p.database_url);
  read_conditions(r, t, p);
  read_kind_keys(r, t, key, p);
  r.duration(t, key, "every", p.every);
  r.duration(t, key, "retry_every", p.retry_every);
  r.duration(t, key, "down_after", p.down_after);
  r.integer(t, key, "up_after", p.up_after, 1, 1000);
  r.duration(t, key, "repeat", p.repeat);
  r.duration(t, key, "timeout", p.timeout);
  r.string(t, key, "depends_on", p.depends_on);
  r.boolean(t, key, "deploy_window", p.deploy_window);
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
  if (p.kind == "metrics") require("url", p.url, "url = \"http://127.0.0.1:9091/metrics\"");
  if (p.kind == "tcp") require("address", p.address, "address = \"127.0.0.1:5432\"");
  if (p.kind == "tls") require("address", p.address, "address = \"example.com:443\"");
  if (p.kind == "sql") {
    require("query", p.query, "query = \"SELECT count(*) FROM audit_log WHERE ...\"");
    require("condition", p.condition, "condition = \"value < 5\"");
  }
  if (p.kind == "host") require("check", p.check, "check = \"memory\" (or \"cpu\", \"disk\")");
  reject_other_kinds_keys(r, t, p);
  return p;
}

// depends_on names another probe, and following it never comes back to where it started.
void check_dependencies(ConfigReader& r, const std::vector<const toml::table*>& tables, const WatchConfig& w) {
  const auto find = [&w](const std::string& name) {
    return std::find_if(w.probes.begin(), w.probes.end(), [&](const WatchProbe& q) { return q.name == name; });
  };
  for (std::size_t i = 0; i < w.probes.size(); ++i) {
    const WatchProbe& p = w.probes[i];
    if (p.depends_on.empty()) continue;
    const toml::node& at = *tables[i]->get("depends_on");
    if (find(p.depends_on) == w.probes.end()) {
      r.error(at, fmt::format("{}.depends_on names \"{}\", which is not a probe here", p.key, p.depends_on),
              "name another [[watch.probe]] (the database this probe needs, for example)");
      continue;
    }
    std::string path = p.name;
    auto q = find(p.depends_on);
    // At most as many steps as probes: a loop that does not pass through p is reported at its own.
    for (std::size_t steps = 0; q != w.probes.end() && steps < w.probes.size(); ++steps) {
      path += " -> " + q->name;
      if (q->name == p.name) {
        r.error(at, fmt::format("{}.depends_on makes a loop: {}", p.key, path),
                "a probe may not depend on itself, directly or through others");
        break;
      }
      q = q->depends_on.empty() ? w.probes.end() : find(q->depends_on);
    }
  }
}

// route = { critical = [...], warning = [...] }: channel names.
void read_route(ConfigReader& r, const toml::table& t, WatchConfig& w) {
  const auto* route = r.table(t, "route", "watch");
  if (!route) return;
  r.check_keys(*route, "watch.route", {"critical", "warning"});
  for (auto [key, out] : {std::pair{"critical", &w.route_critical}, std::pair{"warning", &w.route_warning}}) {
    r.strings(*route, "watch.route", key, *out);
    for (const auto& channel : *out)
      if (channel != "webhook" && channel != "slack" && channel != "pagerduty" && channel != "email" &&
          channel != "sms")
        r.error(*route->get(key), fmt::format("watch.route.{} has an unknown channel \"{}\"", key, channel),
                "channels are webhook, slack, pagerduty, email and sms (each configured under [notify])");
  }
}

}  // namespace

void read_watch(ConfigReader& r, const toml::table& t, Config& c) {
  r.check_keys(t, "watch",
               {"listen", "probe", "lease", "window_max", "flap_window", "flap_threshold", "group_wait", "rate_limit",
                "route", "store_down_after", "history_raw", "history_keep", "log_format"});
  r.string(t, "watch", "listen", c.watch.listen);
  r.duration(t, "watch", "lease", c.watch.lease);
  r.duration(t, "watch", "window_max", c.watch.window_max);
  r.integer(t, "watch", "flap_window", c.watch.flap_window, 4, 200);
  r.number(t, "watch", "flap_threshold", c.watch.flap_threshold, 1, 100);
  r.duration(t, "watch", "group_wait", c.watch.group_wait);
  r.duration(t, "watch", "store_down_after", c.watch.store_down_after);
  r.integer(t, "watch", "rate_limit", c.watch.rate_limit, 0, 100000);
  positive(r, t, "watch", "lease", c.watch.lease);
  positive(r, t, "watch", "window_max", c.watch.window_max);
  read_route(r, t, c.watch);
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
  check_dependencies(r, probes, c.watch);
}

}  // namespace slipway
