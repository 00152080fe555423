// slipway watch run | check | status | history | test-alert: the monitor of [watch] (src/watch): the
// daemon, one run of every probe for CI and a first try, the stored state of each probe, its history,
// and a test notification through every channel.
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/json.hpp>

#include <openssl/rand.h>
#include <unistd.h>

#include "cli/command.hpp"
#include "cli/parse_args.hpp"
#include "core/host.hpp"
#include "core/mutex.hpp"
#include "core/redact.hpp"
#include "core/report.hpp"
#include "core/time.hpp"
#include "core/units.hpp"
#include "net/http_server.hpp"
#include "state/store.hpp"
#include "watch/monitor.hpp"
#include "watch/probe.hpp"
#include "watch/test_alert.hpp"
#include "watch/windows.hpp"

namespace slipway::cli {
namespace {

constexpr auto kMaxSleep = std::chrono::seconds(1);  // the outbox is looked at least this often

Error no_probe(const Config& config) {
  return Error::input("there is no probe to watch", config.file.empty() ? "" : config.file.string(),
                      "add a [[watch.probe]] with name = \"api\" and url = \"http://127.0.0.1:3000/health\"");
}

std::optional<Config> watch_config(const CommonOptions& common) {
  auto config = load_config_or_report(common);
  if (!config) return std::nullopt;
  if (config->watch.probes.empty()) {
    report_error(no_probe(*config));
    return std::nullopt;
  }
  return config;
}

std::string latency_text(std::chrono::microseconds us) {
  return us < std::chrono::milliseconds(10) ? fmt::format("{:.1f} ms", static_cast<double>(us.count()) / 1000.0)
                                            : fmt::format("{} ms", us.count() / 1000);
}

// " (percent 83.5, free_bytes 1200000000): note" of what a probe measured, or "".
std::string measured_text(const watch::ProbeResult& r) {
  std::string out;
  for (const auto& [name, value] : r.values) {
    const bool whole = value == std::floor(value) && std::fabs(value) < 1e15;
    out += fmt::format("{}{} ", out.empty() ? " (" : ", ", name) +
           (whole ? fmt::format("{:.0f}", value) : fmt::format("{:.4g}", value));
  }
  if (!out.empty()) out += ")";
  if (!r.note.empty()) out += ": " + r.note;
  return out;
}

int check(const CommonOptions& common) {
  auto format = parse_format(common.format, {Format::text, Format::json, Format::junit, Format::markdown});
  if (!format) return report_error(format.error());
  auto config = watch_config(common);
  if (!config) return 2;
  std::vector<std::unique_ptr<watch::Probe>> probes;
  for (const auto& p : config->watch.probes) {  // every probe is valid before any runs
    auto probe = watch::make_probe(p, *config);
    if (!probe) return report_error(probe.error());
    probes.push_back(std::move(*probe));
  }
  report::Report report("watch", "part");
  for (std::size_t i = 0; i < probes.size(); ++i) {
    const auto& p = config->watch.probes[i];
    const auto r = probes[i]->run();
    auto& c = report.add(
        "watch-probe", "probe", r.ok ? report::Status::pass : report::Status::fail,
        (r.ok ? fmt::format("{} probe answered in {}", p.kind, latency_text(r.latency)) : r.reason) + measured_text(r));
    c.about(p.name);
    c.duration_ms = static_cast<double>(r.latency.count()) / 1000.0;
  }
  std::fputs(report.render(*format, style_for(common)).c_str(), stdout);
  return report.failed() ? 1 : 0;
}

int status(const CommonOptions& common) {
  auto format = parse_format(common.format, {Format::text, Format::json});
  if (!format) return report_error(format.error());
  auto config = watch_config(common);
  if (!config) return 2;
  auto db = state::open(*config);
  if (!db) return report_error(db.error());
  auto probes = watch::stored_status(*config, **db);
  if (!probes) return report_error(probes.error());
  auto outbox = (*db)->outbox();
  if (!outbox) return report_error(outbox.error());
  const auto now = std::chrono::system_clock::now();
  auto windows = (*db)->windows(to_unix_ms(now), std::numeric_limits<std::int64_t>::max());  // open ones
  if (!windows) return report_error(windows.error());
  auto leader = (*db)->leader();
  if (!leader) return report_error(leader.error());
  const bool led = *leader && (*leader)->expires_ms > to_unix_ms(now);
  if (*format == Format::json) {
    boost::json::array list;
    boost::json::array alerts;
    for (const auto& p : *probes) {
      list.push_back({{"name", p.name},
                      {"state", p.state},
                      {"since", p.since.empty() ? boost::json::value(nullptr) : boost::json::value(p.since)},
                      {"reason", p.reason}});
      if (p.state == "down") alerts.push_back({{"alert", p.name}, {"state", "firing"}, {"since", p.since}});
    }
    boost::json::array open;
    for (const auto& w : *windows)
      open.push_back({{"id", w.id},
                      {"kind", w.kind},
                      {"ref", w.ref},
                      {"probes", w.probes.empty() ? "deploy_window" : w.probes},
                      {"reason", w.reason},
                      {"opened_at", format_rfc3339(from_unix_ms(w.opened_ms))},
                      {"expires_at", format_rfc3339(from_unix_ms(w.expires_ms))}});
    boost::json::object out{{"probes", list},
                            {"alerts", alerts},
                            {"windows", open},
                            {"leader", led ? boost::json::value((*leader)->holder) : boost::json::value(nullptr)},
                            {"outbox", outbox->size()}};
    std::puts(redact(json_text(out)).c_str());
    return 0;
  }
  std::size_t width = 4;
  for (const auto& p : *probes) width = std::max(width, p.name.size());
  for (const auto& p : *probes)
    std::fputs(redact(fmt::format("{:<{}}  {:<7}  {}{}\n", p.name, width, p.state,
                                  p.since.empty() ? "never probed" : "since " + p.since,
                                  p.reason.empty() ? "" : "  (" + p.reason + ")"))
                   .c_str(),
               stdout);
  for (const auto& w : *windows)
    std::fputs(redact(fmt::format("window {}: {} ({}), quiet for {} until {}\n", w.id, watch::describe(w),
                                  w.reason.empty() ? w.kind : w.reason,
                                  w.probes.empty()  ? "the probes deploys affect"
                                  : w.probes == "*" ? "every probe"
                                                    : w.probes,
                                  format_rfc3339(from_unix_ms(w.expires_ms))))
                   .c_str(),
               stdout);
  if (!outbox->empty()) std::printf("%zu notification(s) waiting in the outbox\n", outbox->size());
  std::printf("%s\n", led ? fmt::format("leader: {}", (*leader)->holder).c_str()
                          : "leader: none (no `watch run` holds the lease)");
  return 0;
}

struct SilenceOptions {
  std::string for_text;
  std::vector<std::string> probes;
  std::string reason;
  std::optional<std::int64_t> end;
};

// watch silence: a window of kind "silence" over some probes (or all), or the end of one.
int silence(const CommonOptions& common, const SilenceOptions& o) {
  auto format = parse_format(common.format, {Format::text, Format::json});
  if (!format) return report_error(format.error());
  auto config = watch_config(common);
  if (!config) return 2;
  const auto now = std::chrono::system_clock::now();
  if (o.end) {
    if (!o.for_text.empty() || !o.probes.empty())
      return report_error(Error::input("--end takes no --for or --probe", "", "slipway watch silence --end 4"));
    auto db = state::open(*config);
    if (!db) return report_error(db.error());
    auto closed = (*db)->close_window(*o.end, to_unix_ms(now), user_name() + "@" + host_name());
    if (!closed) return report_error(closed.error());
    if (!*closed)
      return report_error(Error::input(fmt::format("no open window {}", *o.end), "--end",
                                       "`slipway watch status` lists the open windows with their ids"));
    std::printf("window %lld closed: watch says now what changed under it\n", static_cast<long long>(*o.end));
    return 0;
  }
  if (o.for_text.empty())
    return report_error(
        Error::input("watch silence needs --for", "", "slipway watch silence --for 30m --reason \"db upgrade\""));
  auto length = parse_duration(o.for_text);
  if (!length) return report_error(Error::input(length.error().message, "--for", length.error().hint));
  if (*length <= Duration::zero() || *length > std::chrono::hours(24 * 7))
    return report_error(Error::input(fmt::format("--for {} is not between 1s and 7d", o.for_text), "--for",
                                     "a silence ends by itself; renew it rather than silencing for longer"));
  if (o.reason.empty())
    return report_error(Error::input("watch silence needs --reason", "",
                                     "say why, for whoever sees the silence: --reason \"db upgrade\""));
  for (const auto& name : o.probes) {
    const bool known = std::any_of(config->watch.probes.begin(), config->watch.probes.end(),
                                   [&](const WatchProbe& p) { return p.name == name; });
    if (!known) {
      std::string names;
      for (const auto& p : config->watch.probes) names += (names.empty() ? "" : ", ") + p.name;
      return report_error(
          Error::input(fmt::format("there is no probe \"{}\"", name), "--probe", "the probes are: " + names));
    }
  }
  std::string probes = "*";
  if (!o.probes.empty()) {
    probes.clear();
    for (const auto& p : o.probes) probes += (probes.empty() ? "" : ",") + p;
  }
  auto db = state::open(*config);
  if (!db) return report_error(db.error());
  const auto until = now + *length;
  auto id = (*db)->open_window({.kind = "silence",
                                .ref = user_name() + "@" + host_name(),
                                .probes = probes,
                                .reason = o.reason,
                                .opened_ms = to_unix_ms(now),
                                .expires_ms = to_unix_ms(until)});
  if (!id) return report_error(id.error());
  if (*format == Format::json) {
    std::puts(json_text(boost::json::object{
                            {"id", *id},
                            {"probes", probes},
                            {"until",
                             format_rfc3339(std::chrono::time_point_cast<std::chrono::system_clock::duration>(until))},
                            {"reason", o.reason}})
                  .c_str());
    return 0;
  }
  std::printf("window %lld: %s quiet until %s (%s); end it early with `slipway watch silence --end %lld`\n",
              static_cast<long long>(*id), probes == "*" ? "every probe" : probes.c_str(),
              format_rfc3339(std::chrono::time_point_cast<std::chrono::system_clock::duration>(until)).c_str(),
              o.reason.c_str(), static_cast<long long>(*id));
  return 0;
}

std::string latency_column(std::int64_t us) {
  return us ? latency_text(std::chrono::microseconds(us)) : "-";
}

int history(const CommonOptions& common, const std::string& probe, const std::string& since) {
  auto format = parse_format(common.format, {Format::text, Format::json});
  if (!format) return report_error(format.error());
  auto period = parse_duration(since);
  if (!period || *period <= Duration::zero())
    return report_error(
        Error::input(fmt::format("--since {}: not a duration", since), "", "a duration such as 24h, 7d or 90min"));
  auto config = load_config_or_report(common);
  if (!config) return 2;
  auto db = state::open(*config);
  if (!db) return report_error(db.error());
  std::vector<std::string> names;
  for (const auto& p : config->watch.probes) names.push_back(p.name);
  const auto now = watch::Clock::now();
  auto report = watch::read_history(**db, names, probe, now - *period, now);
  if (!report) return report_error(report.error());
  if (!probe.empty() && std::find(names.begin(), names.end(), probe) == names.end() &&
      (report->probes.empty() || report->probes.front().runs == 0))
    return report_error(
        Error::input(fmt::format("--probe {}: no such probe in [watch] or in the history", probe),
                     config->file.empty() ? "" : config->file.string(),
                     names.empty() ? "add a [[watch.probe]]" : fmt::format("configured: {}", fmt::join(names, ", "))));
  if (*format == Format::json) {
    const auto ms_or_null = [](std::int64_t us) {
      return us ? boost::json::value(static_cast<double>(us) / 1000.0) : boost::json::value(nullptr);
    };
    boost::json::array probes;
    for (const auto& p : report->probes)
      probes.push_back({{"name", p.name},
                        {"uptime", p.runs ? boost::json::value(p.uptime()) : boost::json::value(nullptr)},
                        {"runs", p.runs},
                        {"failures", p.failures},
                        {"p50_ms", ms_or_null(p.p50_us)},
                        {"p95_ms", ms_or_null(p.p95_us)}});
    boost::json::array events;
    for (const auto& e : report->events)
      events.push_back({{"probe", e.probe},
                        {"at", format_rfc3339(from_unix_ms(e.at_ms))},
                        {"event", e.event},
                        {"message", e.message}});
    boost::json::object out{{"since", format_rfc3339(report->from)},
                            {"until", format_rfc3339(report->to)},
                            {"probes", probes},
                            {"events", events}};
    std::puts(redact(json_text(out)).c_str());
    return 0;
  }
  std::size_t width = 5;
  for (const auto& p : report->probes) width = std::max(width, p.name.size());
  std::string out =
      fmt::format("since {} ({})\n{:<{}}  {:>9}  {:>7}  {:>8}  {:>8}  {:>8}\n", format_rfc3339(report->from),
                  format_duration(*period), "probe", width, "uptime", "runs", "failures", "p50", "p95");
  for (const auto& p : report->probes)
    out += fmt::format("{:<{}}  {:>9}  {:>7}  {:>8}  {:>8}  {:>8}\n", p.name, width,
                       p.runs ? fmt::format("{:.3f} %", 100.0 * p.uptime()) : "-", p.runs, p.failures,
                       latency_column(p.p50_us), latency_column(p.p95_us));
  out += report->events.empty() ? "\nno alert events in the period\n" : "\nalert events, newest first:\n";
  for (const auto& e : report->events)
    out += fmt::format("{}  {:<{}}  {:<8}  {}\n", format_rfc3339(from_unix_ms(e.at_ms)), e.probe, width, e.event,
                       e.message);
  std::fputs(redact(out).c_str(), stdout);
  return 0;
}

int test_alert(const CommonOptions& common, const std::string& channel, const std::string& severity) {
  auto format = parse_format(common.format, {Format::text, Format::json});
  if (!format) return report_error(format.error());
  if (severity != "critical" && severity != "warning")
    return report_error(
        Error::input(fmt::format("--severity {}: not a severity", severity), "", "critical or warning"));
  auto config = load_config_or_report(common);
  if (!config) return 2;
  auto sent = watch::send_test_alert(*config, channel, severity == "critical");
  if (!sent) return report_error(sent.error());
  bool failed = false;
  boost::json::array channels;
  std::string text;
  for (const auto& d : *sent) {
    failed = failed || !d.ok;
    channels.push_back({{"channel", d.channel}, {"ok", d.ok}, {"message", d.message}});
    text += fmt::format("{:<10} {}{}\n", d.channel, d.ok ? "delivered" : "failed",
                        d.message.empty() ? "" : ": " + d.message);
  }
  if (*format == Format::json)
    std::puts(redact(json_text(boost::json::object{{"channels", channels}})).c_str());
  else
    std::fputs(redact(text).c_str(), stdout);
  return failed ? 1 : 0;
}

// What `watch run` runs on, rebuilt whole on SIGHUP: the config, its state store and monitor. The
// monitor refers to both, so they are kept on the heap and outlive it.
struct Setup {
  std::unique_ptr<Config> config;
  std::shared_ptr<state::Store> store;
  std::shared_ptr<watch::Monitor> monitor;
};

// The monitor /metrics reads, swapped by a reload while the listener's threads may read it.
class Current {
 public:
  std::shared_ptr<watch::Monitor> get() const EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    return monitor_;
  }
  void set(std::shared_ptr<watch::Monitor> m) EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    monitor_ = std::move(m);
  }

