// Reads the fields of a parsed JSON object by name, remembering the first one that is missing or
// has the wrong type, so a reader fills a struct in one pass and checks once:
//
//   JsonFields f(v.if_object());
//   s.id = f.str("id");
//   s.bytes = f.count("archive_bytes");
//   s.note = f.str("note", JsonFields::optional);
//   if (!f.missing().empty()) return fail(Error::input("not a backup: '" + f.missing() + "' ..."));
//
// An optional field may be absent or null (an older slipway did not print it); present with
// another type, it is still wrong.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace slipway {

class JsonFields {
 public:
  static constexpr bool optional = true;

  explicit JsonFields(const boost::json::object* o) : o_(o) {}

  std::string str(std::string_view key, bool is_optional = false) {
    const boost::json::value* v = find(key);
    if (v && v->is_string()) return std::string(v->as_string());
    check(key, v, is_optional);
    return {};
  }
  std::int64_t num(std::string_view key, bool is_optional = false) {
    const boost::json::value* v = find(key);
    if (v && v->is_int64()) return v->as_int64();
    if (v && v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
    check(key, v, is_optional);
    return 0;
  }
  // A number that cannot be negative (bytes, rows).
  std::uint64_t count(std::string_view key, bool is_optional = false) {
    const boost::json::value* v = find(key);
    if (v && v->is_uint64()) return v->as_uint64();
    if (v && v->is_int64() && v->as_int64() >= 0) return static_cast<std::uint64_t>(v->as_int64());
    check(key, v, is_optional);
    return 0;
  }
  // Any number, integer or not.
  double real(std::string_view key, bool is_optional = false) {
    const boost::json::value* v = find(key);
    if (v && v->is_number()) return v->to_number<double>();
    check(key, v, is_optional);
    return 0;
  }
  bool flag(std::string_view key, bool is_optional = false) {
    const boost::json::value* v = find(key);
    if (v && v->is_bool()) return v->as_bool();
    check(key, v, is_optional);
    return false;
  }
  const boost::json::object* obj(std::string_view key, bool is_optional = false) {
    const boost::json::value* v = find(key);
    if (v && v->is_object()) return &v->as_object();
    check(key, v, is_optional);
    return nullptr;
  }
  const boost::json::array* arr(std::string_view key, bool is_optional = false) {
    const boost::json::value* v = find(key);
    if (v && v->is_array()) return &v->as_array();
    check(key, v, is_optional);
    return nullptr;
  }

  // The first field missing or mistyped ("database.name" for a nested reader's), or empty.
  [[nodiscard]] const std::string& missing() const { return missing_; }
  // A reader of a nested object (null: every required field of it is missing); adopt() it after.
  [[nodiscard]] JsonFields nested(const boost::json::object* o) const { return JsonFields(o); }
  void adopt(const JsonFields& inner) {
    if (missing_.empty() && !inner.missing_.empty()) missing_ = inner.missing_;
  }
  void miss(std::string_view key) {
    if (missing_.empty()) missing_ = std::string(key);
  }

 private:
  [[nodiscard]] const boost::json::value* find(std::string_view key) const {
    return o_ ? o_->if_contains(key) : nullptr;
  }
  void check(std::string_view key, const boost::json::value* v, bool is_optional) {
    if (!is_optional || (v && !v->is_null())) miss(key);
  }

  const boost::json::object* o_;
  std::string missing_;
};

}  // namespace slipway
