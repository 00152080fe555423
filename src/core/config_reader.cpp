#include "core/config_reader.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "core/suggest.hpp"
#include "core/toml_depth.hpp"

namespace slipway {
namespace fs = std::filesystem;

namespace {

std::string dotted(std::string_view section, std::string_view key) {
  return section.empty() ? std::string(key) : fmt::format("{}.{}", section, key);
}

}  // namespace

std::string type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time: return "a date";
    default: return "nothing";
  }
}

Position position_of(const toml::node& node) {
  const auto& begin = node.source().begin;
  return {static_cast<int>(begin.line), static_cast<int>(begin.column)};
}

Position position_of(const toml::key& key) {
  const auto& begin = key.source().begin;
  return {static_cast<int>(begin.line), static_cast<int>(begin.column)};
}

tl::expected<toml::table, Error> parse_toml(std::string_view text, const std::string& path, std::string hint) {
  // toml++ recurses as deep as the document nests: bound it first.
  if (auto depth = check_toml_depth(text, path); !depth) return tl::unexpected(depth.error());
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return tl::unexpected(Error::input(std::string(e.description()),
                                       format_location(path, {static_cast<int>(b.line), static_cast<int>(b.column)}),
                                       std::move(hint)));
  }
}

std::string ConfigReader::where(const toml::node& node) const {
  return format_location(path_, position_of(node));
}

void ConfigReader::error(const toml::node& node, std::string message, std::string hint) {
  errors.push_back(Error::input(std::move(message), where(node), std::move(hint)));
}

void ConfigReader::error_at(const toml::key& key, std::string message, std::string hint) {
  errors.push_back(Error::input(std::move(message), format_location(path_, position_of(key)), std::move(hint)));
}

void ConfigReader::check_keys(const toml::table& table, std::string_view section,
                              std::initializer_list<std::string_view> known) {
  check_keys(table, section, std::vector<std::string_view>(known));
}

void ConfigReader::check_keys(const toml::table& table, std::string_view section,
                              const std::vector<std::string_view>& names) {
  for (const auto& [key, node] : table) {
    const std::string_view k = key.str();
    if (std::find(names.begin(), names.end(), k) != names.end()) continue;
    const std::string full = section.empty() ? std::string(k) : fmt::format("{}.{}", section, k);
    const std::string kind = node.is_table() && section.empty() ? "section" : "key";
    std::string hint = fmt::format("known {}s{}: ", kind, section.empty() ? "" : fmt::format(" in [{}]", section));
    for (std::size_t i = 0; i < names.size(); ++i) hint += fmt::format("{}{}", i ? ", " : "", names[i]);
    error_at(key, fmt::format("unknown {} '{}'{}", kind, full, did_you_mean(k, names)), hint);
  }
}

const toml::table* ConfigReader::table(const toml::table& parent, std::string_view key, std::string_view section) {
  const toml::node* node = parent.get(key);
  if (!node) return nullptr;
  if (!node->is_table()) {
    if (!config_) {
      error(*node, fmt::format("{} must be a table", dotted(section, key)));
      return nullptr;
    }
    error(*node, fmt::format("{} must be a table, not {}", dotted(section, key), type_name(node->type())),
          fmt::format("write [{}] on a line of its own, then its keys", dotted(section, key)));
    return nullptr;
  }
  return node->as_table();
}

std::vector<const toml::table*> ConfigReader::tables(const toml::table& parent, std::string_view key,
                                                     std::string_view section) {
  std::vector<const toml::table*> out;
  const toml::node* node = parent.get(key);
  if (!node) return out;
  const auto* arr = node->as_array();
  if (!arr || !arr->is_array_of_tables()) {
    const std::string name = dotted(section, key);
    must(*node, "", name, "be an array of tables", fmt::format("write [[{}]] blocks", name));
    return out;
  }
  for (const auto& item : *arr) out.push_back(item.as_table());
  return out;
}

void ConfigReader::must(const toml::node& node, std::string_view section, std::string_view key, std::string_view be,
                        std::string hint) {
  if (!config_) {
    error(node, fmt::format("{} must {}", key, be), std::move(hint));
    return;
  }
  error(node, fmt::format("{} must {}, not {}", dotted(section, key), be, type_name(node.type())), std::move(hint));
}