 private:
  mutable Mutex mutex_;
  std::shared_ptr<watch::Monitor> monitor_ GUARDED_BY(mutex_);
};

watch::HistoryPolicy history_policy(const Config& config) {
  return {.raw = config.watch.history_raw, .keep = config.watch.history_keep};
}

// A monitor for `config`, on `store` when it is given and names the same state.url, else on a
// store opened now.
Result<Setup> set_up(Config config, const Setup* running, const std::string& holder, watch::History& history,
                     const watch::Log& log) {
  if (config.watch.probes.empty()) return fail(no_probe(config));
  Setup s{.config = std::make_unique<Config>(std::move(config))};
  if (running && running->config->state.url == s.config->state.url) {
    s.store = running->store;
  } else {
    auto db = state::open(*s.config);
    if (!db) return fail(db.error());
    s.store = std::move(*db);
  }
  auto monitor = watch::Monitor::open(*s.config, *s.store, {}, holder);
  if (!monitor) return fail(monitor.error());
  s.monitor = std::move(*monitor);
  s.monitor->attach(&history, &log);
  return s;
}

// /health and /metrics of the monitor `current` holds.
Result<std::unique_ptr<net::HttpServer>> serve(const std::string& listen, const Current& current) {
  auto started = net::HttpServer::start(listen, "watch.listen", [&current](const auto& req) {
    if (req.path == "/health") return net::ServerAnswer{200, "text/plain", "ok\n"};
    if (req.path == "/metrics") return net::ServerAnswer{200, "text/plain; version=0.0.4", current.get()->metrics()};
    return net::ServerAnswer{404, "text/plain", "not found: /health and /metrics are served here\n"};
  });
  if (!started) return fail(started.error());
  return std::move(*started);
}

