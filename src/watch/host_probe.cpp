#include "watch/host_probe.hpp"

#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include "core/fs.hpp"
#include "core/time.hpp"
#include "watch/probe_kinds.hpp"

namespace slipway::watch {

namespace {

constexpr auto kFirstCpuSample = std::chrono::milliseconds(200);
constexpr std::uint64_t kMaxProcFile = 1u << 20;

// The numbers after `label` on its line of `text` ("cpu " in /proc/stat, "MemTotal:" in
// /proc/meminfo), up to `max` of them.
std::vector<double> numbers_after(std::string_view text, std::string_view label, std::size_t max) {
  std::vector<double> out;
  std::size_t at = 0;
  while (at < text.size() && text.compare(at, label.size(), label) != 0) {
    const auto next = text.find('\n', at);
    at = next == std::string_view::npos ? text.size() : next + 1;
  }
  if (at >= text.size()) return out;
  std::string_view line = text.substr(at + label.size());
  line = line.substr(0, line.find('\n'));
  while (out.size() < max) {
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    double v = 0;
    const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), v);
    if (ec != std::errc()) break;
    out.push_back(v);
    line.remove_prefix(static_cast<std::size_t>(end - line.data()));
  }
  return out;
}

std::string percent(double p) {
  return fmt::format("{:.1f} %", p);
}

}  // namespace

void DiskForecast::add(TimePoint at, double free_bytes) {
  samples_.emplace_back(at, free_bytes);
  while (samples_.size() > max_samples_) samples_.pop_front();
}

std::optional<std::chrono::seconds> DiskForecast::time_to_full(double* rate) const {
  if (samples_.size() < 3) return std::nullopt;
  const auto t0 = samples_.front().first;
  const auto x = [&](const auto& s) { return std::chrono::duration<double>(s.first - t0).count(); };
  if (x(samples_.back()) < 1.0) return std::nullopt;
  double mx = 0, my = 0;
  for (const auto& s : samples_) {
    mx += x(s);
    my += s.second;
  }
  const auto n = static_cast<double>(samples_.size());
  mx /= n;
  my /= n;
  double sxy = 0, sxx = 0;
  for (const auto& s : samples_) {
    sxy += (x(s) - mx) * (s.second - my);
    sxx += (x(s) - mx) * (x(s) - mx);
  }
  if (sxx <= 0) return std::nullopt;
  const double slope = sxy / sxx;  // bytes per second
  if (slope >= 0) return std::nullopt;
  if (rate) *rate = -slope * 3600;
  const double free_now = std::max(0.0, my + slope * (x(samples_.back()) - mx));
  return std::chrono::seconds(static_cast<std::int64_t>(free_now / -slope));
}

HostProbe::HostProbe(const WatchProbe& p, std::filesystem::path proc)
    : check_(p.check), above_(p.above), path_(p.path), forecast_(p.forecast), proc_(std::move(proc)) {}

ProbeResult HostProbe::run() {
  if (check_ == "cpu") return cpu();
  if (check_ == "memory") return memory();
  return disk();
}

Result<HostProbe::CpuTimes> HostProbe::read_cpu() const {
  auto text = read_text_file(proc_ / "stat", kMaxProcFile);
  if (!text) return fail(text.error());
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const auto f = numbers_after(*text, "cpu ", 8);
  if (f.size() < 5)
    return fail(Error::environment(fmt::format("{} has no \"cpu\" line of times", (proc_ / "stat").string())));
  CpuTimes t;
  for (double v : f) t.total += v;
  t.busy = t.total - f[3] - f[4];
  return t;
}

