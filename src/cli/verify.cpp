// slipway verify: the checklist's post-deployment verification, one part at a time or all.
//
//   slipway verify                 every part slipway.toml configures
//   slipway verify perf --url http://127.0.0.1:8080/health -c 64 -d 10s [--rate 2000]
//   slipway verify smoke | integrity [--snapshot] | security | websocket
//   slipway verify soak --pid 1234 --duration 1h     (not part of `slipway verify`: it runs long)
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <tuple>

#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/parse_args.hpp"
#include "core/env.hpp"
#include "core/redact.hpp"
#include "core/suggest.hpp"
#include "pg/connection.hpp"
#include "state/store.hpp"
#include "verify/integrity.hpp"
#include "verify/perf.hpp"
#include "verify/report.hpp"
#include "verify/security.hpp"
#include "verify/settings.hpp"
#include "verify/smoke.hpp"
#include "verify/soak.hpp"
#include "verify/websocket.hpp"

namespace slipway::cli {
namespace {

constexpr std::string_view kFormats = "text, json, junit, markdown";

Result<Format> verify_format(const CommonOptions& common) {
  return parse_format(common.format, {Format::text, Format::json, Format::junit, Format::markdown});
}

int finish(const verify::Report& report, const CommonOptions& common, Format format) {
  std::fputs(report.render(format, style_for(common)).c_str(), stdout);
  return report.failed() ? 1 : 0;
}

Result<std::chrono::milliseconds> duration_flag(const std::string& text, std::string_view flag) {
  auto d = parse_duration(text);
  if (!d) return fail(Error::input(d.error().message, std::string(flag), d.error().hint));
  return *d;
}

// Parses "Name: value".
Result<std::pair<std::string, std::string>> header_flag(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0) {
    return fail(Error::input(fmt::format("bad header '{}'", text), "--header", "write it as 'Name: value'"));
  }
  std::string value = text.substr(colon + 1);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  return std::pair{text.substr(0, colon), value};
}

// What every part needs: the config's [verify] settings, the environment, flags that override.
struct Context {
  CommonOptions common;
  std::string base_url;  // --base-url
  std::string ca_file;
  bool insecure = false;
  Format format = Format::text;
  Config config;
  verify::VerifySettings settings;
  Environment env;
  std::string verify_config;  // --verify-config: [verify] from this file (a deploy's recorded copy)
  std::int64_t against = 0;   // --against: the integrity snapshot to compare with; 0 = the latest
};

void add_target_options(CLI::App& app, Context& ctx) {
  add_common_options(app, ctx.common, kFormats);
  app.add_option("--base-url", ctx.base_url, "the service to verify (default: verify.base_url)");
  app.add_option("--ca-file", ctx.ca_file, "trust the CAs in this PEM file (a private CA)");
  app.add_flag("-k,--insecure", ctx.insecure, "do not verify the server's certificate");
  app.add_option("--verify-config", ctx.verify_config,
                 "read [verify] and its flow files from this file instead (a deploy's recorded copy)");
  app.add_option("--against", ctx.against, "integrity: compare with this snapshot id (default: the latest)");
}

// Loads config and settings; returns an exit code on failure.
std::optional<int> load_context(Context& ctx, bool needs_base_url = true) {
  auto format = verify_format(ctx.common);
  if (!format) return report_error(format.error());
  ctx.format = *format;
  auto config = load_config_or_report(ctx.common);
  if (!config) return 2;
  ctx.config = std::move(*config);
  if (!ctx.verify_config.empty()) ctx.config.verify_file = ctx.verify_config;
  auto settings = verify::load_verify_settings(ctx.config);
  if (!settings) {
    for (const Error& e : settings.error()) report_error(e);
    std::fputs(fmt::format("slipway: {} problem{} in [verify]; nothing was done\n", settings.error().size(),
                           settings.error().size() == 1 ? "" : "s")
                   .c_str(),
               stderr);
    return 2;
  }
  ctx.settings = std::move(*settings);
  if (!ctx.base_url.empty()) ctx.settings.base_url = ctx.base_url;
  if (!ctx.ca_file.empty()) ctx.settings.ca_file = ctx.ca_file;
  if (ctx.insecure) ctx.settings.insecure = true;
  // A deploy's own verification passes the gate with its one-time token, whatever the mode.
  if (const char* token = std::getenv("SLIPWAY_GATE_BYPASS"); token && *token) {
    register_secret(token);
    ctx.settings.always_headers.emplace_back("X-Slipway-Bypass", token);
  }
  if (auto r = ctx.config.require("verify.base_url"); !r && ctx.base_url.empty() && needs_base_url) {
    return report_error(r.error());
  }
  if (!ctx.config.project.env_file.empty()) {
    auto values = load_env_file(ctx.config.project.env_file);
    if (values) ctx.env = Environment(std::move(*values));
  }
  if (ctx.common.env_file) {
    auto values = load_env_file(*ctx.common.env_file);
    if (!values) return report_error(values.error());
    ctx.env = Environment(std::move(*values));
  }
  return std::nullopt;
}

net::ClientOptions client_options(const Context& ctx) {
  return ctx.settings.client_options();
}

// ---- smoke -------------------------------------------------------------------------------

struct SmokeFilter {
  std::vector<std::string> flows;
  std::vector<std::string> roles;
};

Result<void> smoke_part(const Context& ctx, verify::Report& report, const SmokeFilter& filter) {
  for (const auto& name : filter.flows) {
    const bool known = std::any_of(ctx.settings.flows.begin(), ctx.settings.flows.end(),
                                   [&](const verify::Flow& f) { return f.name == name; });
    if (!known) {
      std::vector<std::string_view> names;
      for (const auto& f : ctx.settings.flows) names.push_back(f.name);
      return fail(Error::input(fmt::format("no flow named '{}'{}", name, did_you_mean(name, names)), "--flow"));
    }
  }
  net::HttpClient client(client_options(ctx));
  verify::SmokeRunner runner(ctx.settings, client, ctx.env);
  std::size_t ran = 0;
  for (const verify::Flow& flow : ctx.settings.flows) {
    if (!filter.flows.empty() && std::find(filter.flows.begin(), filter.flows.end(), flow.name) == filter.flows.end()) {
      continue;
    }
    if (!filter.roles.empty() && std::find(filter.roles.begin(), filter.roles.end(), flow.role) == filter.roles.end()) {
      continue;
    }
    runner.run(flow, &report);
    ++ran;
  }
  if (ran == 0) {
    return fail(Error::input("no flow to run", ctx.config.where("verify"),
                             "define [[verify.flow]] in slipway.toml or name flow files in verify.flows"));
  }
  return {};
}

int run_smoke_command(const Args& args) {
  CLI::App app{
      "Run the smoke flows of slipway.toml against the live service: each step's status, captures and "
      "assertions. Credentials come from the environment ({{env.NAME}} or ${NAME}); captured tokens and "
      "cookies are redacted in every report.",
      args[0]};
  app.footer(
      "Examples:\n"
      "  DEMO_PASSWORD=... slipway verify smoke\n"
      "  slipway verify smoke --role admin --format junit > smoke.xml\n"
      "  slipway verify smoke --flow 'report works' --base-url http://127.0.0.1:3000\n\n"
      "Exit codes: 0 every flow passed, 1 a step failed, 2 bad config, 3 environment.");
  Context ctx;
  SmokeFilter filter;
  add_target_options(app, ctx);
  app.add_option("--flow", filter.flows, "run only this flow (repeatable)")->allow_extra_args(false);
  app.add_option("--role", filter.roles, "run only the flows of this role (repeatable)")->allow_extra_args(false);
  if (auto code = parse(app, args)) return *code;
  if (auto code = load_context(ctx)) return *code;
  verify::Report report;
  if (auto r = smoke_part(ctx, report, filter); !r) return report_error(r.error());
  return finish(report, ctx.common, ctx.format);
}

// ---- integrity ---------------------------------------------------------------------------

// The database to count: --database, else database.direct_url, else database.url (the CLI's one
// rule, cli::database_url), or why there is none.
Result<std::string> database_url(const Context& ctx, const std::string& flag) {
  std::optional<Error> unresolved;
  std::string url =
      cli::database_url(ctx.config, flag.empty() ? std::nullopt : std::optional<std::string>(flag), &unresolved);
  if (!url.empty()) return url;
  if (unresolved) return fail(*unresolved);
  return fail(Error::input("no database to check", ctx.config.where("database"),
                           "set [database] url in slipway.toml or pass --database"));
}

Result<void> integrity_part(const Context& ctx, verify::Report& report, bool snapshot, const std::string& database) {
  const auto& settings = ctx.settings.integrity;
  if (settings.tables.empty()) {
    return fail(Error::input("no tables to check", ctx.config.where("verify"),
                             "list them: [verify.integrity] tables = [\"users\", \"loans\"]"));
  }
  auto url = database_url(ctx, database);
  if (!url) return fail(url.error());
  register_secret(*url);
  auto db = pg::Connection::open(*url);
  if (!db) return fail(db.error());
  auto now = verify::measure_tables(*db, settings);
  if (!now) return fail(now.error());
  auto state_db = state::open(ctx.config);
  if (!state_db) return fail(state_db.error());
  verify::SnapshotStore snapshots(**state_db);
  const std::string key = redact(*url);
  if (snapshot) {
    auto saved = snapshots.save(key, *now);
    if (!saved) return fail(saved.error());
    for (const auto& m : *now) {
      if (!m.exists) {
        report
            .add("integrity-snapshot", "integrity", verify::Status::warn,
                 "does not exist (yet): nothing recorded, the comparison will say it is new")
            .about(m.table);
        continue;
      }
      report
          .add("integrity-snapshot", "integrity", verify::Status::pass,
               m.checksum.empty() ? fmt::format("{} rows recorded", m.rows)
                                  : fmt::format("{} rows and a checksum recorded", m.rows))
          .about(m.table);
    }
    verify::set_snapshot_id(report, saved->id);
    report.add_note("integrity", fmt::format("  snapshot {} taken at {} in {}", saved->id, saved->taken_at,
                                             (*state_db)->describe()));
    return {};
  }
  auto before = ctx.against > 0 ? snapshots.find(key, ctx.against) : snapshots.latest(key);
  if (!before) return fail(before.error());
  if (!*before && ctx.against > 0) {
    report
        .add("integrity-rows", "integrity", verify::Status::fail,
             fmt::format("no snapshot {} of this database to compare with (--against)", ctx.against))
        .about(key);
    return {};
  }
  if (!*before) {
    report
        .add("integrity-rows", "integrity", verify::Status::fail,
             "no snapshot to compare with: run `slipway verify integrity --snapshot` before the deploy")
        .about(key);
    return {};
  }
  report.add_note("integrity",
                  fmt::format("  compared with snapshot {} taken at {}", (*before)->id, (*before)->taken_at));
  verify::compare_snapshot(**before, *now, settings, report);
  return {};
}

int run_integrity_command(const Args& args) {
  CLI::App app{
      "Data integrity across a deploy: --snapshot records the row counts (and checksums of chosen columns) "
      "of the tables in [verify.integrity] in Slipway's state store; without it, compares them with the "
      "latest snapshot. A count that moved fails unless the table is declared in may_grow, may_shrink or "
      "may_change.",
      args[0]};
  app.footer(
      "Examples:\n"
      "  slipway verify integrity --snapshot     # before the deploy\n"
      "  slipway verify integrity                # after it\n\n"
      "Exit codes: 0 as expected, 1 a table differs (or no snapshot), 2 bad config, 3 database unreachable.");
  Context ctx;
  bool snapshot = false;
  std::string database;
  add_target_options(app, ctx);
  app.add_flag("--snapshot", snapshot, "record the counts instead of comparing");
  app.add_option("--database", database, "the PostgreSQL URL (default: database.direct_url or database.url)");
  if (auto code = parse(app, args)) return *code;
  if (auto code = load_context(ctx)) return *code;
  verify::Report report;
  if (auto r = integrity_part(ctx, report, snapshot, database); !r) return report_error(r.error());
  return finish(report, ctx.common, ctx.format);
}

// ---- perf --------------------------------------------------------------------------------

// The load of each [[verify.perf.endpoint]], after the login flow. Empty when the login flow
// failed (reported as `check_id` in `part`).
Result<std::vector<verify::PerfTarget>> perf_targets(const Context& ctx, verify::Report& report,
                                                     std::string_view check_id, std::string_view part) {
  const auto& perf = ctx.settings.perf;
  if (perf.endpoints.empty()) {
    return fail(Error::input("no perf endpoint configured", ctx.config.where("verify"),
                             "add [[verify.perf.endpoint]] blocks, or run `slipway verify perf --url URL`"));
  }
  verify::Variables vars;
  net::HttpClient client(client_options(ctx));
  verify::SmokeRunner runner(ctx.settings, client, ctx.env);
  if (!perf.login_flow.empty()) {
    auto v = runner.run_named(perf.login_flow, nullptr);
    if (!v) {
      report.add(std::string(check_id), std::string(part), verify::Status::fail,
                 fmt::format("login flow '{}' failed; run `slipway verify smoke --flow '{}'` to see why",
                             perf.login_flow, perf.login_flow));
      return std::vector<verify::PerfTarget>{};
    }
    vars = *v;
  }
  std::vector<verify::PerfTarget> targets;
  for (const auto& ep : perf.endpoints) {
    verify::PerfTarget t;
    t.name = ep.name;
    auto path = verify::expand_template(ep.path, vars, ctx.env, runner.run_id());
    if (!path) return fail(path.error());
    t.load.url = net::join_url(ctx.settings.base_url, *path);
    t.load.method = ep.method;
    t.load.headers = ctx.settings.always_headers;
    for (const auto& [k, v] : ep.headers) {
      auto value = verify::expand_template(v, vars, ctx.env, runner.run_id());
      if (!value) return fail(value.error());
      t.load.headers.emplace_back(k, *value);
    }
    auto body = verify::expand_template(ep.body, vars, ctx.env, runner.run_id());
    if (!body) return fail(body.error());
    t.load.body = *body;
    t.load.connections = ep.connections > 0 ? ep.connections : perf.connections;
    t.load.threads = perf.threads;
    t.load.duration = ep.duration.count() > 0 ? ep.duration : perf.duration;
    t.load.rate = ep.rate >= 0 ? ep.rate : perf.rate;
    t.load.think_time = perf.think_time;
    t.load.timeout = ctx.settings.timeout;
    t.load.verify_peer = !ctx.settings.insecure;
    t.load.ca_file = ctx.settings.ca_file;
    t.thresholds = perf.thresholds;
    t.thresholds.insert(t.thresholds.end(), ep.thresholds.begin(), ep.thresholds.end());
    targets.push_back(std::move(t));
  }
  return targets;
}

Result<void> perf_part(const Context& ctx, verify::Report& report) {
  auto targets = perf_targets(ctx, report, "perf-run", "perf");
  if (!targets) return fail(targets.error());
  if (targets->empty()) return {};
  return verify::run_perf(std::move(*targets), report, ctx.format == Format::text);
}

int run_perf_command(const Args& args) {
  CLI::App app{
      "Load-test endpoints and judge them by budgets. Ad hoc with --url (like wrk), or every "
      "[[verify.perf.endpoint]] of slipway.toml. Closed model by default (N connections, each sends "
      "when its previous response arrived); --rate switches to the open model (a constant arrival "
      "rate, latency measured from when each request was due, corrected for coordinated omission).",
      args[0]};
  app.footer(
      "Examples:\n"
      "  slipway verify perf --url http://127.0.0.1:8080/health --connections 64 --duration 10s\n"
      "  slipway verify perf --url http://127.0.0.1:3000/api/loans --rate 500 -H 'Authorization: Bearer $T' \\\n"
      "      --threshold 'p(95) < 500ms' --threshold 'rate(errors) < 0.05' --format json\n"
      "  slipway verify perf            # the endpoints and budgets of [verify.perf]\n\n"
      "Exit codes: 0 every budget met, 1 a budget missed or no response, 2 bad flags or config.");
  Context ctx;
  std::string url, method = "GET", body;
  std::optional<std::string> duration, think, timeout;
  std::vector<std::string> headers, thresholds;
  std::optional<int> connections, threads;
  std::optional<double> rate;
  app.add_option("--url", url, "the URL to load (else the endpoints of [verify.perf])");
  app.add_option("-c,--connections", connections, "concurrent connections (virtual users); default 100");
  app.add_option("-d,--duration", duration, "how long to run, e.g. 10s, 1min; default 10s");
  app.add_option("-R,--rate", rate, "requests per second over all connections: the open model");
  app.add_option("-t,--threads", threads, "threads (default: one per core)");
  app.add_option("--think-time", think, "closed model: pause between a response and the next request");
  app.add_option("-X,--method", method, "HTTP method; default GET");
  app.add_option("-H,--header", headers, "a request header 'Name: value' (repeatable)")->allow_extra_args(false);
  app.add_option("--body", body, "the request body");
  app.add_option("--timeout", timeout, "a request that takes longer is an error; default 10s");
  app.add_option("--threshold", thresholds, "a budget in k6 syntax, e.g. 'p(95) < 500ms' (repeatable)")
      ->allow_extra_args(false);
  add_target_options(app, ctx);
  if (auto code = parse(app, args)) return *code;
  if (auto code = load_context(ctx)) return *code;

  // Flags override [verify.perf].
  auto& perf = ctx.settings.perf;
  if (connections) perf.connections = *connections;
  if (threads) perf.threads = *threads;
  if (rate) perf.rate = *rate;
  for (const auto& [flag, text, out] :
       {std::tuple{"--duration", duration, &perf.duration}, std::tuple{"--think-time", think, &perf.think_time},
        std::tuple{"--timeout", timeout, &ctx.settings.timeout}}) {
    if (!text) continue;
    auto d = duration_flag(*text, flag);
    if (!d) return report_error(d.error());
    *out = *d;
  }
  std::vector<verify::Threshold> flag_thresholds;
  for (const auto& text : thresholds) {
    auto t = verify::parse_threshold(text);
    if (!t) {
      return report_error(Error::input(fmt::format("{} in '{}'", t.error().message, text),
                                       fmt::format("--threshold:{}", t.error().column), t.error().hint));
    }
    flag_thresholds.push_back(*t);
  }
  if (!url.empty()) {
    // Ad hoc: one endpoint from the flags, no login flow.
    verify::PerfEndpoint ep;
    ep.name = url;
    ep.path = url;
    ep.method = method;
    ep.body = body;
    for (const auto& h : headers) {
      auto parsed = header_flag(h);
      if (!parsed) return report_error(parsed.error());
      ep.headers.push_back(*parsed);
    }
    perf.endpoints = {ep};
    perf.login_flow.clear();
    perf.thresholds.clear();
  }
  perf.thresholds.insert(perf.thresholds.end(), flag_thresholds.begin(), flag_thresholds.end());

  verify::Report report;
  if (auto r = perf_part(ctx, report); !r) return report_error(r.error());
  // An ad hoc run's measurements also sit at the top level of the JSON report, as wrk users expect.
  if (auto* runs = report.extra().if_contains("perf"); !url.empty() && runs && runs->as_array().size() == 1) {
    for (const auto& key : {"requests", "rps", "errors", "latency_ms"}) {
      report.extra()[key] = runs->as_array()[0].as_object().at(key);
    }
  }
  return finish(report, ctx.common, ctx.format);
}

// ---- security ------------------------------------------------------------------------------

int run_security_command(const Args& args) {
  CLI::App app{
      "Scan the service: TLS versions (1.0/1.1 offered fails), certificate chain, host name and expiry, "
      "HTTP->HTTPS redirect, security headers scored and graded as the Mozilla HTTP Observatory does, "
      "CORS preflights, debug and leak routes, the server banner and compression. An untrusted "
      "certificate is a finding; the scan goes on.",
      args[0]};
  app.footer(
      "Examples:\n"
      "  slipway verify security --base-url https://app.example.com\n"
      "  slipway verify security --ca-file internal-ca.pem --format markdown\n\n"
      "Exit codes: 0 no failed check (warnings allowed), 1 a finding, 2 bad config.");
  Context ctx;
  std::string url, http_url;
  std::vector<std::string> origins;
  add_target_options(app, ctx);
  app.add_option("--url", url, "the URL to scan (default: verify.security.url, else verify.base_url)");
  app.add_option("--http-url", http_url, "the plain-HTTP address whose first hop must redirect to HTTPS");
  app.add_option("--cors-origin", origins, "an origin that must be allowed exactly (repeatable)")
      ->allow_extra_args(false);
  if (auto code = parse(app, args)) return *code;
  if (auto code = load_context(ctx)) return *code;
  if (!url.empty()) ctx.settings.security.url = url;
  if (!http_url.empty()) ctx.settings.security.http_url = http_url;
  if (!origins.empty()) ctx.settings.security.cors_origins = origins;
  verify::Report report;
  if (auto r = verify::run_security_scan(ctx.settings, report); !r) return report_error(r.error());
  if (const auto* sec = report.extra().if_contains("security")) {
    report.add_note("security", fmt::format("  grade {} ({} points)", sec->at("grade").as_string().c_str(),
                                            sec->at("score").as_int64()));
  }
  return finish(report, ctx.common, ctx.format);
}

// ---- websocket -----------------------------------------------------------------------------

Result<void> websocket_part(const Context& ctx, verify::Report& report) {
  const auto& ws = ctx.settings.websocket;
  if (ws.url.empty()) {
    return fail(Error::input("no WebSocket to check", ctx.config.where("verify"),
                             "set [verify.websocket] url, or pass --url ws://host/path"));
  }
  net::HttpClient client(client_options(ctx));
  verify::SmokeRunner runner(ctx.settings, client, ctx.env);
  verify::Variables vars;
  if (!ws.login_flow.empty()) {
    auto v = runner.run_named(ws.login_flow, nullptr);
    if (!v) {
      report
          .add("websocket-connect", "websocket", verify::Status::fail,
               fmt::format("login flow '{}' failed; run `slipway verify smoke --flow '{}'` to see why", ws.login_flow,
                           ws.login_flow))
          .about(ws.url);
      return {};
    }
    vars = *v;
  }
  return verify::run_websocket_check(ctx.settings, vars, ctx.env, runner.run_id(), report);
}

int run_websocket_command(const Args& args) {
  CLI::App app{
      "Connect to a WebSocket and measure round trips (ping frames, or --message echoed back) against a "
      "budget, by default the checklist's p(95) < 100ms. [verify.websocket] login_flow runs first, so "
      "the URL can carry its token: url = \"/ws/events?token={{token}}\".",
      args[0]};
  app.footer(
      "Examples:\n"
      "  slipway verify websocket\n"
      "  slipway verify websocket --url ws://127.0.0.1:3000/ws/echo --message hi --round-trips 50\n\n"
      "Exit codes: 0 within budget, 1 a failed connect or a missed budget, 2 bad config.");
  Context ctx;
  std::string url, message;
  std::optional<int> round_trips;
  std::vector<std::string> thresholds;
  add_target_options(app, ctx);
  app.add_option("--url", url, "ws:// or wss:// URL, or a path relative to the base URL");
  app.add_option("--message", message, "a text message the server echoes (default: ping frames)");
  app.add_option("--round-trips", round_trips, "how many round trips to time; default 10");
  app.add_option("--threshold", thresholds, "a budget, e.g. 'p(95) < 100ms' (repeatable)")->allow_extra_args(false);
  if (auto code = parse(app, args)) return *code;
  if (auto code = load_context(ctx)) return *code;
  auto& ws = ctx.settings.websocket;
  if (!url.empty()) {
    ws.url = url;
    ws.login_flow.clear();
  }
  if (!message.empty()) ws.message = message;
  if (round_trips) ws.round_trips = *round_trips;
  for (const auto& text : thresholds) {
    auto t = verify::parse_threshold(text);
    if (!t) return report_error(Error::input(fmt::format("{} in '{}'", t.error().message, text), "--threshold"));
    ws.thresholds.push_back(*t);
  }
  verify::Report report;
  if (auto r = websocket_part(ctx, report); !r) return report_error(r.error());
  return finish(report, ctx.common, ctx.format);
}

// ---- soak ----------------------------------------------------------------------------------

int run_soak_command(const Args& args) {
  CLI::App app{
      "Watch the service for a long while: its resident memory (by --pid, a PID file, or a Prometheus "
      "--metrics-url) and its PostgreSQL connections (pg_stat_activity of database.url), optionally under a "
      "modest load, and fail when either grows beyond a bound. Growth compares the median of the first "
      "quarter of the samples after the warm-up with the median of the last quarter, so one spike does "
      "not count; the least-squares trend per hour is reported too. Not part of `slipway verify`: "
      "run it on its own after a deploy.",
      args[0]};
  app.footer(
      "Examples:\n"
      "  slipway verify soak --pid $(pgrep -f 'node server.js') --duration 1h --max-rss-growth 20%\n"
      "  slipway verify soak --metrics-url http://127.0.0.1:9100/metrics --url /api/loans --rate 20\n"
      "  slipway verify soak                # [verify.soak] of slipway.toml\n\n"
      "Exit codes: 0 stable, 1 memory or connections grew beyond the bound (or the process exited), "
      "2 bad flags or config, 3 the process, metrics URL or database is not there.");
  Context ctx;
  std::optional<int> pid, connections, max_conn;
  std::optional<double> rate;
  std::optional<std::string> duration, interval, warmup, max_rss;
  std::string pid_file, metrics_url, metric, database, url;
  bool load = false, no_database = false;
  add_target_options(app, ctx);
  app.add_option("--pid", pid, "the process whose RSS to sample (from /proc)");
  app.add_option("--pid-file", pid_file, "a file holding that PID; re-read every sample, so a restart fails");
  app.add_option("--metrics-url", metrics_url, "a Prometheus endpoint to read RSS from");
  app.add_option("--metric", metric, "the metric in bytes; default process_resident_memory_bytes");
  app.add_option("-d,--duration", duration, "how long to watch, e.g. 1h; default 1h");
  app.add_option("-i,--interval", interval, "time between samples; default 10s");
  app.add_option("--warmup", warmup, "samples before this are not judged; default a tenth of the duration");
  app.add_option("--max-rss-growth", max_rss, "memory growth allowed: \"20%\" (default) or a size, \"50MB\"");
  app.add_option("--max-connection-growth", max_conn, "connections more allowed at the end; default 5");
  app.add_option("--database", database, "the PostgreSQL URL (default: database.direct_url or database.url)");
  app.add_flag("--no-database", no_database, "do not sample connections");
  app.add_option("--url", url, "load this URL during the soak (absolute, or relative to the base URL)");
  app.add_flag("--load", load, "load the [[verify.perf.endpoint]]s during the soak");
  app.add_option("-R,--rate", rate, "load: requests per second over all endpoints; default 10");
  app.add_option("-c,--connections", connections, "load: connections per endpoint; default 2");
  if (auto code = parse(app, args)) return *code;
  if (auto code = load_context(ctx, false)) return *code;

  auto& soak = ctx.settings.soak;
  auto& o = soak.options;
  // Flags override [verify.soak]; a memory source from the flags replaces the config's.
  if (pid || !pid_file.empty() || !metrics_url.empty()) {
    o.pid = pid.value_or(0);
    o.pid_file = pid_file;
    o.metrics_url = metrics_url;
  }
  if (!metric.empty()) o.metric = metric;
  for (const auto& [flag, text, out] :
       {std::tuple{"--duration", duration, &o.duration}, std::tuple{"--interval", interval, &o.interval},
        std::tuple{"--warmup", warmup, &o.warmup}}) {
    if (!text) continue;
    auto d = duration_flag(*text, flag);
    if (!d) return report_error(d.error());
    *out = *d;
  }
  if (o.interval.count() <= 0 || o.interval > o.duration) {
    return report_error(Error::input("the interval must be above 0 and at most the duration", "--interval",
                                     "e.g. --duration 1h --interval 10s"));
  }
  if (max_rss) {
    auto b = verify::parse_growth_bound(*max_rss);
    if (!b) return report_error(Error::input(b.error().message, "--max-rss-growth", b.error().hint));
    o.max_rss_growth = *b;
  }
  if (max_conn) o.max_connection_growth = *max_conn;
  if (rate) soak.rate = *rate;
  if (connections) soak.connections = *connections;
  if (!database.empty()) o.database_url = database;
  if (no_database) {
    o.database_url.clear();
  } else if (o.database_url.empty() && (!ctx.config.database.url.empty() || !ctx.config.database.direct_url.empty())) {
    auto db = database_url(ctx, "");
    if (!db) return report_error(db.error());
    o.database_url = *db;
  }
  o.http = client_options(ctx);
  o.progress = ctx.format == Format::text;

  verify::Report report;
  std::vector<verify::PerfTarget> targets;
  if (!url.empty()) {
    if (url.find("://") == std::string::npos && ctx.settings.base_url.empty()) {
      return report_error(
          Error::input("--url is relative and there is no base URL", "--url", "pass an absolute URL, or --base-url"));
    }
    verify::PerfTarget t;
    t.load.url = net::join_url(ctx.settings.base_url, url);
    t.load.verify_peer = !ctx.settings.insecure;
    t.load.ca_file = ctx.settings.ca_file;
    t.load.timeout = ctx.settings.timeout;
    targets.push_back(std::move(t));
  } else if (load || soak.load) {
    if (ctx.settings.base_url.empty()) {
      return report_error(Error::input("the load needs the service's address", ctx.config.where("verify"),
                                       "set verify.base_url or pass --base-url"));
    }
    auto t = perf_targets(ctx, report, "soak-load", "soak");
    if (!t) return report_error(t.error());
    if (t->empty()) return finish(report, ctx.common, ctx.format);  // the login flow failed
    targets = std::move(*t);
  }
  for (auto& t : targets) {
    t.load.rate = soak.rate / static_cast<double>(targets.size());
    t.load.connections = soak.connections;
    t.load.threads = 1;
    o.load.push_back(std::move(t.load));
  }

  auto probes = verify::open_probes(o);
  if (!probes) return report_error(probes.error());
  verify::run_soak(o, *probes, report);
  return finish(report, ctx.common, ctx.format);
}

// ---- every part ----------------------------------------------------------------------------

int run_all(const Args& args) {
  CLI::App app{
      "Post-deployment verification: every part slipway.toml configures (smoke flows, integrity, "
      "perf budgets, security scan, WebSocket), one report, exit 1 when anything fails.",
      args[0]};
  app.footer(
      "Parts (each runnable alone, see `slipway verify <part> --help`):\n"
      "  smoke       run the flows: logins per role, token refresh, core features\n"
      "  integrity   row counts against the snapshot taken before the deploy (--snapshot)\n"
      "  perf        load-test endpoints against budgets (closed or open model)\n"
      "  security    TLS, certificate, HTTPS redirect, headers and grade, CORS, leak routes\n"
      "  websocket   connect and measure ping or echo round trips against a budget\n"
      "  soak        memory and database connections over a long run (on its own only)\n\n"
      "Examples:\n"
      "  slipway verify\n"
      "  slipway verify --format junit > verify.xml\n\n"
      "Exit codes: 0 all passed (warnings allowed), 1 a check failed, 2 bad config, 3 environment.");
  Context ctx;
  add_target_options(app, ctx);
  if (auto code = parse(app, args)) return *code;
  if (auto code = load_context(ctx)) return *code;
  if (!ctx.settings.any_part_configured()) {
    return report_error(
        Error::input("nothing to verify", ctx.config.where("verify"),
                     "configure flows, [verify.perf], [verify.integrity], [verify.security] or "
                     "[verify.websocket] in slipway.toml ([verify.soak] runs only as `slipway verify soak`); see "
                     "docs/commands/verify.md"));
  }
  verify::Report report;
  const auto run = [&](Result<void> r) -> std::optional<int> {
    if (!r) return report_error(r.error());
    return std::nullopt;
  };
  if (!ctx.settings.flows.empty()) {
    if (auto code = run(smoke_part(ctx, report, {}))) return *code;
  }
  if (ctx.settings.integrity_configured) {
    if (auto code = run(integrity_part(ctx, report, false, {}))) return *code;
  }
  if (ctx.settings.perf_configured && !ctx.settings.perf.endpoints.empty()) {
    if (auto code = run(perf_part(ctx, report))) return *code;
  }
  if (ctx.settings.security.configured) {
    if (auto code = run(verify::run_security_scan(ctx.settings, report))) return *code;
  }
  if (ctx.settings.websocket.configured) {
    if (auto code = run(websocket_part(ctx, report))) return *code;
  }
  return finish(report, ctx.common, ctx.format);
}

struct Part {
  std::string_view name;
  Handler run;
};

constexpr Part kParts[] = {
    {"smoke", run_smoke_command},       {"integrity", run_integrity_command}, {"perf", run_perf_command},
    {"security", run_security_command}, {"websocket", run_websocket_command}, {"soak", run_soak_command},
};

}  // namespace

int run_verify(const Args& args) {
  if (args.size() > 1 && !args[1].starts_with("-")) {
    std::vector<std::string_view> names;
    for (const Part& p : kParts) {
      names.push_back(p.name);
      if (args[1] == p.name) {
        Args rest(args.begin() + 1, args.end());
        rest[0] = fmt::format("{} {}", args[0], p.name);
        return p.run(rest);
      }
    }
    return report_error(Error::input(fmt::format("unknown part '{}'{}", args[1], did_you_mean(args[1], names)), args[0],
                                     "parts: smoke, integrity, perf, security, websocket, soak"));
  }
  return run_all(args);
}

}  // namespace slipway::cli
