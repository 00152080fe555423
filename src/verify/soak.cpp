#include "verify/soak.hpp"

#include <unistd.h>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "core/fs.hpp"
#include "core/redact.hpp"
#include "core/units.hpp"
#include "pg/connection.hpp"

namespace slipway::verify {
namespace {

using Clock = std::chrono::steady_clock;

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

Result<int> read_pid_file(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return fail(Error::environment(fmt::format("cannot read the PID file {}", path)));
  const std::string t = trim(*text);
  int pid = 0;
  const auto r = std::from_chars(t.data(), t.data() + t.size(), pid);
  if (t.empty() || r.ec != std::errc() || r.ptr != t.data() + t.size() || pid <= 0) {
    return fail(Error::environment(fmt::format("the PID file {} holds '{}', not a process id", path, t)));
  }
  return pid;
}

std::string signed_size(double bytes) {
  return fmt::format("{}{}", bytes < 0 ? "-" : "+",
                     format_size(static_cast<std::uint64_t>(std::llround(std::abs(bytes)))));
}

std::string size_text(double bytes) {
  return format_size(static_cast<std::uint64_t>(std::llround(std::max(0.0, bytes))));
}

// What was sampled of one probe.
struct Series {
  std::vector<Sample> samples;
  std::size_t failures = 0;
  std::string first_error;
  bool stopped = false;  // a final error: the process exited or restarted
  double stopped_at = 0;
};

void take(Probe& probe, Series& series, double t) {
  if (!probe || series.stopped) return;
  bool final_error = false;
  auto v = probe.read(final_error);
  if (v) {
    series.samples.push_back({t, *v});
    return;
  }
  ++series.failures;
  if (series.first_error.empty()) series.first_error = v.error().message;
  if (final_error) {
    series.stopped = true;
    series.stopped_at = t;
    series.first_error = v.error().message;
  }
}

struct Judged {
  Status status = Status::pass;
  std::string message;
  boost::json::object json;
};

// The verdict on one series; `amount` formats a value or a difference (with its sign when asked).
Judged judge(const Series& s, const GrowthBound& bound, double warmup_s,
             const std::function<std::string(double, bool)>& amount, std::size_t max_series) {
  Judged j;
  const Growth g = estimate_growth(s.samples, warmup_s);
  j.json["samples"] = s.samples.size();
  j.json["failed_samples"] = s.failures;
  if (!s.first_error.empty()) j.json["first_error"] = redact(s.first_error);
  j.json["bound"] = bound.text;
  boost::json::array series;
  for (const Sample& x : downsample(s.samples, max_series)) {
    series.push_back(boost::json::array{std::round(x.t * 1000) / 1000, x.value});
  }
  if (s.stopped) {
    j.status = Status::fail;
    j.message = fmt::format("sampling stopped after {:.1f}s: {}", s.stopped_at, s.first_error);
  } else if (g.used < 4) {
    j.status = Status::warn;
    j.message = fmt::format("{} samples after the warm-up, too few to judge; run longer or sample more often{}", g.used,
                            s.first_error.empty() ? "" : fmt::format(" (last error: {})", s.first_error));
  } else {
    j.json["baseline"] = g.baseline;
    j.json["final"] = g.final;
    j.json["growth"] = g.growth;
    j.json["growth_percent"] = g.percent();
    j.json["slope_per_hour"] = g.per_hour;
    j.json["limit"] = bound.limit(g.baseline);
    const GrowthVerdict v = judge_growth(g, bound);
    j.status = v == GrowthVerdict::over ? Status::fail : v == GrowthVerdict::near ? Status::warn : Status::pass;
    j.message =
        fmt::format("{} -> {} ({}, {:+.1f}%), trend {}/h; bound +{}", amount(g.baseline, false), amount(g.final, false),
                    amount(g.growth, true), g.percent(), amount(g.per_hour, true), bound.text);
    if (v == GrowthVerdict::near) j.message += " (near the bound)";
    if (s.failures > 0) {
      if (j.status == Status::pass) j.status = Status::warn;
      j.message +=
          fmt::format("; {} sample{} failed (first: {})", s.failures, s.failures == 1 ? "" : "s", s.first_error);
    }
  }
  j.json["series"] = std::move(series);
  return j;
}

}  // namespace

Result<double> prometheus_value(std::string_view text, std::string_view metric) {
  double sum = 0;
  bool found = false;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ' && line[i] != '\t') ++i;
    if (line.substr(0, i) != metric) continue;
    if (i < line.size() && line[i] == '{') {
      bool quoted = false;
      for (++i; i < line.size(); ++i) {
        if (quoted && line[i] == '\\') {
          ++i;
        } else if (line[i] == '"') {
          quoted = !quoted;
        } else if (!quoted && line[i] == '}') {
          ++i;
          break;
        }
      }
    }
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::size_t end = i;
    while (end < line.size() && line[end] != ' ' && line[end] != '\t' && line[end] != '\r') ++end;
    const std::string value(line.substr(i, end - i));
    char* stop = nullptr;
    const double v = value.empty() ? NAN : std::strtod(value.c_str(), &stop);
    if (value.empty() || stop != value.c_str() + value.size() || !std::isfinite(v)) continue;
    sum += v;
    found = true;
  }
  if (!found) {
    return fail(Error::environment(fmt::format("no {} in the metrics", metric), "",
                                   "name the metric holding the resident memory in bytes: [verify.soak] metric"));
  }
  return sum;
}