void ConfigReader::record(std::string_view section, std::string_view key, const toml::node& node) {
  if (config_) config_->positions[dotted(section, key)] = position_of(node);
}

void ConfigReader::string(const toml::table& t, std::string_view section, std::string_view key, std::string& out) {
  const toml::node* node = t.get(key);
  if (!node) return;
  const auto* s = node->as_string();
  if (!s) {
    must(*node, section, key, "be a string", fmt::format("quote it: {} = \"...\"", key));
    return;
  }
  record(section, key, *node);
  if (auto expanded = expand(*s, dotted(section, key))) out = std::move(*expanded);
}

// A string value with ${VAR} expanded; a malformed reference is an error at its position, an
// unset variable is recorded under `key` for require().
std::optional<std::string> ConfigReader::expand(const toml::value<std::string>& s, const std::string& key) {
  if (!env_) return s.get();
  std::size_t offset = 0;
  auto expanded = expand_variables(s.get(), *env_, &offset);
  if (!expanded) {
    Position pos = position_of(s);
    pos.column += static_cast<int>(offset) + 1;  // past the opening quote
    errors.push_back(Error::input(expanded.error().message, format_location(path_, pos), expanded.error().hint));
    return std::nullopt;
  }
  auto& unresolved = config_->unresolved[key];
  unresolved.insert(unresolved.end(), expanded->missing.begin(), expanded->missing.end());
  if (unresolved.empty()) config_->unresolved.erase(key);
  return std::move(expanded->value);
}

void ConfigReader::path(const toml::table& t, std::string_view section, std::string_view key, fs::path& out) {
  std::string s;
  string(t, section, key, s);
  if (!s.empty()) out = resolve(s);
}

fs::path ConfigReader::resolve(const std::string& s) const {
  fs::path p(s);
  return p.is_absolute() || !config_ ? p : (config_->root / p).lexically_normal();
}

void ConfigReader::boolean(const toml::table& t, std::string_view section, std::string_view key, bool& out) {
  const toml::node* node = t.get(key);
  if (!node) return;
  if (const auto* b = node->as_boolean()) {
    out = b->get();
    record(section, key, *node);
  } else {
    must(*node, section, key, "be true or false");
  }
}

bool ConfigReader::read_integer(const toml::table& t, std::string_view section, std::string_view key, std::int64_t& out,
                                std::int64_t min, std::int64_t max) {
  const toml::node* node = t.get(key);
  if (!node) return false;
  const auto* i = node->as_integer();
  if (!config_ && (!i || i->get() < min || i->get() > max)) {
    error(*node, fmt::format("{} must be an integer from {} to {}", key, min, max));
    return false;
  }
  if (!i) {
    must(*node, section, key, "be an integer");
    return false;
  }
  if (i->get() < min || i->get() > max) {
    error(*node, fmt::format("{} must be between {} and {}, not {}", dotted(section, key), min, max, i->get()));
    return false;
  }
  record(section, key, *node);
  out = i->get();
  return true;
}

void ConfigReader::integer(const toml::table& t, std::string_view section, std::string_view key,
                           std::optional<std::int64_t>& out, std::int64_t min, std::int64_t max) {
  if (std::int64_t value = 0; read_integer(t, section, key, value, min, max)) out = value;
}

void ConfigReader::duration(const toml::table& t, std::string_view section, std::string_view key, Duration& out) {
  const toml::node* node = t.get(key);
  if (!node) return;
  const auto* s = node->as_string();
  if (!s) {
    if (config_)
      must(*node, section, key, "be a duration string", fmt::format("write it with a unit: {} = \"5s\"", key));
    else
      must(*node, section, key, "be a duration such as \"10s\"");
    return;
  }
  auto d = parse_duration(s->get());
  if (!d) {
    error(*node, fmt::format("{}: {}", config_ ? dotted(section, key) : std::string(key), d.error().message),
          d.error().hint);
    return;
  }
  record(section, key, *node);
  out = *d;
}