int run(const CommonOptions& common) {
  auto config = watch_config(common);
  if (!config) return 2;
  // SIGINT and SIGTERM (stop) and SIGHUP (reload) are taken by sigtimedwait() in the loop below;
  // blocked before any thread starts (the listener, notify's senders), so that none of them is
  // interrupted instead.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  // This process in the leader's lease: two instances on one store elect one that probes and sends.
  unsigned char nonce[4];
  RAND_bytes(nonce, sizeof nonce);
  const std::string holder =
      fmt::format("{}:{}:{:02x}{:02x}{:02x}{:02x}", host_name(), ::getpid(), nonce[0], nonce[1], nonce[2], nonce[3]);
  watch::Log log(config->watch.log_format == "json");
  watch::History history(history_policy(*config));
  auto setup = set_up(std::move(*config), nullptr, holder, history, log);
  if (!setup) return report_error(setup.error());
  Current current;
  current.set(setup->monitor);
  std::unique_ptr<net::HttpServer> server;
  if (!setup->config->watch.listen.empty()) {
    auto started = serve(setup->config->watch.listen, current);
    if (!started) return report_error(started.error());
    server = std::move(*started);
  }
  log.write(watch::Level::info,
            fmt::format("{} probe(s), state in {}{}", setup->config->watch.probes.size(), setup->store->describe(),
                        server ? fmt::format(", /health and /metrics on port {}", server->port()) : ""),
            {{"event", "start"},
             {"probes", std::to_string(setup->config->watch.probes.size())},
             {"state", setup->store->describe()},
             {"port", server ? std::to_string(server->port()) : ""}});

  // SIGHUP: the new config, or the old one kept when anything in the new one is wrong.
  const auto reload = [&] {
    auto loaded = load_config_checked(common);
    if (!loaded) {
      for (const Error& e : loaded.error())
        log.write(watch::Level::error, "reload: " + e.render(), {{"event", "reload-failed"}, {"error", e.render()}});
      log.write(watch::Level::error,
                fmt::format("reload: {} problem(s) in the configuration; still running the previous one",
                            loaded.error().size()),
                {{"event", "reload-failed"}});
      return;
    }
    const std::string listen = loaded->watch.listen;
    if (auto r = history.flush(*setup->store, watch::Clock::now(), true); !r)
      log.write(watch::Level::error, r.error().render(), {{"event", "history"}});
    auto next = set_up(std::move(*loaded), &*setup, holder, history, log);
    std::unique_ptr<net::HttpServer> next_server;
    if (next && listen != setup->config->watch.listen && !listen.empty()) {
      auto started = serve(listen, current);
      if (!started)
        next = fail(started.error());
      else
        next_server = std::move(*started);
    }
    if (!next) {
      log.write(watch::Level::error, "reload: " + next.error().render() + "; still running the previous config",
                {{"event", "reload-failed"}, {"error", next.error().render()}});
      return;
    }
    current.set(next->monitor);
    if (listen != setup->config->watch.listen) {
      if (server) server->close();
      server = std::move(next_server);
    }
    setup = std::move(next);
    log.set_json(setup->config->watch.log_format == "json");
    history.set_policy(history_policy(*setup->config));
    log.write(watch::Level::info, fmt::format("reloaded: {} probe(s)", setup->config->watch.probes.size()),
              {{"event", "reload"}, {"probes", std::to_string(setup->config->watch.probes.size())}});
  };

  std::optional<bool> leading;  // said when it changes, and on the first turn
  std::string last_error;
  while (true) {
    auto& monitor = *setup->monitor;
    const auto now = watch::Clock::now();
    auto turned = monitor.turn(now);
    // An error is logged when it starts or changes, not every second while it lasts.
    const std::string error = turned ? "" : turned.error().render();
    if (!error.empty() && error != last_error) log.write(watch::Level::error, error, {{"event", "error"}});
    last_error = error;
    if (leading != monitor.leading()) {
      leading = monitor.leading();
      log.write(watch::Level::info,
                *leading ? "leading: this instance probes and sends"
                         : "standing by: another instance leads (it holds the lease in the state store)",
                {{"event", *leading ? "leading" : "standing-by"}});
    }
    if (auto r = history.flush(*setup->store, watch::Clock::now()); !r)
      log.write(watch::Level::error, r.error().render(), {{"event", "history"}});
    const auto wait = std::clamp<watch::Clock::duration>(monitor.next_due() - watch::Clock::now(),
                                                         std::chrono::milliseconds(1), kMaxSleep);
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
    const timespec timeout{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    const int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig == SIGHUP) reload();
    if (sig == SIGINT || sig == SIGTERM) {
      const char* name = sig == SIGINT ? "SIGINT" : "SIGTERM";
      if (auto r = history.flush(*setup->store, watch::Clock::now(), true); !r)
        log.write(watch::Level::error, r.error().render(), {{"event", "history"}});
      log.write(watch::Level::info, fmt::format("stopped by {}", name), {{"event", "stop"}, {"signal", name}});
      break;
    }
  }
  setup->monitor->resign();
  if (server) server->close();
  return 0;
}

}  // namespace

