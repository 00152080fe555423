#include "verify/websocket.hpp"

#include <fmt/format.h>

#include "net/websocket_client.hpp"
#include "verify/histogram.hpp"
#include "verify/threshold.hpp"

namespace slipway::verify {

std::string websocket_url(const std::string& base_url, const std::string& path) {
  std::string url = net::join_url(base_url, path);
  if (url.starts_with("https://")) return "wss://" + url.substr(8);
  if (url.starts_with("http://")) return "ws://" + url.substr(7);
  return url;
}

Result<void> run_websocket_check(const VerifySettings& settings, const Variables& vars, const Environment& env,
                                 const std::string& run_id, Report& report) {
  const auto& ws = settings.websocket;
  auto path = expand_template(ws.url, vars, env, run_id);
  if (!path) return fail(path.error());
  const std::string url = websocket_url(settings.base_url, *path);
  // The path only: a query may carry a token.
  const std::string subject = ws.url.substr(0, ws.url.find('?'));
  auto run = net::websocket_round_trips(url, ws.round_trips, ws.message, settings.client_options());
  if (!run) {
    if (run.error().kind == ErrorKind::bad_input) return fail(run.error());
    report.add("websocket-connect", "websocket", Status::fail, run.error().message).about(subject);
    return {};
  }
  Histogram h;
  for (auto rt : run->round_trips) h.record(static_cast<std::uint64_t>(std::max<std::int64_t>(1, rt.count())));
  report
      .add("websocket-connect", "websocket", Status::pass,
           fmt::format("connected in {:.1f} ms; {} {} round trips, p50 {:.2f} ms, max {:.2f} ms",
                       static_cast<double>(run->connect.count()) / 1000.0, run->round_trips.size(),
                       ws.message.empty() ? "ping" : "echo", static_cast<double>(h.percentile(50)) / 1000.0,
                       static_cast<double>(h.max()) / 1000.0))
      .about(subject);
  std::vector<Threshold> thresholds = ws.thresholds;
  if (thresholds.empty()) thresholds.push_back(*parse_threshold("p(95) < 100ms"));
  const Observed observed{&h, h.count(), 0, 0};
  for (const auto& t : thresholds) {
    const Verdict v = evaluate(t, observed);
    report.add("websocket-budget", "websocket", v.pass ? Status::pass : Status::fail, v.message)
        .about(fmt::format("{}: {}", subject, t.text));
  }
  return {};
}

}  // namespace slipway::verify
