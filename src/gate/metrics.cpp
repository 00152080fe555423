#include "gate/metrics.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "core/time.hpp"

namespace slipway::gate {

void Metrics::Shard::upstream_latency(double seconds) {
  std::size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
  latency[i].fetch_add(1, std::memory_order_relaxed);
  latency_sum_us.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

Metrics::Metrics(std::size_t shards) {
  for (std::size_t i = 0; i < std::max<std::size_t>(shards, 1); ++i) shards_.push_back(std::make_unique<Shard>());
}

std::uint64_t Metrics::total_requests() const {
  std::uint64_t n = 0;
  for (const auto& s : shards_) {
    for (const auto& by_mode : s->requests) {
      for (const auto& c : by_mode) n += c.load(std::memory_order_relaxed);
    }
  }
  return n;
}

std::string Metrics::prometheus(Mode mode, int connections, int in_flight) const {
  std::string out;
  out += "# HELP slipway_gate_requests_total Requests answered, by the gate's mode and the status sent.\n";
  out += "# TYPE slipway_gate_requests_total counter\n";
  for (std::size_t m = 0; m < 3; ++m) {
    for (std::size_t status = 0; status < 600; ++status) {
      std::uint64_t n = 0;
      for (const auto& s : shards_) n += s->requests[m][status].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out +=
          fmt::format("slipway_gate_requests_total{{mode=\"{}\",status=\"{}\"}} {}\n", to_string(Mode(m)), status, n);
    }
  }
  std::uint64_t rejected = 0;
  for (const auto& s : shards_) rejected += s->rejected.load(std::memory_order_relaxed);
  out += "# HELP slipway_gate_rejected_total Requests refused with 503 in maintenance or read-only mode.\n";
  out += "# TYPE slipway_gate_rejected_total counter\n";
  out += fmt::format("slipway_gate_rejected_total {}\n", rejected);

  out += "# HELP slipway_gate_upstream_latency_seconds Time from sending a request upstream to its response header.\n";
  out += "# TYPE slipway_gate_upstream_latency_seconds histogram\n";
  std::uint64_t cumulative = 0;
  std::uint64_t sum_us = 0;
  for (const auto& s : shards_) sum_us += s->latency_sum_us.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i <= kBuckets.size(); ++i) {
    for (const auto& s : shards_) cumulative += s->latency[i].load(std::memory_order_relaxed);
    const std::string le = i < kBuckets.size() ? fmt::format("{}", kBuckets[i]) : "+Inf";
    out += fmt::format("slipway_gate_upstream_latency_seconds_bucket{{le=\"{}\"}} {}\n", le, cumulative);
  }
  out += fmt::format("slipway_gate_upstream_latency_seconds_sum {}\n", static_cast<double>(sum_us) / 1e6);
  out += fmt::format("slipway_gate_upstream_latency_seconds_count {}\n", cumulative);

  out += "# HELP slipway_gate_mode The gate's mode (1 for the current one).\n# TYPE slipway_gate_mode gauge\n";
  for (Mode m : {Mode::normal, Mode::maintenance, Mode::read_only}) {
    out += fmt::format("slipway_gate_mode{{mode=\"{}\"}} {}\n", to_string(m), m == mode ? 1 : 0);
  }
  out += "# HELP slipway_gate_connections Open client connections.\n# TYPE slipway_gate_connections gauge\n";
  out += fmt::format("slipway_gate_connections {}\n", connections);
  out += "# HELP slipway_gate_in_flight Requests being answered.\n# TYPE slipway_gate_in_flight gauge\n";
  out += fmt::format("slipway_gate_in_flight {}\n", in_flight);
  return out;
}

Result<std::unique_ptr<AccessLog>> AccessLog::open(const std::filesystem::path& path, std::uint64_t max_size,
                                                   int keep) {
  if (path.empty()) return std::unique_ptr<AccessLog>();
  auto log = std::make_unique<AccessLog>();
  if (path == "-") {
    log->file_ = stdout;
    return log;
  }
  log->path_ = path;
  log->max_size_ = max_size;
  log->keep_ = std::max(keep, 1);
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (auto ok = log->reopen_locked(); !ok) return fail(ok.error());
  return log;
}

Result<void> AccessLog::reopen() {
  std::lock_guard lock(mutex_);
  return reopen_locked();
}

Result<void> AccessLog::reopen_locked() {
  if (path_.empty()) return {};  // stdout
  std::FILE* next = std::fopen(path_.c_str(), "ae");
  if (!next) {
    return fail(Error::environment(fmt::format("cannot open the access log: {}", std::strerror(errno)), path_.string(),
                                   "check gate.access_log and the permissions of its folder"));
  }
  if (owned_) std::fclose(file_);
  file_ = next;
  owned_ = true;
  std::error_code ec;
  const auto size = std::filesystem::file_size(path_, ec);
  size_ = ec ? 0 : size;
  return {};
}

void AccessLog::rotate_locked() {
  std::fflush(file_);
  std::error_code ec;
  const auto numbered = [&](int n) { return std::filesystem::path(path_.string() + "." + std::to_string(n)); };
  std::filesystem::remove(numbered(keep_), ec);
  for (int n = keep_ - 1; n >= 1; --n) {
    std::filesystem::rename(numbered(n), numbered(n + 1), ec);  // a missing one is no error worth a word
  }
  std::filesystem::rename(path_, numbered(1), ec);
  auto ok = ec ? fail(Error::environment(ec.message(), path_.string())) : reopen_locked();
  if (!ok) {
    size_ = 0;  // keep writing to the old file; try again after another max_size
    if (!rotate_failed_) {
      rotate_failed_ = true;
      std::fputs(fmt::format("slipway: gate: cannot rotate the access log {}: {}\n", path_.string(), ok.error().message)
                     .c_str(),
                 stderr);
    }
  }
}

AccessLog::~AccessLog() {
  if (file_) std::fflush(file_);
  if (owned_) std::fclose(file_);
}

void AccessLog::flush() {
  std::lock_guard lock(mutex_);
  if (file_) std::fflush(file_);
}

void AccessLog::write(const AccessEntry& e) {
  const auto quote = [](std::string_view s) { return boost::json::serialize(boost::json::string_view(s)); };
  const std::string line = fmt::format(
      "{{\"time\":\"{}\",\"client\":{},\"method\":{},\"target\":{},\"status\":{},\"mode\":\"{}\","
      "\"upstream\":{},\"duration_ms\":{:.3f},\"bytes\":{},\"admin\":{}}}\n",
      now_rfc3339(true), quote(e.client), quote(e.method), quote(e.target), e.status, to_string(e.mode),
      quote(e.upstream), e.duration_ms, e.bytes, e.admin ? "true" : "false");
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), file_);
  size_ += line.size();
  if (max_size_ > 0 && size_ >= max_size_) rotate_locked();
}

}  // namespace slipway::gate
