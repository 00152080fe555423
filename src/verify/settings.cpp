#include "verify/settings.hpp"

#include "core/hash.hpp"

#include <algorithm>
#include <regex>

#include <fmt/format.h>
#include <toml++/toml.h>
#include <boost/json.hpp>

#include <sstream>

#include "core/fs.hpp"
#include "core/redact.hpp"
#include "core/suggest.hpp"
#include "core/toml_depth.hpp"
#include "verify/security.hpp"

namespace slipway::verify {
namespace fs = std::filesystem;

namespace {

// Reads one TOML document's verify keys, collecting every error with its position.
class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  std::vector<Error> errors;

  std::string where(const toml::node& n) const {
    return format_location(path_, {static_cast<int>(n.source().begin.line), static_cast<int>(n.source().begin.column)});
  }
  void error(const toml::node& n, std::string message, std::string hint = {}) {
    errors.push_back(Error::input(std::move(message), where(n), std::move(hint)));
  }

  void keys(const toml::table& t, std::string_view section, std::initializer_list<std::string_view> known) {
    const std::vector<std::string_view> names(known);
    for (const auto& [key, node] : t) {
      if (std::find(names.begin(), names.end(), key.str()) != names.end()) continue;
      std::string list;
      for (auto n : names) list += fmt::format("{}{}", list.empty() ? "" : ", ", n);
      errors.push_back(Error::input(
          fmt::format("unknown key '{}.{}'{}", section, key.str(), did_you_mean(key.str(), names)),
          format_location(path_,
                          {static_cast<int>(key.source().begin.line), static_cast<int>(key.source().begin.column)}),
          fmt::format("known keys in [{}]: {}", section, list)));
    }
  }

  const toml::table* table(const toml::table& t, std::string_view key, std::string_view section) {
    const toml::node* n = t.get(key);
    if (!n) return nullptr;
    if (!n->is_table()) {
      error(*n, fmt::format("{}.{} must be a table", section, key));
      return nullptr;
    }
    return n->as_table();
  }

  // An array of tables ([[x]]), or nothing.
  std::vector<const toml::table*> tables(const toml::table& t, std::string_view key, std::string_view section) {
    std::vector<const toml::table*> out;
    const toml::node* n = t.get(key);
    if (!n) return out;
    const auto* arr = n->as_array();
    if (!arr || !arr->is_array_of_tables()) {
      error(*n, fmt::format("{}.{} must be an array of tables", section, key),
            fmt::format("write [[{}.{}]] blocks", section, key));
      return out;
    }
    for (const auto& item : *arr) out.push_back(item.as_table());
    return out;
  }

  void string(const toml::table& t, std::string_view key, std::string& out) {
    const toml::node* n = t.get(key);
    if (!n) return;
    if (const auto* s = n->as_string())
      out = s->get();
    else
      error(*n, fmt::format("{} must be a string", key), fmt::format("quote it: {} = \"...\"", key));
  }

  void boolean(const toml::table& t, std::string_view key, bool& out) {
    const toml::node* n = t.get(key);
    if (!n) return;
    if (const auto* b = n->as_boolean())
      out = b->get();
    else
      error(*n, fmt::format("{} must be true or false", key));
  }

  void integer(const toml::table& t, std::string_view key, int& out, int min, int max) {
    const toml::node* n = t.get(key);
    if (!n) return;
    const auto* i = n->as_integer();
    if (!i || i->get() < min || i->get() > max) {
      error(*n, fmt::format("{} must be an integer from {} to {}", key, min, max));
      return;
    }
    out = static_cast<int>(i->get());
  }

  void number(const toml::table& t, std::string_view key, double& out) {
    const toml::node* n = t.get(key);
    if (!n) return;
    if (const auto* i = n->as_integer(); i && i->get() >= 0)
      out = static_cast<double>(i->get());
    else if (const auto* f = n->as_floating_point(); f && f->get() >= 0)
      out = f->get();
    else
      error(*n, fmt::format("{} must be a number, 0 or more", key));
  }

  void duration(const toml::table& t, std::string_view key, std::chrono::milliseconds& out) {
    const toml::node* n = t.get(key);
    if (!n) return;
    const auto* s = n->as_string();
    if (!s) {
      error(*n, fmt::format("{} must be a duration such as \"10s\"", key));
      return;
    }
    auto d = parse_duration(s->get());
    if (!d)
      error(*n, fmt::format("{}: {}", key, d.error().message), d.error().hint);
    else
      out = *d;
  }

