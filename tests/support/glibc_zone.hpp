// glibc's local time as an oracle for tests of core/timezone.hpp and what uses it: glibc reads
// the same TZif files with its own code, so agreeing with it is strong evidence. It works by
// setting TZ, which is process-global: use it only from a test's own thread.
#pragma once

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

namespace slipway::test {

class GlibcZone {
 public:
  // Sets TZ to `zone` until destroyed.
  explicit GlibcZone(const std::string& zone) {
    if (const char* old = std::getenv("TZ")) saved_ = old;
    ::setenv("TZ", zone.c_str(), 1);
    ::tzset();
  }
  ~GlibcZone() {
    if (saved_) {
      ::setenv("TZ", saved_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }
  GlibcZone(const GlibcZone&) = delete;
  GlibcZone& operator=(const GlibcZone&) = delete;

  static std::tm local(std::chrono::sys_seconds t) {
    const std::time_t tt = t.time_since_epoch().count();
    std::tm tm{};
    ::localtime_r(&tt, &tm);
    return tm;
  }
  static std::chrono::seconds offset(std::chrono::sys_seconds t) { return std::chrono::seconds{local(t).tm_gmtoff}; }
  // strftime of the local time at `t`, e.g. "%G-W%V".
  static std::string format(std::chrono::sys_seconds t, const char* pattern) {
    const std::tm tm = local(t);
    char buf[64];
    const std::size_t n = std::strftime(buf, sizeof buf, pattern, &tm);
    return std::string(buf, n);
  }

 private:
  std::optional<std::string> saved_;
};

}  // namespace slipway::test
