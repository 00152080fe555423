#include "watch/request_window.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>

namespace slipway::watch {

namespace {

bool server_error(const PromSample& s) {
  for (std::string_view label : {"status", "code", "status_code"}) {
    const auto v = s.label(label);
    if (!v.empty()) return v.size() == 3 && v.front() == '5';
  }
  return false;
}

bool typed(const PromText& text, std::string_view name) {
  return std::any_of(text.types.begin(), text.types.end(), [&](const auto& t) { return t.first == name; });
}

// How much a counter grew from `before` to `after`: a decrease (or `reset`) is a restart, after
// which it counted `after` from zero. Counts too large to subtract grow by nothing.
double increase(double before, double after, bool reset = false) {
  const double grown = reset || after < before ? after : after - before;
  return std::isfinite(grown) ? grown : 0;
}

}  // namespace

Scrape reduce_scrape(const PromText& text, std::string_view requests, std::string_view duration) {
  Scrape out;
  const std::string bucket = std::string(duration) + "_bucket";
  std::map<double, double> buckets;
  for (const auto& s : text.samples) {
    if (!std::isfinite(s.value) || s.value < 0) continue;  // a counter is a count
    if (s.name == requests) {
      out.has_requests = true;
      out.requests += s.value;
      if (server_error(s)) out.errors += s.value;
    } else if (s.name == bucket) {
      double le = 0;
      // A bucket with no bound, or one below everything, cannot be placed.
      if (!parse_prometheus_value(s.label("le"), le) || std::isnan(le) ||
          le == -std::numeric_limits<double>::infinity())
        continue;
      out.has_histogram = true;
      buckets[le] += s.value;
    }
  }
  out.has_requests = out.has_requests || typed(text, requests);
  out.has_histogram = out.has_histogram || typed(text, duration);
  out.buckets.assign(buckets.begin(), buckets.end());
  return out;
}

double histogram_quantile(double q, Buckets buckets) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (std::isnan(q)) return nan;
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  std::sort(buckets.begin(), buckets.end());
  if (buckets.size() < 2 || !std::isinf(buckets.back().first)) return nan;
  for (std::size_t i = 1; i < buckets.size(); ++i)  // counts that go down are noise: keep them monotonic
    buckets[i].second = std::max(buckets[i].second, buckets[i - 1].second);
  const double observations = buckets.back().second;
  if (!(observations > 0)) return nan;
  double rank = q * observations;
  std::size_t b = 0;
  while (b < buckets.size() && buckets[b].second < rank) ++b;
  if (b >= buckets.size() - 1) return buckets[buckets.size() - 2].first;
  if (b == 0 && buckets[0].first <= 0) return buckets[0].first;
  double start = 0;
  double count = buckets[b].second;
  if (b > 0) {
    start = buckets[b - 1].first;
    count -= buckets[b - 1].second;
    rank -= buckets[b - 1].second;
  }
  if (!(count > 0)) return buckets[b].first;
  // start + (end - start) * share, written so that far-apart bounds cannot overflow
  const double end = buckets[b].first;
  const double share = std::clamp(rank / count, 0.0, 1.0);
  return std::clamp(start * (1 - share) + end * share, start, end);
}

RequestWindow::RequestWindow(std::chrono::milliseconds window, std::size_t max_scrapes)
    : window_(window), max_scrapes_(std::max<std::size_t>(max_scrapes, 2)) {}

void RequestWindow::add(TimePoint at, Scrape scrape) {
  scrapes_.emplace_back(at, std::move(scrape));
  // Keep one scrape at or before the window's start (the baseline), none older.
  while (scrapes_.size() > 2 && scrapes_[1].first <= at - window_) scrapes_.pop_front();
  while (scrapes_.size() > max_scrapes_) scrapes_.pop_front();
}

void RequestWindow::restart() {
  while (scrapes_.size() > 1) scrapes_.pop_front();
}

RequestWindow::Growth RequestWindow::growth() const {
  Growth out;
  if (scrapes_.size() < 2) return out;
  out.span = std::chrono::duration_cast<std::chrono::milliseconds>(scrapes_.back().first - scrapes_.front().first);
  out.buckets = scrapes_.back().second.buckets;
  for (auto& b : out.buckets) b.second = 0;
  for (std::size_t i = 1; i < scrapes_.size(); ++i) {
    const Scrape& before = scrapes_[i - 1].second;
    const Scrape& after = scrapes_[i].second;
    const bool reset = after.requests < before.requests;  // the whole process restarted
    out.requests += increase(before.requests, after.requests, reset);
    out.errors += increase(before.errors, after.errors, reset);
    // The buckets grow together: a decrease in any, or other bounds, is a reset of the histogram.
    bool same = before.buckets.size() == after.buckets.size();
    for (std::size_t k = 0; same && k < after.buckets.size(); ++k)
      same = before.buckets[k].first == after.buckets[k].first && after.buckets[k].second >= before.buckets[k].second;
    if (after.buckets.size() != out.buckets.size()) continue;  // bounds other than the last scrape's
    for (std::size_t k = 0; k < after.buckets.size(); ++k) {
      if (after.buckets[k].first != out.buckets[k].first) break;
      const double now = after.buckets[k].second;
      out.buckets[k].second += same ? increase(before.buckets[k].second, now) : increase(0, now, true);
    }
  }
  return out;
}

}  // namespace slipway::watch
