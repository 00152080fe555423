#include "watch/history.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "core/time.hpp"

namespace slipway::watch {

namespace {

constexpr double kBucketsPerDoubling = 8;
constexpr std::int64_t kHourMs = 3'600'000;
constexpr auto kFoldEvery = std::chrono::minutes(1);

int bucket_of(std::int64_t us) {
  return static_cast<int>(
      std::floor(kBucketsPerDoubling * std::log2(static_cast<double>(std::max<std::int64_t>(us, 0)) + 1)));
}

// The middle of a bucket (geometrically), in microseconds.
std::int64_t value_of(int bucket) {
  return std::llround(std::exp2((bucket + 0.5) / kBucketsPerDoubling) - 1);
}

std::int64_t hour_of(std::int64_t ms) {
  return ms - ms % kHourMs;
}

}  // namespace

void Latencies::add(std::int64_t us, std::int64_t count) {
  if (count <= 0) return;
  buckets_[bucket_of(us)] += count;
  count_ += count;
}

void Latencies::merge(const Latencies& other) {
  for (const auto& [bucket, n] : other.buckets_) buckets_[bucket] += n;
  count_ += other.count_;
}

std::int64_t Latencies::quantile(double q) const {
  if (count_ == 0) return 0;
  const auto rank = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(q * static_cast<double>(count_))));
  std::int64_t seen = 0;
  for (const auto& [bucket, n] : buckets_) {
    seen += n;
    if (seen >= rank) return value_of(bucket);
  }
  return value_of(buckets_.rbegin()->first);
}

std::string Latencies::text() const {
  std::string out;
  for (const auto& [bucket, n] : buckets_) out += fmt::format("{}{}:{}", out.empty() ? "" : " ", bucket, n);
  return out;
}

Latencies Latencies::parse(std::string_view text) {
  Latencies out;
  while (!text.empty()) {
    const auto space = text.find(' ');
    const std::string_view item = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    const auto colon = item.find(':');
    if (colon == std::string_view::npos) continue;
    int bucket = 0;
    std::int64_t n = 0;
    const auto b = std::from_chars(item.data(), item.data() + colon, bucket);
    const auto c = std::from_chars(item.data() + colon + 1, item.data() + item.size(), n);
    if (b.ec != std::errc() || c.ec != std::errc() || bucket < 0 || bucket > 1000 || n <= 0) continue;
    out.buckets_[bucket] += n;
    out.count_ += n;
  }
  return out;
}

void History::add(const std::string& probe, TimePoint at, bool ok, std::chrono::microseconds latency,
                  const std::string& reason) {
  pending_.push_back(
      {.probe = probe, .at_ms = to_unix_ms(at), .ok = ok, .latency_us = latency.count(), .reason = ok ? "" : reason});
}

Result<void> History::flush(state::Store& store, TimePoint now, bool force) {
  if (!pending_.empty() && (force || now - last_flush_ >= kFlushEvery)) {
    auto written = store.transaction([&] { return store.add_watch_results(pending_); });
    if (!written) {
      if (pending_.size() > kMaxPending)
        pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pending_.size() - kMaxPending));
      return written;
    }
    pending_.clear();
    last_flush_ = now;
  }
  if (now - last_fold_ < kFoldEvery) return {};
  last_fold_ = now;
  auto folded = downsample(store, now, policy_);
  if (!folded) return fail(folded.error());
  return {};
}

Result<void> record_event(state::Store& store, const std::string& probe, TimePoint at, std::string_view event,
                          const std::string& message) {
  return store.add_watch_event(
      {.probe = probe, .at_ms = to_unix_ms(at), .event = std::string(event), .message = message});
}