ProbeResult HostProbe::cpu() {
  const auto start = Steady::now();
  if (!last_cpu_) {
    auto first = read_cpu();
    if (!first) return failed(one_line(first.error()), start);
    last_cpu_ = *first;
    std::this_thread::sleep_for(kFirstCpuSample);
  }
  auto now = read_cpu();
  if (!now) return failed(one_line(now.error()), start);
  const double total = now->total - last_cpu_->total;
  const double busy = now->busy - last_cpu_->busy;
  last_cpu_ = *now;
  ProbeResult out{true, "", since(start)};
  if (total <= 0) {
    out.note = "no CPU time passed between two readings of /proc/stat";
    return out;
  }
  const double p = std::clamp(busy / total * 100, 0.0, 100.0);
  out.values.emplace_back("percent", p);
  if (p > above_) {
    out.ok = false;
    out.reason = fmt::format("CPU {} busy, above {}", percent(p), percent(above_));
  }
  return out;
}

ProbeResult HostProbe::memory() {
  const auto start = Steady::now();
  auto text = read_text_file(proc_ / "meminfo", kMaxProcFile);
  if (!text) return failed(one_line(text.error()), start);
  const auto total = numbers_after(*text, "MemTotal:", 1);
  const auto available = numbers_after(*text, "MemAvailable:", 1);
  if (total.empty() || available.empty() || total[0] <= 0)
    return failed(
        fmt::format("{} has no MemTotal and MemAvailable (Linux 3.14 or later has both)", (proc_ / "meminfo").string()),
        start);
  const double p = std::clamp((1 - available[0] / total[0]) * 100, 0.0, 100.0);
  ProbeResult out{true, "", since(start)};
  out.values = {{"percent", p}, {"available_bytes", available[0] * 1024}};
  if (p > above_) {
    out.ok = false;
    out.reason = fmt::format("memory {} in use ({} of {} available), above {}", percent(p),
                             format_size(static_cast<std::uint64_t>(available[0] * 1024)),
                             format_size(static_cast<std::uint64_t>(total[0] * 1024)), percent(above_));
  }
  return out;
}

ProbeResult HostProbe::disk() {
  const auto start = Steady::now();
  struct statvfs fs {};
  if (::statvfs(path_.c_str(), &fs) != 0)
    return failed(fmt::format("cannot read the disk of {}: {}", path_, std::strerror(errno)), start);
  const double unit = static_cast<double>(fs.f_frsize);
  const double used = static_cast<double>(fs.f_blocks - fs.f_bfree) * unit;
  const double available = static_cast<double>(fs.f_bavail) * unit;
  const double p = used + available > 0 ? used / (used + available) * 100 : 0;
  ProbeResult out{true, "", since(start)};
  out.values = {{"percent", p}, {"free_bytes", available}};
  if (p > above_) {
    out.ok = false;
    out.reason = fmt::format("disk {} {} full ({} free), above {}", path_, percent(p),
                             format_size(static_cast<std::uint64_t>(available)), percent(above_));
    return out;
  }
  if (forecast_ <= Duration::zero()) return out;
  trend_.add(Steady::now(), available);
  double rate = 0;
  const auto left = trend_.time_to_full(&rate);
  if (!left) return out;
  out.values.emplace_back("hours_to_full", std::chrono::duration<double>(*left).count() / 3600);
  if (*left <= forecast_) {
    out.ok = false;
    out.reason = fmt::format(
        "disk {} will be full in about {} at this rate (around {}; {} free, falling {}/h), "
        "within forecast = {}",
        path_,
        format_duration(*left >= std::chrono::minutes(1) ? Duration(std::chrono::floor<std::chrono::minutes>(*left))
                                                         : Duration(*left)),
        format_rfc3339(std::chrono::system_clock::now() + *left), format_size(static_cast<std::uint64_t>(available)),
        format_size(static_cast<std::uint64_t>(rate)), format_duration(forecast_));
  }
  return out;
}

Result<std::unique_ptr<Probe>> make_host_probe(const WatchProbe& p, const Config& config) {
  if (p.check.empty())
    return fail(Error::input(fmt::format("{} (kind \"host\") has no check", p.key), config.where(p.key),
                             "add check = \"memory\" (or \"cpu\", \"disk\")"));
  return std::unique_ptr<Probe>(std::make_unique<HostProbe>(p, "/proc"));
}

}  // namespace slipway::watch
