// The metrics probe: scrapes a Prometheus text endpoint (the gate's /metrics by default names),
// keeps the scrapes of the last `window` (request_window.hpp) and judges what grew over them:
// the share of 5xx answers against error_rate_above, and p50/p95/p99 of the latency histogram
// against p50_above/p95_above/p99_above. Below min_requests in the window nothing is judged (one
// failure out of two requests is not a 50 % error rate) and the probe passes with a note.
#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

#include "core/redact.hpp"
#include "net/http_client.hpp"
#include "watch/probe_kinds.hpp"
#include "watch/prometheus_text.hpp"
#include "watch/request_window.hpp"

namespace slipway::watch {

namespace {

constexpr std::size_t kMaxScrapeBytes = 16u << 20;

std::string seconds_text(double s) {
  return s < 1 ? fmt::format("{:.0f} ms", s * 1000) : fmt::format("{:.2f} s", s);
}

struct Percentile {
  double q;
  const char* name;  // "p95"
  Duration above;    // 0: not judged
};

class MetricsProbe final : public Probe {
 public:
  explicit MetricsProbe(const WatchProbe& p)
      : client_(net::ClientOptions{.timeout = p.timeout, .body_limit = kMaxScrapeBytes}),
        url_(p.url),
        requests_(p.requests),
        duration_(p.duration),
        bucket_(p.duration + "_bucket"),
        error_rate_above_(p.error_rate_above),
        min_requests_(p.min_requests),
        percentiles_{{{0.5, "p50", p.p50_above}, {0.95, "p95", p.p95_above}, {0.99, "p99", p.p99_above}}},
        window_(p.window) {}

  ProbeResult run() override {
    const auto start = Steady::now();
    net::HttpRequest request;
    request.url = url_;
    request.headers = {{"Accept", "text/plain; version=0.0.4"}};
    auto response = client_.send(request);
    if (!response) return failed(response.error().message, start);
    if (response->status != 200) return failed(fmt::format("GET {} answered {}", url_, response->status), start);
    auto text = parse_prometheus_text(response->body,
                                      [&](std::string_view name) { return name == requests_ || name == bucket_; });
    if (!text) return failed(fmt::format("{}: {}", url_, text.error().message), start);
    Scrape scrape = reduce_scrape(*text, requests_, duration_);
    if (!scrape.has_requests)
      return failed(
          fmt::format("{} has no counter {} (set requests = the name of the request counter)", url_, requests_), start);
    const bool latency_judged = std::any_of(percentiles_.begin(), percentiles_.end(),
                                            [](const Percentile& p) { return p.above > Duration::zero(); });
    if (latency_judged && !scrape.has_histogram)
      return failed(fmt::format("{} has no histogram {} (set duration = the histogram's name, or p95_above = \"0s\")",
                                url_, duration_),
                    start);
    window_.add(Steady::now(), std::move(scrape));
    return judge(window_.growth(), start);
  }
  void restart_window() override { window_.restart(); }

 private:
  ProbeResult judge(const RequestWindow::Growth& g, Steady::time_point start) const {
    ProbeResult out{true, "", since(start)};
    out.values.emplace_back("requests", g.requests);
    if (g.requests < static_cast<double>(min_requests_) || g.requests <= 0) {
      out.note = fmt::format("{:.0f} requests in the window, fewer than min_requests = {}", g.requests, min_requests_);
      return out;
    }
    const std::string over = fmt::format("{:.0f} requests in the last {}", g.requests,
                                         format_duration(std::chrono::floor<std::chrono::seconds>(g.span)));
    std::vector<std::string> problems;
    const double rate = g.errors / g.requests;
    out.values.emplace_back("error_rate", rate);
    if (rate * 100 > error_rate_above_)
      problems.push_back(fmt::format("error rate {:.1f} % ({:.0f} 5xx of {}), above error_rate_above = {} %",
                                     rate * 100, g.errors, over, error_rate_above_));
    for (const auto& p : percentiles_) {
      const double v = histogram_quantile(p.q, g.buckets);
      if (std::isnan(v)) continue;  // no latency observed in the window
      out.values.emplace_back(fmt::format("{}_seconds", p.name), v);
      if (p.above > Duration::zero() && v > std::chrono::duration<double>(p.above).count())
        problems.push_back(fmt::format("{} {} over {}, above {}_above = {}", p.name, seconds_text(v), over, p.name,
                                       format_duration(p.above)));
    }
    if (!problems.empty()) {
      out.ok = false;
      out.reason = problems[0];
      for (std::size_t i = 1; i < problems.size(); ++i) out.reason += "; " + problems[i];
      out.reason = redact(out.reason);
    }
    return out;
  }

  net::HttpClient client_;
  std::string url_;
  std::string requests_;
  std::string duration_;
  std::string bucket_;
  double error_rate_above_;
  std::int64_t min_requests_;
  std::array<Percentile, 3> percentiles_;
  RequestWindow window_;
};

}  // namespace

Result<std::unique_ptr<Probe>> make_metrics_probe(const WatchProbe& p, const Config& config) {
  if (auto url = probe_url(p, config); !url) return fail(url.error());
  return std::unique_ptr<Probe>(std::make_unique<MetricsProbe>(p));
}

}  // namespace slipway::watch
