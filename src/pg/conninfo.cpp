#include "pg/conninfo.hpp"

#include <libpq-fe.h>

#include <fmt/format.h>

#include "core/redact.hpp"

namespace slipway::pg {

Result<ConnInfo> ConnInfo::parse(const std::string& url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (!options) {
    std::string message = error ? error : "out of memory";
    if (error) PQfreemem(error);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    const std::vector<std::string> parts = url_password_parts(url);
    return fail(Error::input(fmt::format("malformed database URL: {}", redact(message, parts)), redact(url, parts),
                             "write it as postgresql://user:password@host:5432/dbname"));
  }
  ConnInfo info;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    if (o->val && *o->val) info.options_.emplace_back(o->keyword, o->val);
  }
  PQconninfoFree(options);
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
