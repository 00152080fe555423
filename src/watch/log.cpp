#include "watch/log.hpp"

#include <chrono>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "core/redact.hpp"
#include "core/time.hpp"

namespace slipway::watch {

namespace {

std::string_view level_word(Level level) {
  switch (level) {
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
  }
  return "info";
}

}  // namespace

void Log::write(Level level, std::string_view msg, std::initializer_list<LogField> fields) const {
  std::string line;
  if (json_) {
    boost::json::object o{{"time", now_rfc3339(true)}, {"level", level_word(level)}, {"msg", msg}};
    for (const auto& f : fields) o[f.key] = f.value;
    line = boost::json::serialize(o);
  } else {
    line = fmt::format("slipway watch: {}", msg);
  }
  line = redact(line) + "\n";
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

void log_change(const Log& log, const std::string& probe, State from, State to, const std::string& reason) {
  const bool ok = to == State::ok;
  log.write(ok                     ? Level::info
            : to == State::pending ? Level::warn
                                   : Level::error,
            fmt::format("{}: {} -> {}{}", probe, to_string(from), to_string(to), ok ? "" : " (" + reason + ")"),
            {{"probe", probe},
             {"from", std::string(to_string(from))},
             {"to", std::string(to_string(to))},
             {"reason", ok ? std::string() : reason}});
}

}  // namespace slipway::watch
