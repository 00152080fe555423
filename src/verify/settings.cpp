#include "verify/settings.hpp"

#include "core/hash.hpp"

#include <algorithm>
#include <limits>
#include <regex>

#include <fmt/format.h>
#include <toml++/toml.h>
#include <boost/json.hpp>

#include <sstream>

#include "core/config_reader.hpp"
#include "core/fs.hpp"
#include "core/redact.hpp"
#include "core/suggest.hpp"
#include "verify/security.hpp"

namespace slipway::verify {
namespace fs = std::filesystem;

constexpr double kUnbounded = std::numeric_limits<double>::infinity();

namespace {

// [verify] and flow files are read in the brief dialect (ConfigReader(path)): their messages
// name the key alone, as they always have.

boost::json::value to_json(const toml::node& n) {
  if (const auto* s = n.as_string()) return boost::json::value(s->get());
  if (const auto* i = n.as_integer()) return boost::json::value(i->get());
  if (const auto* f = n.as_floating_point()) return boost::json::value(f->get());
  if (const auto* b = n.as_boolean()) return boost::json::value(b->get());
  if (const auto* a = n.as_array()) {
    boost::json::array out;
    for (const auto& item : *a) out.push_back(to_json(item));
    return out;
  }
  if (const auto* t = n.as_table()) {
    boost::json::object out;
    for (const auto& [k, v] : *t) out[k.str()] = to_json(v);
    return out;
  }
  // Dates and times: their TOML text.
  std::ostringstream os;
  n.visit([&os](const auto& leaf) { os << leaf; });
  return boost::json::value(os.str());
}

void read_thresholds(ConfigReader& r, const toml::table& t, std::string_view section, std::string_view key,
                     std::vector<Threshold>& out) {
  const toml::node* n = t.get(key);
  if (!n) return;
  std::vector<std::string> texts;
  r.strings(t, section, key, texts);
  for (const auto& text : texts) {
    auto th = parse_threshold(text);
    if (th) {
      out.push_back(*th);
      continue;
    }
    r.error(*n, fmt::format("{} in '{}' (column {})", th.error().message, text, th.error().column), th.error().hint);
  }
}

Step read_step(ConfigReader& r, const toml::table& t, const std::string& flow, std::size_t index) {
  r.check_keys(t, "step",
               {"name", "method", "url", "headers", "json", "form", "body", "status", "capture", "assert", "secret",
                "retry", "retry_interval"});
  Step s;
  s.where = r.where(t);
  r.string(t, "step", "name", s.name);
  r.string(t, "step", "method", s.method);
  std::transform(s.method.begin(), s.method.end(), s.method.begin(), [](unsigned char c) { return std::toupper(c); });
  r.string(t, "step", "url", s.url);
  if (s.url.empty()) r.error(t, fmt::format("step {} of flow '{}' has no url", index + 1, flow), "add url = \"/path\"");
  if (s.name.empty()) s.name = fmt::format("{} {}", s.method, s.url);
  r.string_table(t, "step", "headers", s.headers);
  if (const toml::node* j = t.get("json")) s.json = to_json(*j);
  r.string_table(t, "step", "form", s.form);
  r.string(t, "step", "body", s.body);
  r.integer(t, "step", "retry", s.retry, 0, 1000);
  r.duration(t, "step", "retry_interval", s.retry_interval);
  if (s.retry_interval > std::chrono::minutes(1))
    r.error(*t.get("retry_interval"), "retry_interval must be 1m or less");
  if (const toml::node* st = t.get("status")) {
    if (const auto* i = st->as_integer())
      s.status = {static_cast<int>(i->get())};
    else if (const auto* a = st->as_array()) {
      for (const auto& item : *a) {
        if (const auto* v = item.as_integer())
          s.status.push_back(static_cast<int>(v->get()));
        else
          r.error(item, "status must hold integers");
      }
    } else {
      r.error(*st, "status must be an integer or an array of integers");
    }
  }
  std::vector<std::string> secret;
  r.strings(t, "step", "secret", secret);
  if (const toml::node* c = t.get("capture")) {
    if (const auto* tab = c->as_table()) {
      for (const auto& [name, node] : *tab) {
        const auto* text = node.as_string();
        if (!text) {
          r.error(node, fmt::format("capture.{} must be a string such as \"json $.token\"", name.str()));
          continue;
        }
        auto q = parse_query(text->get());
        if (!q) {
          r.error(node, fmt::format("capture.{}: {} (column {})", name.str(), q.error().message, q.error().column));
          continue;
        }
        Capture cap{std::string(name.str()), std::move(*q), false};
        cap.secret = is_secret_name(cap.name) || cap.query.kind == Query::Kind::cookie ||
                     std::find(secret.begin(), secret.end(), cap.name) != secret.end();
        s.captures.push_back(std::move(cap));
      }
    } else {
      r.error(*c, "capture must be a table: capture = { token = \"json $.accessToken\" }");
    }
  }
  std::vector<std::string> asserts;
  r.strings(t, "step", "assert", asserts);
  for (const auto& text : asserts) {
    auto a = parse_assertion(text);
    if (!a) {
      r.error(*t.get("assert"), fmt::format("assert '{}': {} (column {})", text, a.error().message, a.error().column));
      continue;
    }
    if (a->predicate.op == Predicate::Op::matches) {
      try {
        std::regex re(a->predicate.text);
      } catch (const std::regex_error& e) {
        r.error(*t.get("assert"), fmt::format("assert '{}': bad regular expression: {}", text, e.what()));
        continue;
      }
    }
    s.asserts.push_back(std::move(*a));
  }
  return s;
}

// The [[key]] flows under `parent` ([[verify.flow]] in slipway.toml, [[flow]] in a flow file).
std::vector<Flow> read_flows(ConfigReader& r, const toml::table& parent, std::string_view key,
                             std::string_view section) {
  std::vector<Flow> out;
  const std::string flows = fmt::format("{}{}{}", section, section.empty() ? "" : ".", key);
  for (const toml::table* ft : r.tables(parent, key, section)) {
    r.check_keys(*ft, flows, {"name", "role", "uses", "headers", "step"});
    Flow f;
    f.where = r.where(*ft);
    r.string(*ft, flows, "name", f.name);
    if (f.name.empty()) {
      r.error(*ft, "a flow needs a name", "add name = \"admin login\"");
      f.name = f.where;
    }
    r.string(*ft, flows, "role", f.role);
    r.string(*ft, flows, "uses", f.uses);
    r.string_table(*ft, flows, "headers", f.headers);
    const auto steps = r.tables(*ft, "step", "flow");
    if (steps.empty()) r.error(*ft, fmt::format("flow '{}' has no steps", f.name), "add [[flow.step]] blocks");
    for (std::size_t i = 0; i < steps.size(); ++i) f.steps.push_back(read_step(r, *steps[i], f.name, i));
    out.push_back(std::move(f));
  }
  return out;
}

std::string resolve(const Config& config, const std::string& p) {
  if (p.empty()) return p;
  fs::path path(p);
  return path.is_absolute() ? p : (config.root / path).lexically_normal().string();
}

bool has_flow(const VerifySettings& s, const std::string& name) {
  return std::any_of(s.flows.begin(), s.flows.end(), [&](const Flow& f) { return f.name == name; });
}

// verify.flows: the flow files, beside the recorded copy when reading one.
void read_flow_files(ConfigReader& r, const toml::table& v, const Config& config, VerifySettings& s) {
  std::vector<std::string> files;
  r.strings(v, "verify", "flows", files);
  s.flow_files = files;
  for (const auto& f : files) {
    const std::string path = config.verify_file.empty()
                                 ? resolve(config, f)
                                 : recorded_flow_file(config.verify_file.parent_path(), f).string();
    auto content = read_text_file(path, kMaxConfigFileBytes);
    if (!content) {
      r.errors.push_back(Error::input(fmt::format("cannot read the flow file {}: {}", path, content.error().message),
                                      r.where(*v.get("flows")),
                                      "the path is relative to slipway.toml and must name a regular file"));
      continue;
    }
    auto more = parse_flow_file(*content, path);
    if (!more) {
      for (auto& e : more.error()) r.errors.push_back(std::move(e));
      continue;
    }
    for (auto& flow : *more) s.flows.push_back(std::move(flow));
  }
}

// Flow names are how --flow and `uses` refer to them.
void check_flow_names(ConfigReader& r, const VerifySettings& s) {
  for (std::size_t i = 0; i < s.flows.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (s.flows[i].name == s.flows[j].name) {
        r.errors.push_back(Error::input(fmt::format("two flows are named '{}'", s.flows[i].name), s.flows[i].where,
                                        fmt::format("the other is at {}", s.flows[j].where)));
      }
    }
  }
  for (const Flow& f : s.flows) {
    if (!f.uses.empty() && !has_flow(s, f.uses)) {
      r.errors.push_back(
          Error::input(fmt::format("flow '{}' uses '{}', which is not defined", f.name, f.uses), f.where));
    }
  }
}

void read_perf(ConfigReader& r, const toml::table& p, VerifySettings& s) {
  s.perf_configured = true;
  r.check_keys(p, "verify.perf",
               {"connections", "threads", "duration", "rate", "think_time", "thresholds", "login_flow", "endpoint"});
  r.integer(p, "verify.perf", "connections", s.perf.connections, 1, 100000);
  r.integer(p, "verify.perf", "threads", s.perf.threads, 0, 1024);
  r.duration(p, "verify.perf", "duration", s.perf.duration);
  r.number(p, "verify.perf", "rate", s.perf.rate, 0, kUnbounded);
  r.duration(p, "verify.perf", "think_time", s.perf.think_time);
  read_thresholds(r, p, "verify.perf", "thresholds", s.perf.thresholds);
  r.string(p, "verify.perf", "login_flow", s.perf.login_flow);
  if (!s.perf.login_flow.empty() && !has_flow(s, s.perf.login_flow)) {
    r.error(*p.get("login_flow"), fmt::format("login_flow '{}' is not a defined flow", s.perf.login_flow));
  }
  for (const toml::table* e : r.tables(p, "endpoint", "verify.perf")) {
    constexpr std::string_view section = "verify.perf.endpoint";
    r.check_keys(*e, section,
                 {"name", "method", "path", "headers", "body", "thresholds", "connections", "duration", "rate"});
    PerfEndpoint ep;
    r.string(*e, section, "name", ep.name);
    r.string(*e, section, "method", ep.method);
    r.string(*e, section, "path", ep.path);
    if (ep.path.empty()) r.error(*e, "a perf endpoint needs a path", "add path = \"/health\"");
    if (ep.name.empty()) ep.name = ep.path;
    r.string_table(*e, section, "headers", ep.headers);
    r.string(*e, section, "body", ep.body);
    read_thresholds(r, *e, section, "thresholds", ep.thresholds);
    r.integer(*e, section, "connections", ep.connections, 1, 100000);
    r.duration(*e, section, "duration", ep.duration);
    r.number(*e, section, "rate", ep.rate, 0, kUnbounded);
    s.perf.endpoints.push_back(std::move(ep));
  }
}

void read_integrity(ConfigReader& r, const toml::table& t, VerifySettings& s) {
  s.integrity_configured = true;
  r.check_keys(t, "verify.integrity", {"tables", "may_grow", "may_shrink", "may_change", "checksums"});
  r.strings(t, "verify.integrity", "tables", s.integrity.tables);
  r.strings(t, "verify.integrity", "may_grow", s.integrity.may_grow);
  r.strings(t, "verify.integrity", "may_shrink", s.integrity.may_shrink);
  r.strings(t, "verify.integrity", "may_change", s.integrity.may_change);
  if (const auto* c = r.table(t, "checksums", "verify.integrity")) {
    for (const auto& [table, cols] : *c) {
      std::vector<std::string> columns;
      r.strings(*c, "verify.integrity.checksums", table.str(), columns);
      s.integrity.checksums[std::string(table.str())] = columns;
    }
  }
}

void read_security(ConfigReader& r, const toml::table& t, VerifySettings& s) {
  s.security.configured = true;
  constexpr std::string_view section = "verify.security";
  r.check_keys(t, section,
               {"url", "http_url", "cors_origins", "compression_paths", "compression_exempt", "debug_paths",
                "expect_tls", "skip"});
  r.string(t, section, "url", s.security.url);
  r.string(t, section, "http_url", s.security.http_url);
  r.strings(t, section, "cors_origins", s.security.cors_origins);
  r.strings(t, section, "compression_paths", s.security.compression_paths);
  r.strings(t, section, "compression_exempt", s.security.compression_exempt);
  r.strings(t, section, "debug_paths", s.security.debug_paths);
  r.boolean(t, section, "expect_tls", s.security.expect_tls);
  r.strings(t, section, "skip", s.security.skip);
  if (const toml::node* skip = t.get("skip")) {
    // Each unknown id at its own position (skip = "id" alone is a list of one).
    const auto& ids = security_check_ids();
    const auto check = [&](const toml::node& item) {
      const auto* id = item.as_string();
      if (!id || std::find(ids.begin(), ids.end(), id->get()) != ids.end()) return;
      r.error(item, fmt::format("verify.security.skip: unknown check '{}'{}", id->get(), did_you_mean(id->get(), ids)),
              "the security check ids are listed in docs/commands/verify.md (tls-protocol, header-hsts, ...)");
    };
    if (const auto* arr = skip->as_array()) {
      for (const auto& item : *arr) check(item);
    } else {
      check(*skip);
    }
  }
}

void read_websocket(ConfigReader& r, const toml::table& t, VerifySettings& s) {
  s.websocket.configured = true;
  constexpr std::string_view section = "verify.websocket";
  r.check_keys(t, section, {"url", "login_flow", "message", "round_trips", "thresholds"});
  r.string(t, section, "url", s.websocket.url);
  r.string(t, section, "login_flow", s.websocket.login_flow);
  r.string(t, section, "message", s.websocket.message);
  r.integer(t, section, "round_trips", s.websocket.round_trips, 1, 100000);
  read_thresholds(r, t, section, "thresholds", s.websocket.thresholds);
  if (s.websocket.url.empty()) r.error(t, "[verify.websocket] needs a url", "url = \"/ws/events?token={{token}}\"");
  if (!s.websocket.login_flow.empty() && !has_flow(s, s.websocket.login_flow)) {
    r.error(*t.get("login_flow"), fmt::format("login_flow '{}' is not a defined flow", s.websocket.login_flow));
  }
}

void read_soak(ConfigReader& r, const toml::table& t, const Config& config, VerifySettings& s) {
  auto& soak = s.soak;
  soak.configured = true;
  auto& o = soak.options;
  constexpr std::string_view section = "verify.soak";
  r.check_keys(t, section,
               {"duration", "interval", "warmup", "pid", "pid_file", "metrics_url", "metric", "database_url",
                "max_rss_growth", "max_connection_growth", "load", "rate", "connections"});
  r.duration(t, section, "duration", o.duration);
  r.duration(t, section, "interval", o.interval);
  r.duration(t, section, "warmup", o.warmup);
  r.integer(t, section, "pid", o.pid, 1, 1 << 30);
  r.string(t, section, "pid_file", o.pid_file);
  o.pid_file = resolve(config, o.pid_file);
  r.string(t, section, "metrics_url", o.metrics_url);
  r.string(t, section, "metric", o.metric);
  r.string(t, section, "database_url", o.database_url);
  if (const toml::node* n = t.get("max_rss_growth")) {
    const auto* bound_text = n->as_string();
    auto bound =
        bound_text ? parse_growth_bound(bound_text->get()) : fail(Error::input("max_rss_growth must be a string"));
    if (bound)
      o.max_rss_growth = *bound;
    else
      r.error(*n, bound.error().message, "write a percentage (\"20%\") or a size (\"50MB\")");
  }
  r.integer(t, section, "max_connection_growth", o.max_connection_growth, 0, 100000);
  r.boolean(t, section, "load", soak.load);
  r.number(t, section, "rate", soak.rate, 0, kUnbounded);
  r.integer(t, section, "connections", soak.connections, 1, 10000);
  if (o.interval.count() <= 0 || o.interval > o.duration) {
    r.error(t, "[verify.soak] interval must be above 0 and at most the duration",
            "e.g. duration = \"1h\", interval = \"10s\"");
  }
  if ((o.pid > 0) + !o.pid_file.empty() + !o.metrics_url.empty() > 1) {
    r.error(t, "[verify.soak] names more than one memory source", "keep one of pid, pid_file and metrics_url");
  }
  if (soak.load && s.perf.endpoints.empty()) {
    r.error(*t.get("load"), "[verify.soak] load = true needs [[verify.perf.endpoint]] blocks to load");
  }
}

// [verify] of `doc`, as read from `path`, over the defaults in `s`.
tl::expected<VerifySettings, std::vector<Error>> read_verify(const toml::table& doc, const std::string& path,
                                                             const Config& config, VerifySettings s) {
  const auto* v = doc["verify"].as_table();
  if (!v) return s;
  ConfigReader r(path);
  r.check_keys(*v, "verify", kVerifyKeys);
  r.duration(*v, "verify", "timeout", s.timeout);
  r.string(*v, "verify", "ca_file", s.ca_file);
  s.ca_file = resolve(config, s.ca_file);
  r.boolean(*v, "verify", "insecure", s.insecure);
  s.flows = read_flows(r, *v, "flow", "verify");
  read_flow_files(r, *v, config, s);
  check_flow_names(r, s);
  if (const auto* t = r.table(*v, "perf", "verify")) read_perf(r, *t, s);
  if (const auto* t = r.table(*v, "integrity", "verify")) read_integrity(r, *t, s);
  if (const auto* t = r.table(*v, "security", "verify")) read_security(r, *t, s);
  if (const auto* t = r.table(*v, "websocket", "verify")) read_websocket(r, *t, s);
  if (const auto* t = r.table(*v, "soak", "verify")) read_soak(r, *t, config, s);
  if (!r.errors.empty()) return tl::unexpected(std::move(r.errors));
  return s;
}

}  // namespace

