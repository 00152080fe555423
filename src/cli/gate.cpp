// slipway gate: the checklist's maintenance mode and the zero-downtime switch, as a reverse proxy
// in front of the backend. `run` starts it; the other subcommands steer the running gate over
// its control socket.
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "cli/command.hpp"
#include "cli/parse_args.hpp"
#include "core/redact.hpp"
#include "core/time.hpp"
#include "gate/control.hpp"
#include "gate/gate.hpp"
#include "gate/proxy.hpp"
#include "state/store.hpp"

namespace slipway::cli {
namespace {

namespace json = boost::json;

int gate_run(const Args& args);
int gate_maintenance(const Args& args);
int gate_read_only(const Args& args);
int gate_switch(const Args& args);
int gate_status(const Args& args);
int gate_bypass(const Args& args);

constexpr std::array<Subcommand, 6> kSubcommands{{
    {"run", "start the gate: proxy gate.listen to the upstream, control socket, admin listener", gate_run},
    {"maintenance", "on|off: 503 with an \"Under Maintenance\" page for everyone but admins", gate_maintenance},
    {"read-only", "on|off: reads pass, data-modifying requests get 503", gate_read_only},
    {"switch", "HOST:PORT: route to a new upstream once it is healthy, draining the old one", gate_switch},
    {"status", "the running gate's mode, message, upstream and counters", gate_status},
    {"bypass", "on|off: a one-time token from $SLIPWAY_GATE_BYPASS passes in every mode (what deploy uses)",
     gate_bypass},
}};

std::string gate_usage() {
  return "slipway gate: a reverse proxy in front of the backend, with maintenance and read-only modes,\n"
         "admin bypass (JWT, IP allow-list, bypass cookie) and a health-gated zero-downtime switch.\n\n"
         "Usage: slipway gate <subcommand> [options]\n\nSubcommands:\n" +
         subcommand_list(kSubcommands) +
         "\nExamples:\n"
         "  slipway gate run &\n"
         "  slipway gate maintenance on --message \"Back at 14:00\" --retry-after 30min\n"
         "  slipway gate switch 127.0.0.1:3001\n"
         "  slipway gate status --format json\n\n"
         "Run `slipway gate <subcommand> --help` for its options. Docs: docs/commands/gate.md\n";
}

// Parses the arguments, checks --format and loads the config; an exit code when the command
// should stop (after --help, or on an error already reported).
tl::expected<Config, int> prepare(CLI::App& app, const Args& args, const CommonOptions& common) {
  if (auto code = parse(app, args)) return tl::unexpected(*code);
  if (auto f = parse_format(common.format, {Format::text, Format::json}); !f) {
    return tl::unexpected(report_error(f.error()));
  }
  auto config = load_config_or_report(common);
  if (!config) return tl::unexpected(2);
  return std::move(*config);
}

// Timeout for a control call: a switch may wait for health checks and the drain.
Duration control_timeout(const Config& config) {
  return config.gate.switch_timeout + config.gate.drain_timeout + std::chrono::seconds(10);
}

// Sends `request` and prints the answer; the exit code follows the answer's "kind".
int call(const Config& config, const CommonOptions& common, const json::object& request, std::string_view done) {
  auto answer = gate::control_call(config.gate.control_socket, json::serialize(request), control_timeout(config));
  if (!answer) return report_error(answer.error());
  boost::system::error_code ec;
  json::value v = json::parse(*answer, ec);
  if (ec || !v.is_object()) {
    return report_error(
        Error::environment("the gate answered something that is not JSON", config.gate.control_socket.string()));
  }
  const auto& o = v.as_object();
  const auto str = [&](std::string_view key) -> std::string {
    const auto* f = o.if_contains(key);
    if (!f) return {};
    return f->is_string() ? std::string(f->as_string()) : json_text(*f);
  };
  const bool ok = o.contains("ok") && o.at("ok").is_bool() && o.at("ok").as_bool();
  if (common.format == "json") {
    std::puts(redact(*answer).c_str());
  }
  if (!ok) {
    const std::string kind = str("kind");
    const Error e = kind == "environment" ? Error::environment(str("error"), "gate", str("hint"))
                                          : Error::input(str("error"), "gate", str("hint"));
    if (common.format != "json") report_error(e);
    return kind == "findings" ? 1 : static_cast<int>(e.exit_code());
  }
  if (common.format == "json") return 0;
  const Style style = style_for(common);
  const std::string mode = str("mode");
  const Color color = mode == "normal" ? Color::green : mode == "maintenance" ? Color::red : Color::yellow;
  std::string out;
  if (!done.empty()) out += fmt::format("gate: {}\n", done);
  if (const std::string note = str("note"); !note.empty()) out += fmt::format("gate: {}\n", note);
  if (!o.contains("mode")) {  // an answer without the gate's state (bypass)
    std::fputs(redact(out).c_str(), stdout);
    return 0;
  }
  out += fmt::format("  mode         {}\n", style.paint(color, mode));
  if (mode != "normal") {
    out += fmt::format("  message      {}\n", str("message"));
    std::int64_t retry = 0;
    if (const auto* r = o.if_contains("retry_after"); r && r->is_int64()) retry = r->as_int64();
    out += fmt::format("  retry after  {}\n", format_duration(std::chrono::seconds(retry)));
  }
  out += fmt::format("  upstream     {}\n", str("upstream"));
  out += fmt::format("  connections  {}, in flight {}, requests {}, up {}\n", str("connections"), str("in_flight"),
                     str("requests"), format_duration(std::chrono::seconds(std::atoll(str("uptime_seconds").c_str()))));
  std::fputs(redact(out).c_str(), stdout);
  return 0;
}

// Maintenance is a window for `slipway watch` (watch/windows.hpp): quiet about the probes deploys
// affect until maintenance is off, then one word on what changed. The gate's answer stands either
// way; a window that could not be written is a warning.
void maintenance_window(const Config& config, bool on) {
  const auto now = std::chrono::system_clock::now();
  auto db = state::open(config);
  Result<void> done;
  if (!db) {
    done = fail(db.error());
  } else {
    done = (*db)->transaction([&]() -> Result<void> {
      if (auto r = (*db)->close_windows("maintenance", "gate", to_unix_ms(now), "gate"); !r) return fail(r.error());
      if (!on) return {};
      auto id = (*db)->open_window({.kind = "maintenance",
                                    .ref = "gate",
                                    .reason = "gate maintenance",
                                    .opened_ms = to_unix_ms(now),
                                    .expires_ms = to_unix_ms(now + config.watch.window_max)});
      if (!id) return fail(id.error());
      return {};
    });
  }
  if (!done)
    std::fprintf(stderr, "slipway: warning: watch's maintenance window was not %s: %s\n", on ? "opened" : "closed",
                 redact(done.error().message).c_str());
}

// The on|off subcommands share their shape.
int toggle(const Args& args, std::string_view command, std::string_view description) {
  CLI::App app{std::string(description), args[0]};
  app.footer(
      fmt::format("Examples:\n"
                  "  slipway gate {0} on --message \"Back at 14:00\" --retry-after 30min\n"
                  "  slipway gate {0} off\n\n"
                  "Exit codes: 0 done, 2 bad usage, 3 no gate running on the control socket.",
                  command));
  CommonOptions common;
  std::string state;
  std::optional<std::string> message;
  std::optional<std::string> retry_after;
  app.add_option("state", state, "on or off")->required()->check(CLI::IsMember({"on", "off"}));
  app.add_option("--message", message, "the text the 503 page and its JSON answer show (default: gate.message)");
  app.add_option("--retry-after", retry_after, "the Retry-After to send, e.g. 10m or 1h (default: gate.retry_after)");
  add_common_options(app, common, "text, json");
  auto config = prepare(app, args, common);
  if (!config) return config.error();
  json::object request;
  request["command"] = command;
  request["on"] = state == "on";
  if (state == "on") {
    // Always sent: the gate keeps a field the request leaves out, so without these a new window
    // would show the previous one's message. "" and 0 mean gate.message and gate.retry_after.
    request["message"] = message.value_or("");
    request["retry_after"] = 0;
  }
  if (retry_after) {
    auto d = parse_duration(*retry_after);
    if (!d) return report_error(Error::input(d.error().message, "--retry-after", d.error().hint));
    request["retry_after"] = std::chrono::duration_cast<std::chrono::seconds>(*d).count();
  }
  const int code = call(*config, common, request, fmt::format("{} {}", command, state));
  if (code == 0 && command == "maintenance") maintenance_window(*config, state == "on");
  return code;
}

int gate_maintenance(const Args& args) {
  return toggle(args, "maintenance",
                "Turn maintenance mode on or off. In maintenance, admins pass; everyone else gets 503 with "
                "Retry-After and an \"Under Maintenance\" page (HTML for browsers, JSON for API clients); "
                "data-modifying requests get 503 even for admins unless gate.admin_writes = true.");
}

int gate_read_only(const Args& args) {
  return toggle(args, "read-only",
                "Turn read-only mode on or off. Reads (GET, HEAD, OPTIONS) pass for everyone; every other method "
                "gets 503 with Retry-After and the message, unless its path is in gate.allow (or an admin writes, "
                "with gate.admin_writes = true).");
}

int gate_switch(const Args& args) {
  CLI::App app{
      "Route new requests to another upstream once its health path (gate.health_path) answered 2xx "
      "gate.switch_healthy times in a row within gate.switch_timeout; requests in flight on the old upstream "
      "finish (up to gate.drain_timeout). When the new upstream never becomes healthy, the gate keeps the old "
      "one and this command fails.",
      args[0]};
  app.footer(
      "Example:\n  slipway gate switch 127.0.0.1:3001\n\n"
      "Exit codes: 0 switched, 1 the new upstream did not become healthy (nothing changed),\n"
      "2 bad usage, 3 no gate running on the control socket.");
  CommonOptions common;
  std::string upstream;
  app.add_option("upstream", upstream, "the new upstream, HOST:PORT")->required();
  add_common_options(app, common, "text, json");
  auto config = prepare(app, args, common);
  if (!config) return config.error();
  json::object request;
  request["command"] = "switch";
  request["upstream"] = upstream;
  return call(*config, common, request, "");
}

int gate_status(const Args& args) {
  CLI::App app{"Show the running gate's mode, message, upstream and counters.", args[0]};
  app.footer(
      "Examples:\n  slipway gate status\n  slipway gate status --format json\n\n"
      "Exit codes: 0 the gate answered, 2 bad usage, 3 no gate running on the control socket.");
  CommonOptions common;
  add_common_options(app, common, "text, json");
  auto config = prepare(app, args, common);
  if (!config) return config.error();
  json::object request;
  request["command"] = "status";
  return call(*config, common, request, "");
}

int gate_bypass(const Args& args) {
  CLI::App app{
      "Register (on) or revoke (off) a one-time bypass token with the running gate: a request whose "
      "X-Slipway-Bypass header holds it reaches the upstream in every mode, writes and the health path "
      "included, and the header is not forwarded. The token (32 to 128 hex characters) is read from the "
      "environment variable SLIPWAY_GATE_BYPASS, never from the command line, and the gate keeps it in memory "
      "only. `slipway deploy` does this itself for its own verification; this command is for scripts that "
      "do the same.",
      args[0]};
  app.footer(
      "Example:\n  SLIPWAY_GATE_BYPASS=$(openssl rand -hex 32) slipway gate bypass on\n\n"
      "Exit codes: 0 done, 2 bad usage or no token in SLIPWAY_GATE_BYPASS, 3 no gate running on the control "
      "socket.");
  CommonOptions common;
  std::string state;
  std::string ttl = "2h";
  app.add_option("state", state, "on or off")->required()->check(CLI::IsMember({"on", "off"}));
  app.add_option("--ttl", ttl, "how long the token counts unless revoked first, 1s to 24h (default 2h)");
  add_common_options(app, common, "text, json");
  auto config = prepare(app, args, common);
  if (!config) return config.error();
  auto lifetime = parse_duration(ttl);
  if (!lifetime) return report_error(Error::input(lifetime.error().message, "--ttl", lifetime.error().hint));
  const char* token = std::getenv("SLIPWAY_GATE_BYPASS");
  if (!token || !*token) {
    return report_error(Error::input("no bypass token: SLIPWAY_GATE_BYPASS is not set", "SLIPWAY_GATE_BYPASS",
                                     "set it to 32 to 128 hexadecimal characters, e.g. $(openssl rand -hex 32)"));
  }
  register_secret(token);
  json::object request;
  request["command"] = "bypass";
  request["on"] = state == "on";
  request["token"] = token;
  request["ttl_seconds"] = std::chrono::duration_cast<std::chrono::seconds>(*lifetime).count();
  return call(*config, common, request, fmt::format("bypass {}", state));
}

int gate_run(const Args& args) {
  CLI::App app{
      "Start the gate: an HTTP/1.1 reverse proxy from gate.listen to the upstream, in the mode its state file "
      "says (normal the first time). It serves until SIGINT or SIGTERM, then lets requests in flight finish.",
      args[0]};
  app.footer(
      "Examples:\n  slipway gate run\n  slipway gate run --listen 0.0.0.0:8080 --upstream 127.0.0.1:3000\n\n"
      "Exit codes: 0 stopped by a signal, 2 bad configuration, 3 an address or socket could not be used.");
  CommonOptions common;
  std::optional<std::string> listen;
  std::optional<std::string> upstream;
  app.add_option("--listen", listen, "the address to serve, HOST:PORT (default: gate.listen)");
  app.add_option("--upstream", upstream, "the backend, HOST:PORT (default: gate.upstream)");
  add_common_options(app, common, "text, json");
  auto config = prepare(app, args, common);
  if (!config) return config.error();
  if (listen) config->gate.listen = *listen;
  if (upstream) config->gate.upstream = *upstream;
  if (!config->gate.admin.jwt_secret.empty()) {
    if (auto r = config->require("gate.admin.jwt_secret"); !r) return report_error(r.error());
    register_secret(config->gate.admin.jwt_secret);
  }
  if (!config->gate.admin.bypass_secret.empty()) register_secret(config->gate.admin.bypass_secret);

  auto gate = gate::Gate::create(*config, gate::proxy_threads(config->gate));
  if (!gate) return report_error(gate.error());
  for (const auto& warning : gate::admin_warnings(config->gate)) {
    std::fputs(fmt::format("slipway: warning: {}\n", warning).c_str(), stderr);
  }
  auto control = gate::ControlServer::start(
      config->gate.control_socket, [g = gate->get()](std::string_view request) { return g->control(request); },
      [g = gate->get()] {
        if (auto* log = g->access_log()) log->flush();
      });
  if (!control) return report_error(control.error());
  std::signal(SIGPIPE, SIG_IGN);
  auto served = gate::serve(**gate, [&] {
    auto snap = (*gate)->snapshot();
    const std::string line =
        common.format == "json"
            ? fmt::format(
                  "{{\"listen\":\"{}\",\"upstream\":\"{}\",\"mode\":\"{}\",\"admin_listen\":\"{}\","
                  "\"control_socket\":{},\"reads\":\"{}\"}}\n",
                  config->gate.listen, snap->upstream, gate::to_string(snap->mode), config->gate.admin_listen,
                  json::serialize(json::string_view(config->gate.control_socket.string())),
                  gate::fast_reads() ? "fast" : "portable")
            : fmt::format("gate: listening on {} -> {} ({} mode); admin on {}; control socket {}{}\n",
                          config->gate.listen, snap->upstream, gate::to_string(snap->mode), config->gate.admin_listen,
                          config->gate.control_socket.string(), gate::fast_reads() ? "" : "; portable reads");
    std::fputs(line.c_str(), stderr);
  });
  if (!served) return report_error(served.error());
  if (auto* log = (*gate)->access_log()) log->flush();
  return 0;
}

}  // namespace

int run_gate(const Args& args) {
  return run_subcommand(args, kSubcommands, gate_usage);
}

}  // namespace slipway::cli
