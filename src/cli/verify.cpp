// slipway verify: the checklist's post-deployment verification, one part at a time or all.
//
//   slipway verify                 every part slipway.toml configures
//   slipway verify perf --url http://127.0.0.1:8080/health -c 64 -d 10s [--rate 2000]
//   slipway verify smoke | integrity [--snapshot] | security | websocket
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/parse_args.hpp"
#include "core/redact.hpp"
#include "core/suggest.hpp"
#include "verify/perf.hpp"
#include "verify/report.hpp"

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
      "      --threshold 'p(95) < 500ms' --threshold 'rate(errors) < 0.05' --format json\n\n"
      "Exit codes: 0 every budget met, 1 a budget missed or no response, 2 bad flags or config.");
  CommonOptions common;
  std::string url, method = "GET", body, duration = "10s", think = "0ms", timeout = "10s", ca_file;
  std::vector<std::string> headers, thresholds;
  int connections = 100, threads = 0;
  double rate = 0;
  bool insecure = false;
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
  app.add_option("--ca-file", ca_file, "trust the CAs in this PEM file");
  app.add_flag("-k,--insecure", insecure, "do not verify the server's certificate");
  add_common_options(app, common, kFormats);
  if (auto code = parse(app, args)) return *code;
  auto format = verify_format(common);
  if (!format) return report_error(format.error());

  if (url.empty()) {
    return report_error(Error::input("nothing to load", "", "give --url, or configure [verify.perf] in slipway.toml"));
  }
  verify::PerfTarget target;
  target.name = url;
  target.load.url = url;
  target.load.method = method;
  target.load.body = body;
  target.load.connections = connections;
  target.load.threads = threads;
  target.load.rate = rate;
  target.load.verify_peer = !insecure;
  target.load.ca_file = ca_file;
  for (const auto& [flag, text, out] : {std::tuple{"--duration", duration, &target.load.duration},
                                        std::tuple{"--think-time", think, &target.load.think_time},
                                        std::tuple{"--timeout", timeout, &target.load.timeout}}) {
    auto d = duration_flag(text, flag);
    if (!d) return report_error(d.error());
    *out = *d;
  }
  for (const auto& h : headers) {
    auto parsed = header_flag(h);
    if (!parsed) return report_error(parsed.error());
    target.load.headers.push_back(*parsed);
  }
  for (const auto& text : thresholds) {
    auto t = verify::parse_threshold(text);
    if (!t) {
      return report_error(Error::input(fmt::format("{} in '{}'", t.error().message, text),
                                       fmt::format("--threshold:{}", t.error().column), t.error().hint));
    }
    target.thresholds.push_back(*t);
  }

  verify::Report report;
  if (auto r = verify::run_perf({target}, report, *format == Format::text); !r) return report_error(r.error());
  // The ad hoc run's measurements also sit at the top level of the JSON report, as wrk users expect.
  if (auto* runs = report.extra().if_contains("perf"); runs && runs->as_array().size() == 1) {
    for (const auto& key : {"requests", "rps", "errors", "latency_ms"}) {
      report.extra()[key] = runs->as_array()[0].as_object().at(key);
    }
  }
  return finish(report, common, *format);
}

struct Part {
  std::string_view name;
  std::string_view summary;
  Handler run;
};

constexpr Part kParts[] = {
    {"perf", "load-test endpoints against budgets (closed or open model)", run_perf_command},
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
                                     "parts: smoke, integrity, perf, security, websocket"));
  }
  std::string help = fmt::format("Usage: {} <part> [options]\n\nPost-deployment verification. Parts:\n", args[0]);
  for (const Part& p : kParts) help += fmt::format("  {:<10} {}\n", p.name, p.summary);
  help += "\nRun `slipway verify <part> --help` for a part's options.\n";
  std::fputs(help.c_str(), stdout);
  return 0;
}

}  // namespace slipway::cli
