#include "core/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "core/units.hpp"

namespace slipway {

Progress::Progress(std::string label, std::uint64_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled) {}

Progress::~Progress() {
  finish();
}

bool Progress::terminal() {
  const char* term = std::getenv("TERM");
  if (term && std::strcmp(term, "dumb") == 0) return false;
  return isatty(STDERR_FILENO) != 0;
}

std::string Progress::render(std::uint64_t done, std::chrono::milliseconds elapsed) const {
  const double seconds = std::max(0.001, static_cast<double>(elapsed.count()) / 1000.0);
  const auto rate = static_cast<std::uint64_t>(static_cast<double>(done) / seconds);
  const std::string tail = fmt::format("{}  {}/s  {}s", format_size(done), format_size(rate), elapsed.count() / 1000);
  if (total_ == 0) return fmt::format("{}  {}", label_, tail);
  constexpr int kWidth = 20;
  const double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
  const int filled = static_cast<int>(fraction * kWidth);
  return fmt::format("{}  [{}{}] {:3}%  {}", label_, std::string(static_cast<std::size_t>(filled), '#'),
                     std::string(static_cast<std::size_t>(kWidth - filled), '.'), static_cast<int>(fraction * 100),
                     tail);
}

void Progress::update(std::uint64_t done) {
  if (!enabled_) return;
  const auto now = Clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  drawn_ = true;
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - start_);
  std::fputs(fmt::format("\r\033[K{}", render(done, elapsed)).c_str(), stderr);
  std::fflush(stderr);
}

void Progress::finish() {
  if (!drawn_) return;
  drawn_ = false;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
}

}  // namespace slipway