  void strings(const toml::table& t, std::string_view key, std::vector<std::string>& out) {
    const toml::node* n = t.get(key);
    if (!n) return;
    const auto* arr = n->as_array();
    if (!arr) {
      // One string is a list of one.
      if (const auto* s = n->as_string()) {
        out = {s->get()};
        return;
      }
      error(*n, fmt::format("{} must be an array of strings", key), fmt::format("write {} = [\"a\", \"b\"]", key));
      return;
    }
    out.clear();
    for (const auto& item : *arr) {
      if (const auto* s = item.as_string())
        out.push_back(s->get());
      else
        error(item, fmt::format("{} must hold strings only", key));
    }
  }

  void string_table(const toml::table& t, std::string_view key, std::vector<std::pair<std::string, std::string>>& out) {
    const toml::node* n = t.get(key);
    if (!n) return;
    const auto* tab = n->as_table();
    if (!tab) {
      error(*n, fmt::format("{} must be a table of strings", key),
            fmt::format("write {} = {{ Name = \"value\" }}", key));
      return;
    }
    for (const auto& [k, v] : *tab) {
      if (const auto* s = v.as_string())
        out.emplace_back(std::string(k.str()), s->get());
      else if (v.is_integer() || v.is_floating_point() || v.is_boolean())
        out.emplace_back(std::string(k.str()), boost::json::serialize(to_json(v)));
      else
        error(v, fmt::format("{}.{} must be a string", key, k.str()));
    }
  }

  void thresholds(const toml::table& t, std::string_view key, std::vector<Threshold>& out) {
    const toml::node* n = t.get(key);
    if (!n) return;
    std::vector<std::string> texts;
    strings(t, key, texts);
    for (const auto& text : texts) {
      auto th = parse_threshold(text);
      if (th) {
        out.push_back(*th);
        continue;
      }
      Position p{static_cast<int>(n->source().begin.line), static_cast<int>(n->source().begin.column)};
      errors.push_back(Error::input(fmt::format("{} in '{}' (column {})", th.error().message, text, th.error().column),
                                    format_location(path_, p), th.error().hint));
    }
  }

