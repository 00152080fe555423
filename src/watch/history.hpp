// Probe history: every result of every probe, and every alert event, in the state store; and what
// `slipway watch history` prints from them.
//
// The daemon hands each result to a History (no I/O), which writes the buffered rows in one
// transaction every few seconds (one INSERT per 100 rows), so a probe run costs no round trip of
// its own. Results older than `watch.history_raw` (48h) are folded into one row per probe and hour
// (runs, failures, the sum, maximum and a histogram of the latencies of the runs that passed) and
// deleted; hourly rows and events older than `watch.history_keep` (90d) are deleted. Folding runs
// at most once a minute and takes at most kFoldLimit results per run, so a backlog of millions of
// rows is worked off a slice at a time while probing goes on.
//
// Percentiles come from a histogram of 8 buckets per doubling of the latency in microseconds, the
// same for raw and hourly rows, so a p95 over 90 days is as good as one over an hour: within 5 %.
//
//   results of "api" on 2026-12-01 10:00..10:59: 12 runs, 1 failed, latencies 9..31 ms
//   -> watch_results_hourly ("api", 2026-12-01T10:00Z, runs 12, failures 1, sum 187 ms, max 31 ms,
//      buckets "107:3 108:5 ...")
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/units.hpp"
#include "state/store.hpp"
#include "watch/alert.hpp"

namespace slipway::watch {

// A histogram of latencies in microseconds, 8 buckets per doubling.
class Latencies {
 public:
  void add(std::int64_t us, std::int64_t count = 1);
  void merge(const Latencies& other);
  [[nodiscard]] std::int64_t count() const { return count_; }
  // The latency below which a share `q` (0..1) of the runs fell, in microseconds (the middle of
  // its bucket, within 5 %); 0 when empty.
  [[nodiscard]] std::int64_t quantile(double q) const;
  // "bucket:count bucket:count ...", as watch_results_hourly keeps it; parse() skips what it
  // cannot read.
  [[nodiscard]] std::string text() const;
  static Latencies parse(std::string_view text);

 private:
  std::map<int, std::int64_t> buckets_;
  std::int64_t count_ = 0;
};

struct HistoryPolicy {
  Duration raw = std::chrono::hours(48);
  Duration keep = std::chrono::hours(24 * 90);
};

// Results of one run of the daemon, buffered and written in batches.
class History {
 public:
  explicit History(HistoryPolicy policy) : policy_(policy) {}
  void set_policy(HistoryPolicy policy) { policy_ = policy; }

  // Keeps one result for the next write; no I/O.
  void add(const std::string& probe, TimePoint at, bool ok, std::chrono::microseconds latency,
           const std::string& reason);
  // Writes the buffered results when kFlushEvery passed since the last write (or `force`), in one
  // transaction, then folds old rows when a minute passed since the last fold. On a failure the
  // results stay buffered (at most kMaxPending, the oldest dropped first) for the next call.
  Result<void> flush(state::Store& store, TimePoint now, bool force = false);
  [[nodiscard]] std::size_t pending() const { return pending_.size(); }

  static constexpr auto kFlushEvery = std::chrono::seconds(5);
  static constexpr std::size_t kMaxPending = 100'000;

 private:
  HistoryPolicy policy_;
  std::vector<state::WatchResultRow> pending_;
  TimePoint last_flush_{};
  TimePoint last_fold_{};
};

// Records an alert event; call it in the transaction that adds the event's outbox row.
Result<void> record_event(state::Store& store, const std::string& probe, TimePoint at, std::string_view event,
                          const std::string& message);

inline constexpr std::size_t kFoldLimit = 5000;

// Folds the results older than now - policy.raw into hourly rows (at most about `limit` of them,
// oldest first) and deletes them, and deletes hourly rows and events older than now - policy.keep
// (at most `limit` of each), in one transaction. Returns how many results it folded.
Result<std::size_t> downsample(state::Store& store, TimePoint now, const HistoryPolicy& policy,
                               std::size_t limit = kFoldLimit);

// What `watch history` shows of one probe over a period.
struct ProbeHistory {
  std::string name;
  std::int64_t runs = 0;
  std::int64_t failures = 0;
  std::int64_t p50_us = 0;  // of the runs that passed; 0 when none did
  std::int64_t p95_us = 0;
  // The share of runs that passed, 0..1; 1 when there were no runs.
  [[nodiscard]] double uptime() const {
    return runs ? static_cast<double>(runs - failures) / static_cast<double>(runs) : 1.0;
  }
};

struct HistoryReport {
  TimePoint from;
  TimePoint to;
  std::vector<ProbeHistory> probes;
  std::vector<state::WatchEventRow> events;  // newest first
};

// The history from `from` to `to`: `names` first, in their order, then any other probe with rows
// in the period; only `only` when it is not empty. Hourly rows count when their hour starts in
// the period.
Result<HistoryReport> read_history(state::Store& store, const std::vector<std::string>& names, const std::string& only,
                                   TimePoint from, TimePoint to);

}  // namespace slipway::watch