void ConfigReader::number(const toml::table& t, std::string_view section, std::string_view key, double& out, double min,
                          double max) {
  const toml::node* node = t.get(key);
  if (!node) return;
  if (!config_) {
    const auto within = [&](double v) { return v >= min && v <= max; };
    if (const auto* i = node->as_integer(); i && within(static_cast<double>(i->get())))
      out = static_cast<double>(i->get());
    else if (const auto* f = node->as_floating_point(); f && within(f->get()))
      out = f->get();
    else if (std::isinf(max))
      error(*node, fmt::format("{} must be a number, {} or more", key, min));
    else
      error(*node, fmt::format("{} must be a number from {} to {}", key, min, max));
    return;
  }
  const auto value = node->value<double>();
  if (!value || !(node->is_integer() || node->is_floating_point())) {
    must(*node, section, key, "be a number");
    return;
  }
  if (!(*value >= min && *value <= max)) {
    error(*node, fmt::format("{} must be between {} and {}, not {}", dotted(section, key), min, max, *value));
    return;
  }
  record(section, key, *node);
  out = *value;
}

void ConfigReader::size(const toml::table& t, std::string_view section, std::string_view key, std::uint64_t& out) {
  const toml::node* node = t.get(key);
  if (!node) return;
  if (const auto* i = node->as_integer(); i && i->get() >= 0) {
    out = static_cast<std::uint64_t>(i->get());
    return;
  }
  const auto* s = node->as_string();
  if (!s) {
    must(*node, section, key, "be a size such as \"100MB\"");
    return;
  }
  auto v = parse_size(s->get());
  if (!v) {
    error(*node, fmt::format("{}: {}", dotted(section, key), v.error().message), v.error().hint);
    return;
  }
  out = *v;
}

void ConfigReader::one_of(const toml::table& t, std::string_view section, std::string_view key, std::string& out,
                          std::initializer_list<std::string_view> choices, std::string hint) {
  const toml::node* node = t.get(key);
  std::string value = out;
  string(t, section, key, value);
  if (!node || !node->is_string()) return;
  const std::vector<std::string_view> names(choices);
  if (std::find(names.begin(), names.end(), value) == names.end()) {
    std::string list;
    for (std::size_t i = 0; i < names.size(); ++i) list += fmt::format("{}\"{}\"", i ? ", " : "", names[i]);
    error(*node,
          fmt::format("{} must be one of {}, not \"{}\"{}", dotted(section, key), list, value,
                      did_you_mean(value, names)),
          std::move(hint));
    return;
  }
  out = value;
}

void ConfigReader::strings(const toml::table& t, std::string_view section, std::string_view key,
                           std::vector<std::string>& out) {
  const toml::node* node = t.get(key);
  if (!node) return;
  const auto* arr = node->as_array();
  if (!arr) {
    if (const auto* s = node->as_string(); s && !config_) {
      out = {s->get()};  // the brief dialect: a list of one
      return;
    }
    must(*node, section, key, "be an array of strings", fmt::format("write {} = [\"a\", \"b\"]", key));
    return;
  }
  out.clear();
  const std::string full = dotted(section, key);
  for (const toml::node& item : *arr) {
    if (const auto* s = item.as_string()) {
      if (auto expanded = expand(*s, full)) out.push_back(std::move(*expanded));
    } else {
      must(item, section, key, "hold strings only");
    }
  }
  record(section, key, *node);
}

void ConfigReader::string_table(const toml::table& t, std::string_view section, std::string_view key,
                                std::vector<std::pair<std::string, std::string>>& out) {
  const toml::node* node = t.get(key);
  if (!node) return;
  const auto* pairs = node->as_table();
  if (!pairs) {
    must(*node, section, key, "be a table of strings", fmt::format("write {} = {{ Name = \"value\" }}", key));
    return;
  }
  for (const auto& [k, v] : *pairs) {
    std::string name(k.str());
    if (const auto* s = v.as_string()) {
      if (auto expanded = expand(*s, dotted(dotted(section, key), name))) out.emplace_back(name, std::move(*expanded));
    } else if (const auto* i = v.as_integer()) {
      out.emplace_back(name, boost::json::serialize(boost::json::value(i->get())));
    } else if (const auto* f = v.as_floating_point()) {
      out.emplace_back(name, boost::json::serialize(boost::json::value(f->get())));
    } else if (const auto* b = v.as_boolean()) {
      out.emplace_back(name, boost::json::serialize(boost::json::value(b->get())));
    } else {
      must(v, section, fmt::format("{}.{}", key, name), "be a string");
    }
  }
  record(section, key, *node);
}

}  // namespace slipway