Result<double> process_rss(int pid) {
  std::ifstream statm(fmt::format("/proc/{}/statm", pid));
  long size = 0, resident = 0;
  if (!statm || !(statm >> size >> resident) || size == 0) {
    // A zombie still has /proc/PID, with every count at 0.
    return fail(Error::environment(fmt::format("process {} has exited", pid)));
  }
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

Result<SoakProbes> open_probes(const SoakOptions& o) {
  SoakProbes probes;
  const int sources = (o.pid > 0) + !o.pid_file.empty() + !o.metrics_url.empty();
  if (sources > 1) {
    return fail(Error::input("name one memory source: pid, pid_file or metrics_url", "verify.soak",
                             "pid and pid_file read /proc; metrics_url reads a Prometheus endpoint"));
  }
  if (o.pid > 0 || !o.pid_file.empty()) {
    int pid = o.pid;
    if (!o.pid_file.empty()) {
      auto p = read_pid_file(o.pid_file);
      if (!p) return fail(p.error());
      pid = *p;
    }
    if (auto rss = process_rss(pid); !rss) {
      return fail(Error::environment(fmt::format("no process {} to watch", pid), o.pid_file,
                                     "start the service first, or pass the PID of the running one"));
    }
    probes.rss.source = o.pid_file.empty() ? fmt::format("pid {}", pid) : fmt::format("pid {} ({})", pid, o.pid_file);
    probes.rss.read = [pid, file = o.pid_file](bool& final_error) -> Result<double> {
      if (!file.empty()) {
        auto now = read_pid_file(file);
        if (now && *now != pid) {
          final_error = true;
          return fail(Error::environment(fmt::format(
              "the process restarted (pid {} -> {}), which resets its memory and hides a leak", pid, *now)));
        }
      }
      auto rss = process_rss(pid);
      if (!rss) final_error = true;
      return rss;
    };
  } else if (!o.metrics_url.empty()) {
    auto url = net::Url::parse(o.metrics_url);
    if (!url) return fail(Error::input(url.error().message, "verify.soak.metrics_url"));
    auto client = std::make_shared<net::HttpClient>(o.http);
    probes.rss.source = fmt::format("{} {}", redact(o.metrics_url), o.metric);
    probes.rss.read = [client, url = o.metrics_url, metric = o.metric](bool&) -> Result<double> {
      net::HttpRequest req;
      req.url = url;
      req.headers.emplace_back("Accept", "text/plain");
      auto r = client->send(req);
      if (!r) return fail(r.error());
      if (r->status != 200) return fail(Error::environment(fmt::format("{} answered {}", redact(url), r->status)));
      return prometheus_value(r->body, metric);
    };
    // A metrics URL that does not work now will not work for an hour.
    bool ignored = false;
    if (auto first = probes.rss.read(ignored); !first) return fail(first.error());
  }
  if (!o.database_url.empty()) {
    register_secret(o.database_url);
    auto db = pg::Connection::open(o.database_url);
    if (!db) return fail(db.error());
    auto conn = std::make_shared<std::optional<pg::Connection>>(std::move(*db));
    probes.connections.source = redact(o.database_url);
    probes.connections.read = [conn, url = o.database_url](bool&) -> Result<double> {
      static const std::string sql =
          "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()";
      if (!*conn) {
        auto again = pg::Connection::open(url, 5);
        if (!again) return fail(again.error());
        conn->emplace(std::move(*again));
      }
      auto rows = (*conn)->query(sql);
      if (!rows) {
        conn->reset();  // reconnect on the next sample
        return fail(rows.error());
      }
      return std::strtod(rows->text(0, 0).c_str(), nullptr);
    };
  }
  if (!probes.rss && !probes.connections) {
    return fail(Error::input("nothing to sample", "verify.soak",
                             "set pid, pid_file or metrics_url for memory, and database.url (or --database) for "
                             "connections"));
  }
  return probes;
}

void run_soak(const SoakOptions& o, SoakProbes& probes, Report& report) {
  const auto warmup = o.warmup.count() >= 0 ? o.warmup : o.duration / 10;
  const double warmup_s = static_cast<double>(warmup.count()) / 1000.0;
  const double total_s = static_cast<double>(o.duration.count()) / 1000.0;
  const bool progress = o.progress && isatty(STDERR_FILENO);

  std::vector<Result<LoadResult>> load_results(o.load.size(), fail(Error::environment("did not run")));
  std::vector<std::thread> loaders;
  for (std::size_t i = 0; i < o.load.size(); ++i) {
    loaders.emplace_back([&, i] {
      LoadOptions l = o.load[i];
      l.duration = o.duration;
      l.progress = nullptr;
      load_results[i] = run_load(l);
    });
  }

  Series rss, conns;
  const auto start = Clock::now();
  for (long i = 0;; ++i) {
    const auto due = start + o.interval * i;
    if (due - start > o.duration) break;
    std::this_thread::sleep_until(due);
    const double t = std::chrono::duration<double>(Clock::now() - start).count();
    take(probes.rss, rss, t);
    take(probes.connections, conns, t);
    if (progress) {
      std::string line = fmt::format("soak: {:.0f}/{:.0f}s", t, total_s);
      if (probes.rss) {
        line += rss.samples.empty() || rss.stopped ? "  rss -"
                                                   : fmt::format("  rss {}", size_text(rss.samples.back().value));
      }
      if (probes.connections) {
        line += conns.samples.empty() ? "  db -" : fmt::format("  db {:.0f} connections", conns.samples.back().value);
      }
      std::fprintf(stderr, "\r\x1b[2K%s", line.c_str());
      std::fflush(stderr);
    }
  }
  for (auto& t : loaders) t.join();
  if (progress) std::fputs("\r\x1b[2K", stderr);

  boost::json::object soak;
  soak["duration_s"] = total_s;
  soak["interval_s"] = static_cast<double>(o.interval.count()) / 1000.0;
  soak["warmup_s"] = warmup_s;
  std::string note =
      fmt::format("  {} samples every {} over {} (warm-up {})", std::max(rss.samples.size(), conns.samples.size()),
                  format_duration(o.interval), format_duration(o.duration), format_duration(warmup));
  if (probes.rss) {
    const auto bytes = [](double v, bool sign) { return sign ? signed_size(v) : size_text(v); };
    Judged j = judge(rss, o.max_rss_growth, warmup_s, bytes, o.max_series);
    j.json["source"] = probes.rss.source;
    report.add("soak-rss-growth", "soak", j.status, j.message).about(probes.rss.source);
    soak["rss"] = std::move(j.json);
    note += fmt::format("\n  memory: {}", probes.rss.source);
  }
  if (probes.connections) {
    const auto count = [](double v, bool sign) { return sign ? fmt::format("{:+.1f}", v) : fmt::format("{:.1f}", v); };
    GrowthBound bound;
    bound.percent = false;
    bound.value = o.max_connection_growth;
    bound.text = std::to_string(o.max_connection_growth);
    Judged j = judge(conns, bound, warmup_s, count, o.max_series);
    j.json["source"] = probes.connections.source;
    report.add("soak-db-connections", "soak", j.status, j.message).about(probes.connections.source);
    soak["connections"] = std::move(j.json);
    note += fmt::format("\n  connections: pg_stat_activity of {}", probes.connections.source);
  }
  boost::json::array loads;
  for (std::size_t i = 0; i < o.load.size(); ++i) {
    const auto& r = load_results[i];
    const std::string subject = redact(o.load[i].url);
    if (!r) {
      report.add("soak-load", "soak", Status::fail, r.error().message).about(subject);
      continue;
    }
    boost::json::object l;
    l["url"] = subject;
    l["requests"] = r->requests;
    l["errors"] = r->errors;
    l["rps"] = r->rps();
    loads.push_back(std::move(l));
    const std::string summary =
        fmt::format("{} requests at {:.1f} req/s during the soak, {} errors", r->requests, r->rps(), r->errors);
    if (r->requests == 0) {
      report
          .add("soak-load", "soak", Status::fail,
               fmt::format("no response during the soak{}",
                           r->first_error.empty() ? "" : fmt::format(" (first error: {})", r->first_error)))
          .about(subject);
    } else {
      report.add("soak-load", "soak", r->errors > 0 ? Status::warn : Status::pass, summary).about(subject);
    }
  }
  if (!loads.empty()) soak["load"] = std::move(loads);
  report.extra()["soak"] = std::move(soak);
  report.add_note("soak", note);
}

}  // namespace slipway::verify
