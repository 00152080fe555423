#include "pg/conninfo.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <string_view>

#include <fmt/format.h>

#include "core/redact.hpp"

namespace slipway::pg {

Result<ConnInfo> ConnInfo::parse(const std::string& url) {
  // A password with an unencoded '/' or '@' is split by libpq, which may take a piece of it for
  // the host or port: the pieces are masked in every message below.
  const std::vector<std::string> parts = url_password_parts(url);
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (!options) {
    std::string message = error ? error : "out of memory";
    if (error) PQfreemem(error);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return fail(Error::input(fmt::format("malformed database URL: {}", redact(message, parts)), redact(url, parts),
                             "write it as postgresql://user:password@host:5432/dbname, with / @ : in the password percent-encoded (%2F %40 %3A)"));
  }
  ConnInfo info;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    if (o->val && *o->val) info.options_.emplace_back(o->keyword, o->val);
  }
  PQconninfoFree(options);
  // libpq checks the port only when it connects, and then it is reported like an unreachable
  // server. It may be a comma-separated list, one per host.
  const std::string ports = info.get("port");
  for (std::size_t start = 0; start <= ports.size();) {
    std::size_t end = ports.find(',', start);
    if (end == std::string::npos) end = ports.size();
    const std::string_view port = std::string_view(ports).substr(start, end - start);
    int number = 0;
    const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (!port.empty() && (ec != std::errc() || ptr != port.data() + port.size() || number < 1 || number > 65535)) {
      return fail(Error::input(fmt::format("malformed database URL: the port \"{}\" is not a number from 1 to 65535",
                                           redact(std::string(port), parts)),
                               redact(url, parts), "write it as postgresql://user:password@host:5432/dbname, with / @ : in the password percent-encoded (%2F %40 %3A)"));
    }
    start = end + 1;
  }
  return info;
}

std::string ConnInfo::get(const std::string& key) const {
  for (const auto& [k, v] : options_) {
    if (k == key) return v;
  }
  return {};
}

ConnInfo ConnInfo::with(const std::string& key, const std::string& value) const {
  ConnInfo out = *this;
  for (auto& [k, v] : out.options_) {
    if (k == key) {
      v = value;
      return out;
    }
  }
  out.options_.emplace_back(key, value);
  return out;
}

ConnInfo ConnInfo::without_password() const {
  ConnInfo out;
  for (const auto& kv : options_) {
    if (kv.first != "password") out.options_.push_back(kv);
  }
  return out;
}

std::string ConnInfo::display() const {
  std::string out = "postgresql://";
  if (!get("user").empty()) out += get("user") + "@";
  out += get("host").empty() ? get("hostaddr") : get("host");
  if (!get("port").empty()) out += ":" + get("port");
  return out + "/" + get("dbname");
}

std::string ConnInfo::to_string() const {
  std::string out;
  for (const auto& [k, v] : options_) {
    if (!out.empty()) out += ' ';
    out += k + "='";
    for (char c : v) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    out += '\'';
  }
  return out;
}

}  // namespace slipway::pg