Result<std::size_t> downsample(state::Store& store, TimePoint now, const HistoryPolicy& policy, std::size_t limit) {
  const std::int64_t raw_before = to_unix_ms(now - policy.raw);
  const std::int64_t keep_before = to_unix_ms(now - policy.keep);
  std::size_t folded = 0;
  auto done = store.transaction([&]() -> Result<void> {
    auto rows = store.watch_results({.from_ms = 0, .to_ms = raw_before}, limit);
    if (!rows) return fail(rows.error());
    // Fold exactly the rows before `upto`: with a full slice, the rows at its last instant may
    // go on past it, so they wait for the next slice (unless the slice is all one instant).
    std::int64_t upto = raw_before;
    if (limit && rows->size() == limit) {
      upto = rows->back().at_ms;
      while (!rows->empty() && rows->back().at_ms == upto) rows->pop_back();
      if (rows->empty()) {
        rows = store.watch_results({.from_ms = upto, .to_ms = upto + 1});
        if (!rows) return fail(rows.error());
        ++upto;
      }
    }
    if (!rows->empty()) {
      std::map<std::pair<std::string, std::int64_t>, std::pair<state::WatchHourRow, Latencies>> hours;
      for (const auto& r : *rows) {
        auto& [hour, latencies] = hours[{r.probe, hour_of(r.at_ms)}];
        hour.probe = r.probe;
        hour.hour_ms = hour_of(r.at_ms);
        ++hour.runs;
        if (!r.ok) {
          ++hour.failures;
          continue;
        }
        hour.latency_sum_us += r.latency_us;
        hour.latency_max_us = std::max(hour.latency_max_us, r.latency_us);
        latencies.add(r.latency_us);
      }
      auto stored = store.watch_hours(
          {.from_ms = hours.begin()->first.second, .to_ms = std::prev(hours.end())->first.second + 1});
      if (!stored) return fail(stored.error());
      for (const auto& s : *stored) {
        const auto it = hours.find({s.probe, s.hour_ms});
        if (it == hours.end()) continue;
        auto& [hour, latencies] = it->second;
        hour.runs += s.runs;
        hour.failures += s.failures;
        hour.latency_sum_us += s.latency_sum_us;
        hour.latency_max_us = std::max(hour.latency_max_us, s.latency_max_us);
        latencies.merge(Latencies::parse(s.latency_buckets));
      }
      // Probes and hours in a slice are few; each hour is one statement.
      for (auto& [key, value] : hours) {
        value.first.latency_buckets = value.second.text();
        if (auto r = store.save_watch_hour(value.first); !r) return r;
      }
      if (auto r = store.delete_watch_results_before(upto); !r) return r;
      folded = rows->size();
    }
    if (auto r = store.delete_watch_hours_before(hour_of(keep_before), limit); !r) return r;
    return store.delete_watch_events_before(keep_before, limit);
  });
  if (!done) return fail(done.error());
  return folded;
}

Result<HistoryReport> read_history(state::Store& store, const std::vector<std::string>& names, const std::string& only,
                                   TimePoint from, TimePoint to) {
  const state::WatchSpan span{.from_ms = to_unix_ms(from), .to_ms = to_unix_ms(to), .probe = only};
  struct Totals {
    std::int64_t runs = 0;
    std::int64_t failures = 0;
    Latencies latencies;
  };
  std::map<std::string, Totals> by_probe;
  auto results = store.watch_results(span);
  if (!results) return fail(results.error());
  for (const auto& r : *results) {
    auto& t = by_probe[r.probe];
    ++t.runs;
    if (r.ok)
      t.latencies.add(r.latency_us);
    else
      ++t.failures;
  }
  auto hours = store.watch_hours(span);
  if (!hours) return fail(hours.error());
  for (const auto& h : *hours) {
    auto& t = by_probe[h.probe];
    t.runs += h.runs;
    t.failures += h.failures;
    t.latencies.merge(Latencies::parse(h.latency_buckets));
  }
  auto events = store.watch_events(span);
  if (!events) return fail(events.error());

  HistoryReport report{.from = from, .to = to, .probes = {}, .events = std::move(*events)};
  const auto add = [&](const std::string& name) {
    const Totals& t = by_probe[name];
    report.probes.push_back({.name = name,
                             .runs = t.runs,
                             .failures = t.failures,
                             .p50_us = t.latencies.quantile(0.5),
                             .p95_us = t.latencies.quantile(0.95)});
  };
  for (const auto& name : names)
    if (only.empty() || name == only) add(name);
  for (const auto& [name, totals] : by_probe)
    if (std::find(names.begin(), names.end(), name) == names.end()) add(name);
  return report;
}

}  // namespace slipway::watch