tl::expected<std::vector<Flow>, std::vector<Error>> parse_flow_file(std::string_view text, const std::string& path) {
  auto doc = parse_toml(text, path);
  if (!doc) return tl::unexpected(std::vector<Error>{doc.error()});
  ConfigReader r(path);
  r.check_keys(*doc, "(top level)", {"flow"});
  auto flows = read_flows(r, *doc, "flow", "");
  if (!r.errors.empty()) return tl::unexpected(std::move(r.errors));
  return flows;
}

net::ClientOptions VerifySettings::client_options() const {
  net::ClientOptions o;
  o.timeout = timeout;
  o.verify_peer = !insecure;
  o.ca_file = ca_file;
  o.headers = always_headers;
  return o;
}

std::filesystem::path recorded_flow_file(const std::filesystem::path& dir, const std::string& entry) {
  const fs::path rel = fs::path(entry).lexically_normal();
  if (!rel.is_absolute() && !rel.empty() && *rel.begin() != "..") return dir / rel;
  return dir / "outside" / (sha256_hex(entry) + ".toml");
}

std::optional<Outline> outline(const Config& config) {
  auto s = load_verify_settings(config);
  if (!s) return std::nullopt;
  return Outline{s->any_part_configured(), s->integrity_configured, s->flow_files};
}

tl::expected<VerifySettings, std::vector<Error>> load_verify_settings(const Config& config) {
  VerifySettings s;
  s.base_url = config.verify.base_url;
  if (config.verify_file.empty()) {
    // slipway.toml's [verify], from the document load_config parsed: the file is not read again.
    if (!config.document) return s;
    return read_verify(config.document->table, config.file.string(), config, std::move(s));
  }
  // A deploy's recorded copy (--verify-config) is another file: read and parsed here, once; its
  // flow files are read from beside it.
  const std::string source = config.verify_file.string();
  auto text = read_text_file(config.verify_file, kMaxConfigFileBytes);
  if (!text) return tl::unexpected(std::vector<Error>{text.error()});
  auto doc = parse_toml(*text, source);
  if (!doc) return tl::unexpected(std::vector<Error>{doc.error()});
  return read_verify(*doc, source, config, std::move(s));
}

}  // namespace slipway::verify