  static boost::json::value to_json(const toml::node& n) {
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

  Step step(const toml::table& t, const std::string& flow, std::size_t index) {
    keys(t, "step",
         {"name", "method", "url", "headers", "json", "form", "body", "status", "capture", "assert", "secret", "retry",
          "retry_interval"});
    Step s;
    s.where = where(t);
    string(t, "name", s.name);
    string(t, "method", s.method);
    std::transform(s.method.begin(), s.method.end(), s.method.begin(), [](unsigned char c) { return std::toupper(c); });
    string(t, "url", s.url);
    if (s.url.empty()) error(t, fmt::format("step {} of flow '{}' has no url", index + 1, flow), "add url = \"/path\"");
    if (s.name.empty()) s.name = fmt::format("{} {}", s.method, s.url);
    string_table(t, "headers", s.headers);
    if (const toml::node* j = t.get("json")) s.json = to_json(*j);
    string_table(t, "form", s.form);
    string(t, "body", s.body);
    integer(t, "retry", s.retry, 0, 1000);
    duration(t, "retry_interval", s.retry_interval);
    if (s.retry_interval > std::chrono::minutes(1))
      error(*t.get("retry_interval"), "retry_interval must be 1m or less");
    if (const toml::node* st = t.get("status")) {
      if (const auto* i = st->as_integer())
        s.status = {static_cast<int>(i->get())};
      else if (const auto* a = st->as_array()) {
        for (const auto& item : *a) {
          if (const auto* v = item.as_integer())
            s.status.push_back(static_cast<int>(v->get()));
          else
            error(item, "status must hold integers");
        }
      } else {
        error(*st, "status must be an integer or an array of integers");
      }
    }
    std::vector<std::string> secret;
    strings(t, "secret", secret);
    if (const toml::node* c = t.get("capture")) {
      if (const auto* tab = c->as_table()) {
        for (const auto& [name, node] : *tab) {
          const auto* text = node.as_string();
          if (!text) {
            error(node, fmt::format("capture.{} must be a string such as \"json $.token\"", name.str()));
            continue;
          }
          auto q = parse_query(text->get());
          if (!q) {
            error(node, fmt::format("capture.{}: {} (column {})", name.str(), q.error().message, q.error().column));
            continue;
          }
          Capture cap{std::string(name.str()), std::move(*q), false};
          cap.secret = is_secret_name(cap.name) || cap.query.kind == Query::Kind::cookie ||
                       std::find(secret.begin(), secret.end(), cap.name) != secret.end();
          s.captures.push_back(std::move(cap));
        }
      } else {
        error(*c, "capture must be a table: capture = { token = \"json $.accessToken\" }");
      }
    }
    std::vector<std::string> asserts;
    strings(t, "assert", asserts);
    for (const auto& text : asserts) {
      auto a = parse_assertion(text);
      if (!a) {
        error(*t.get("assert"), fmt::format("assert '{}': {} (column {})", text, a.error().message, a.error().column));
        continue;
      }
      if (a->predicate.op == Predicate::Op::matches) {
        try {
          std::regex re(a->predicate.text);
        } catch (const std::regex_error& e) {
          error(*t.get("assert"), fmt::format("assert '{}': bad regular expression: {}", text, e.what()));
          continue;
        }
      }
      s.asserts.push_back(std::move(*a));
    }
    return s;
  }

  std::vector<Flow> flows(const toml::table& parent, std::string_view key, std::string_view section) {
    std::vector<Flow> out;
    for (const toml::table* ft : tables(parent, key, section)) {
      keys(*ft, fmt::format("{}{}{}", section, section.empty() ? "" : ".", key),
           {"name", "role", "uses", "headers", "step"});
      Flow f;
      f.where = where(*ft);
      string(*ft, "name", f.name);
      if (f.name.empty()) {
        error(*ft, "a flow needs a name", "add name = \"admin login\"");
        f.name = f.where;
      }
      string(*ft, "role", f.role);
      string(*ft, "uses", f.uses);
      string_table(*ft, "headers", f.headers);
      const auto steps = tables(*ft, "step", "flow");
      if (steps.empty()) error(*ft, fmt::format("flow '{}' has no steps", f.name), "add [[flow.step]] blocks");
      for (std::size_t i = 0; i < steps.size(); ++i) f.steps.push_back(step(*steps[i], f.name, i));
      out.push_back(std::move(f));
    }
    return out;
  }

 private:
  std::string path_;
};

std::string resolve(const Config& config, const std::string& p) {
  if (p.empty()) return p;
  fs::path path(p);
  return path.is_absolute() ? p : (config.root / path).lexically_normal().string();
}

}  // namespace

tl::expected<std::vector<Flow>, std::vector<Error>> parse_flow_file(std::string_view text, const std::string& path) {
  if (auto depth = check_toml_depth(text, path); !depth) return tl::unexpected(std::vector<Error>{depth.error()});
  toml::table doc;
  try {
    doc = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return tl::unexpected(std::vector<Error>{Error::input(
        std::string(e.description()), format_location(path, {static_cast<int>(b.line), static_cast<int>(b.column)}))});
  }
  Reader r(path);
  r.keys(doc, "(top level)", {"flow"});
  auto flows = r.flows(doc, "flow", "");
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

tl::expected<VerifySettings, std::vector<Error>> load_verify_settings(const Config& config) {
  VerifySettings s;
  s.base_url = config.verify.base_url;
  // [verify] comes from config.verify_file when set (a deploy's recorded copy), its flow files
  // from beside it; everything else from config.file.
  const std::filesystem::path& source = config.verify_file.empty() ? config.file : config.verify_file;
  if (source.empty()) return s;
  auto text = read_text_file(source, kMaxConfigFileBytes);
  if (!text) return tl::unexpected(std::vector<Error>{text.error()});
  if (!check_toml_depth(*text, source.string())) return s;  // load_config reported it already
  toml::table doc;
  try {
    doc = toml::parse(*text, source.string());
  } catch (const toml::parse_error& e) {
    if (config.verify_file.empty()) return s;  // load_config reported it already
    const auto& b = e.source().begin;
    return tl::unexpected(std::vector<Error>{
        Error::input(std::string(e.description()),
                     format_location(source.string(), {static_cast<int>(b.line), static_cast<int>(b.column)}))});
  }
  const auto* v = doc["verify"].as_table();
  if (!v) return s;
  Reader r(source.string());
  r.keys(*v, "verify",
         {"base_url", "flows", "flow", "timeout", "ca_file", "insecure", "perf", "integrity", "security", "websocket",
          "soak"});
  r.duration(*v, "timeout", s.timeout);
  r.string(*v, "ca_file", s.ca_file);
  s.ca_file = resolve(config, s.ca_file);
  r.boolean(*v, "insecure", s.insecure);
  s.flows = r.flows(*v, "flow", "verify");
  std::vector<std::string> files;
  r.strings(*v, "flows", files);
  s.flow_files = files;
  for (const auto& f : files) {
    const std::string path = config.verify_file.empty()
                                 ? resolve(config, f)
                                 : recorded_flow_file(config.verify_file.parent_path(), f).string();
    auto content = read_text_file(path, kMaxConfigFileBytes);
    if (!content) {
      r.errors.push_back(Error::input(fmt::format("cannot read the flow file {}: {}", path, content.error().message),
                                      r.where(*v->get("flows")),
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
  // Flow names are how --flow and `uses` refer to them.
  for (std::size_t i = 0; i < s.flows.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (s.flows[i].name == s.flows[j].name) {
        r.errors.push_back(Error::input(fmt::format("two flows are named '{}'", s.flows[i].name), s.flows[i].where,
                                        fmt::format("the other is at {}", s.flows[j].where)));
      }
    }
  }
  const auto flow_exists = [&](const std::string& name) {
    return std::any_of(s.flows.begin(), s.flows.end(), [&](const Flow& f) { return f.name == name; });
  };
  for (const Flow& f : s.flows) {
    if (!f.uses.empty() && !flow_exists(f.uses)) {
      r.errors.push_back(
          Error::input(fmt::format("flow '{}' uses '{}', which is not defined", f.name, f.uses), f.where));
    }
  }

  if (const auto* p = r.table(*v, "perf", "verify")) {
    s.perf_configured = true;
    r.keys(*p, "verify.perf",
           {"connections", "threads", "duration", "rate", "think_time", "thresholds", "login_flow", "endpoint"});
    r.integer(*p, "connections", s.perf.connections, 1, 100000);
    r.integer(*p, "threads", s.perf.threads, 0, 1024);
    r.duration(*p, "duration", s.perf.duration);
    r.number(*p, "rate", s.perf.rate);
    r.duration(*p, "think_time", s.perf.think_time);
    r.thresholds(*p, "thresholds", s.perf.thresholds);
    r.string(*p, "login_flow", s.perf.login_flow);
    if (!s.perf.login_flow.empty() && !flow_exists(s.perf.login_flow)) {
      r.error(*p->get("login_flow"), fmt::format("login_flow '{}' is not a defined flow", s.perf.login_flow));
    }
    for (const toml::table* e : r.tables(*p, "endpoint", "verify.perf")) {
      r.keys(*e, "verify.perf.endpoint",
             {"name", "method", "path", "headers", "body", "thresholds", "connections", "duration", "rate"});
      PerfEndpoint ep;
      r.string(*e, "name", ep.name);
      r.string(*e, "method", ep.method);
      r.string(*e, "path", ep.path);
      if (ep.path.empty()) r.error(*e, "a perf endpoint needs a path", "add path = \"/health\"");
      if (ep.name.empty()) ep.name = ep.path;
      r.string_table(*e, "headers", ep.headers);
      r.string(*e, "body", ep.body);
      r.thresholds(*e, "thresholds", ep.thresholds);
      r.integer(*e, "connections", ep.connections, 1, 100000);
      r.duration(*e, "duration", ep.duration);
      r.number(*e, "rate", ep.rate);
      s.perf.endpoints.push_back(std::move(ep));
    }
  }
  if (const auto* t = r.table(*v, "integrity", "verify")) {
    s.integrity_configured = true;
    r.keys(*t, "verify.integrity", {"tables", "may_grow", "may_shrink", "may_change", "checksums"});
    r.strings(*t, "tables", s.integrity.tables);
    r.strings(*t, "may_grow", s.integrity.may_grow);
    r.strings(*t, "may_shrink", s.integrity.may_shrink);
    r.strings(*t, "may_change", s.integrity.may_change);
    if (const auto* c = r.table(*t, "checksums", "verify.integrity")) {
      for (const auto& [table, cols] : *c) {
        std::vector<std::string> columns;
        r.strings(*c, table.str(), columns);
        s.integrity.checksums[std::string(table.str())] = columns;
      }
    }
  }
  if (const auto* t = r.table(*v, "security", "verify")) {
    s.security.configured = true;
    r.keys(*t, "verify.security",
           {"url", "http_url", "cors_origins", "compression_paths", "compression_exempt", "debug_paths", "expect_tls",
            "skip"});
    r.string(*t, "url", s.security.url);
    r.string(*t, "http_url", s.security.http_url);
    r.strings(*t, "cors_origins", s.security.cors_origins);
    r.strings(*t, "compression_paths", s.security.compression_paths);
    r.strings(*t, "compression_exempt", s.security.compression_exempt);
    r.strings(*t, "debug_paths", s.security.debug_paths);
    r.boolean(*t, "expect_tls", s.security.expect_tls);
    r.strings(*t, "skip", s.security.skip);
    if (const toml::node* skip = t->get("skip")) {
      // Each unknown id at its own position (skip = "id" alone is a list of one).
      const auto& ids = security_check_ids();
      const auto check = [&](const toml::node& item) {
        const auto* id = item.as_string();
        if (!id || std::find(ids.begin(), ids.end(), id->get()) != ids.end()) return;
        r.error(item,
                fmt::format("verify.security.skip: unknown check '{}'{}", id->get(), did_you_mean(id->get(), ids)),
                "the security check ids are listed in docs/commands/verify.md (tls-protocol, header-hsts, ...)");
      };
      if (const auto* arr = skip->as_array()) {
        for (const auto& item : *arr) check(item);
      } else {
        check(*skip);
      }
    }
  }
  if (const auto* t = r.table(*v, "websocket", "verify")) {
    s.websocket.configured = true;
    r.keys(*t, "verify.websocket", {"url", "login_flow", "message", "round_trips", "thresholds"});
    r.string(*t, "url", s.websocket.url);
    r.string(*t, "login_flow", s.websocket.login_flow);
    r.string(*t, "message", s.websocket.message);
    r.integer(*t, "round_trips", s.websocket.round_trips, 1, 100000);
    r.thresholds(*t, "thresholds", s.websocket.thresholds);
    if (s.websocket.url.empty()) r.error(*t, "[verify.websocket] needs a url", "url = \"/ws/events?token={{token}}\"");
    if (!s.websocket.login_flow.empty() && !flow_exists(s.websocket.login_flow)) {
      r.error(*t->get("login_flow"), fmt::format("login_flow '{}' is not a defined flow", s.websocket.login_flow));
    }
  }
  if (const auto* t = r.table(*v, "soak", "verify")) {
    auto& soak = s.soak;
    soak.configured = true;
    auto& o = soak.options;
    r.keys(*t, "verify.soak",
           {"duration", "interval", "warmup", "pid", "pid_file", "metrics_url", "metric", "database_url",
            "max_rss_growth", "max_connection_growth", "load", "rate", "connections"});
    r.duration(*t, "duration", o.duration);
    r.duration(*t, "interval", o.interval);
    r.duration(*t, "warmup", o.warmup);
    r.integer(*t, "pid", o.pid, 1, 1 << 30);
    r.string(*t, "pid_file", o.pid_file);
    o.pid_file = resolve(config, o.pid_file);
    r.string(*t, "metrics_url", o.metrics_url);
    r.string(*t, "metric", o.metric);
    r.string(*t, "database_url", o.database_url);
    if (const toml::node* n = t->get("max_rss_growth")) {
      const auto* bound_text = n->as_string();
      auto bound =
          bound_text ? parse_growth_bound(bound_text->get()) : fail(Error::input("max_rss_growth must be a string"));
      if (bound)
        o.max_rss_growth = *bound;
      else
        r.error(*n, bound.error().message, "write a percentage (\"20%\") or a size (\"50MB\")");
    }
    r.integer(*t, "max_connection_growth", o.max_connection_growth, 0, 100000);
    r.boolean(*t, "load", soak.load);
    r.number(*t, "rate", soak.rate);
    r.integer(*t, "connections", soak.connections, 1, 10000);
    if (o.interval.count() <= 0 || o.interval > o.duration) {
      r.error(*t, "[verify.soak] interval must be above 0 and at most the duration",
              "e.g. duration = \"1h\", interval = \"10s\"");
    }
    if ((o.pid > 0) + !o.pid_file.empty() + !o.metrics_url.empty() > 1) {
      r.error(*t, "[verify.soak] names more than one memory source", "keep one of pid, pid_file and metrics_url");
    }
    if (soak.load && s.perf.endpoints.empty()) {
      r.error(*t->get("load"), "[verify.soak] load = true needs [[verify.perf.endpoint]] blocks to load");
    }
  }
  if (!r.errors.empty()) return tl::unexpected(std::move(r.errors));
  return s;
}

}  // namespace slipway::verify
