// A one-line progress display on stderr for long streams (backups, restores).
//
// It draws only when stderr is a terminal and TERM is not "dumb", at most ten times a second,
// and erases itself when done, so logs and pipes never see it:
//
//   dumping  [##########..........]  52%  1.2 GB  85.3 MB/s  14s     (total known)
//   dumping  1.2 GB  85.3 MB/s  14s                                  (total unknown)
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace slipway {

class Progress {
 public:
  // `total` is 0 when unknown. `enabled` defaults to "stderr is a terminal".
  explicit Progress(std::string label, std::uint64_t total = 0, bool enabled = terminal());
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // `done` bytes so far; redraws when the last draw is 100 ms old.
  void update(std::uint64_t done);
  // Erases the line (once).
  void finish();

  // The line as it would be drawn (tests).
  [[nodiscard]] std::string render(std::uint64_t done, std::chrono::milliseconds elapsed) const;
  // True when stderr is a terminal and TERM is not "dumb".
  static bool terminal();

 private:
  using Clock = std::chrono::steady_clock;
  std::string label_;
  std::uint64_t total_;
  bool enabled_;
  bool drawn_ = false;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_draw_{};
};

}  // namespace slipway
