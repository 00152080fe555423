#include "verify/perf.hpp"

#include <unistd.h>
#include <cstdio>

#include <fmt/format.h>

#include "core/units.hpp"

namespace slipway::verify {
namespace {

double ms(std::uint64_t us) {
  return static_cast<double>(us) / 1000.0;
}

std::string fmt_ms(std::uint64_t us) {
  if (us >= 1'000'000) return fmt::format("{:.2f}s", static_cast<double>(us) / 1e6);
  if (us >= 1000) return fmt::format("{:.2f}ms", ms(us));
  return fmt::format("{}us", us);
}

std::string model_text(const PerfTarget& t) {
  if (t.load.rate > 0)
    return fmt::format("open model, {} req/s over {} connections", format_number(t.load.rate), t.load.connections);
  std::string s = fmt::format("closed model, {} connections", t.load.connections);
  if (t.load.think_time.count() > 0) s += fmt::format(", think time {}", format_duration(t.load.think_time));
  return s;
}

}  // namespace

boost::json::object perf_json(const PerfTarget& target, const LoadResult& r) {
  boost::json::object o;
  o["name"] = target.name;
  o["url"] = target.load.url;
  o["method"] = target.load.method;
  o["model"] = r.open_model ? "open" : "closed";
  o["connections"] = target.load.connections;
  if (r.open_model) o["rate"] = target.load.rate;
  o["duration_s"] = r.seconds;
  o["requests"] = r.requests;
  o["rps"] = r.rps();
  o["errors"] = r.errors;
  o["transport_errors"] = r.transport_errors;
  o["timeouts"] = r.timeouts;
  boost::json::object status;
  for (std::size_t i = 1; i < r.status_classes.size(); ++i) {
    if (r.status_classes[i]) status[fmt::format("{}xx", i)] = r.status_classes[i];
  }
  o["status"] = std::move(status);
  boost::json::object lat;
  lat["min"] = ms(r.latency.min());
  lat["mean"] = r.latency.mean() / 1000.0;
  lat["p50"] = ms(r.latency.percentile(50));
  lat["p90"] = ms(r.latency.percentile(90));
  lat["p95"] = ms(r.latency.percentile(95));
  lat["p99"] = ms(r.latency.percentile(99));
  lat["p999"] = ms(r.latency.percentile(99.9));
  lat["max"] = ms(r.latency.max());
  o["latency_ms"] = std::move(lat);
  return o;
}

Result<void> run_perf(std::vector<PerfTarget> targets, Report& report, bool progress) {
  boost::json::array runs;
  for (auto& target : targets) {
    if (progress && isatty(STDERR_FILENO)) {
      const double total = static_cast<double>(target.load.duration.count()) / 1000.0;
      const std::string name = target.name;
      target.load.progress = [total, name](const LoadProgress& p) {
        std::fprintf(stderr, "\r\x1b[2Kperf %s: %.0f/%.0fs  %s requests  %.0f req/s  %s errors", name.c_str(),
                     p.elapsed_s, total, format_count(p.requests).c_str(),
                     p.elapsed_s > 0 ? static_cast<double>(p.requests) / p.elapsed_s : 0.0,
                     format_count(p.errors).c_str());
        std::fflush(stderr);
      };
    }
    auto result = run_load(target.load);
    if (target.load.progress) std::fputs("\r\x1b[2K", stderr);
    if (!result) {
      if (result.error().kind == ErrorKind::bad_input) return fail(result.error());
      report.add("perf-run", "perf", Status::fail, result.error().message).about(target.name);
      continue;
    }
    const LoadResult& r = *result;
    runs.push_back(perf_json(target, r));

    const Histogram& h = r.latency;
    report.add_note("perf",
                    fmt::format("  {} {} ({}, {}s)\n"
                                "    {} requests, {:.1f} req/s, {} errors\n"
                                "    latency p50 {}  p95 {}  p99 {}  max {}",
                                target.load.method, target.load.url, model_text(target), format_number(r.seconds),
                                r.requests, r.rps(), r.errors, fmt_ms(h.percentile(50)), fmt_ms(h.percentile(95)),
                                fmt_ms(h.percentile(99)), fmt_ms(h.max())));
    const std::string summary =
        fmt::format("{} requests, {:.1f} req/s, p50 {}, p95 {}, p99 {}, {} errors", r.requests, r.rps(),
                    fmt_ms(h.percentile(50)), fmt_ms(h.percentile(95)), fmt_ms(h.percentile(99)), r.errors);
    if (r.requests == 0) {
      report
          .add("perf-run", "perf", Status::fail,
               fmt::format("no response in {}s{}", format_number(r.seconds),
                           r.first_error.empty() ? "" : fmt::format(" (first error: {})", r.first_error)))
          .about(target.name);
    } else if (r.errors > 0) {
      report
          .add("perf-run", "perf", Status::warn,
               summary + (r.first_error.empty() ? "" : fmt::format(" (first transport error: {})", r.first_error)))
          .about(target.name);
    } else {
      report.add("perf-run", "perf", Status::pass, summary).about(target.name);
    }
    const Observed observed{&r.latency, r.requests, r.errors, r.seconds};
    for (const Threshold& t : target.thresholds) {
      const Verdict v = evaluate(t, observed);
      report.add("perf-budget", "perf", v.pass ? Status::pass : Status::fail, v.message)
          .about(fmt::format("{}: {}", target.name, t.text));
    }
  }
  if (!runs.empty()) {
    auto& extra = report.extra();
    if (auto* existing = extra.if_contains("perf"); existing && existing->is_array()) {
      for (auto& run : runs) existing->as_array().push_back(run);
    } else {
      extra["perf"] = std::move(runs);
    }
  }
  return {};
}

}  // namespace slipway::verify