int run_watch(const Args& args) {
  CLI::App app{"Watch the application: probes on a schedule, alerts when one stays down, notices when it is back.",
               args[0]};
  app.footer(
      "Examples:\n"
      "  slipway watch check                  # run every [[watch.probe]] once (CI, a first try)\n"
      "  slipway watch run                    # the daemon; SIGINT or SIGTERM stops it\n"
      "  slipway watch status --format json   # each probe's stored state, windows, leader\n"
      "  slipway watch silence --for 30m --probe api --reason \"db upgrade\"\n"
      "  slipway watch history --since 7d     # uptime, p50/p95 and alert events per probe\n"
      "  slipway watch test-alert             # a test notification through every channel\n"
      "  kill -HUP <pid>                      # watch run reloads slipway.toml (keeps the old one if invalid)\n\n"
      "  [[watch.probe]]\n"
      "  name = \"api\"\n"
      "  url = \"http://127.0.0.1:3000/health\"\n"
      "  conditions = [\"status == 200\", \"duration < 500ms\"]\n"
      "  every = \"5m\"          # retry_every = \"30s\", down_after = \"2m\", up_after = 2\n\n"
      "Kinds: http, tcp, tls (certificate), postgres, sql (a number a query returns), host (cpu,\n"
      "memory, disk), metrics (a Prometheus endpoint's error rate and latency).\n\n"
      "Exit codes: 0 ok (check: every probe passed), 1 check: a probe failed, test-alert: a channel failed,\n"
      "2 bad usage or config, 3 the state database could not be opened.\n"
      "docs/commands/watch.md has a complete example.");
  CommonOptions common;
  add_common_options(app, common, "text, json (check also junit, markdown)");
  app.fallthrough();
  auto* run_cmd = app.add_subcommand("run", "the daemon: probe on schedule, keep alert state, send notifications");
  auto* check_cmd = app.add_subcommand("check", "validate the config and run every probe once; exit 1 if one fails");
  auto* status_cmd = app.add_subcommand("status", "each probe's stored state, the open windows and the leader");
  auto* silence_cmd = app.add_subcommand("silence", "hold back a probe's alerts for a while (a window), or end that");
  SilenceOptions so;
  silence_cmd->add_option("--for", so.for_text, "how long, e.g. 30m or 2h (at most 7d)");
  silence_cmd->add_option("--probe", so.probes, "a probe to silence (repeatable; default: every probe)");
  silence_cmd->add_option("--reason", so.reason, "why, shown in `watch status` and at the end");
  silence_cmd->add_option("--end", so.end, "end window ID now (ids are in `watch status`)");
  std::string probe;
  std::string since = "24h";
  auto* history_cmd =
      app.add_subcommand("history", "per probe: uptime, runs, failures, p50/p95 latency; and the alert events");
  history_cmd->add_option("--probe", probe, "one probe only");
  history_cmd->add_option("--since", since, "the period up to now (default 24h)");
  std::string channel;
  std::string severity = "critical";
  auto* test_cmd =
      app.add_subcommand("test-alert", "send a marked test notification through each channel; exit 1 if one failed");
  test_cmd->add_option("--channel", channel, "webhook, slack, pagerduty, email or sms (default: every configured one)");
  test_cmd->add_option("--severity", severity, "critical (default) or warning");
  app.require_subcommand(1);
  if (auto code = parse(app, args)) return *code;
  if (run_cmd->parsed()) return run(common);
  if (check_cmd->parsed()) return check(common);
  if (silence_cmd->parsed()) return silence(common, so);
  if (history_cmd->parsed()) return history(common, probe, since);
  if (test_cmd->parsed()) return test_alert(common, channel, severity);
  (void)status_cmd;
  return status(common);
}

}  // namespace slipway::cli
