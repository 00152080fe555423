// watch's log: every line `slipway watch run` writes to stderr goes through one Log, as text or,
// with watch.log_format = "json", one JSON object per line for journald, Loki and the like:
//
//   slipway watch: api: ok -> pending (cannot connect to http://127.0.0.1:3000: Connection refused)
//   {"time":"2026-12-08T01:33:41.204Z","level":"warn","msg":"api: ok -> pending (cannot connect ...)",
//    "probe":"api","from":"ok","to":"pending","reason":"cannot connect ..."}
//
// The text line is the message alone; JSON adds the fields. Every line goes through redact(), so
// no URL password or token reaches the log.
#pragma once

#include <cstdio>
#include <initializer_list>
#include <string>
#include <string_view>

#include "watch/alert.hpp"

namespace slipway::watch {

enum class Level { info, warn, error };

struct LogField {
  std::string_view key;
  std::string value;
};

class Log {
 public:
  explicit Log(bool json = false, std::FILE* out = stderr) : json_(json), out_(out) {}
  void set_json(bool json) { json_ = json; }

  // One line: "slipway watch: <msg>", or {"time","level","msg", fields...}; flushed at once.
  void write(Level level, std::string_view msg, std::initializer_list<LogField> fields = {}) const;

 private:
  bool json_;
  std::FILE* out_;
};

// A probe's alert state changed: info when it is ok again, warn when pending, error when firing.
void log_change(const Log& log, const std::string& probe, State from, State to, const std::string& reason);

}  // namespace slipway::watch
