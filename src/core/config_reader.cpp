#include "core/config_reader.hpp"

#include <algorithm>

#include <fmt/format.h>

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
    error(*node, fmt::format("{} must be a table, not {}", dotted(section, key), type_name(node->type())),
          fmt::format("write [{}] on a line of its own, then its keys", dotted(section, key)));
    return nullptr;
  }
  return node->as_table();
}

void ConfigReader::string(const toml::table& t, std::string_view section, std::string_view key, std::string& out) {
  const toml::node* node = t.get(key);
  if (!node) return;
  const std::string full = dotted(section, key);
  const auto* s = node->as_string();
  if (!s) {
    error(*node, fmt::format("{} must be a string, not {}", full, type_name(node->type())),
          fmt::format("quote it: {} = \"...\"", key));
    return;
  }
  config_.positions[full] = position_of(*node);
  if (auto expanded = expand(*s, full)) out = std::move(*expanded);
}

// A string value with ${VAR} expanded; a malformed reference is an error at its position, an
// unset variable is recorded under `key` for require().
std::optional<std::string> ConfigReader::expand(const toml::value<std::string>& s, const std::string& key) {
  std::size_t offset = 0;
  auto expanded = expand_variables(s.get(), env_, &offset);
  if (!expanded) {
    Position pos = position_of(s);
    pos.column += static_cast<int>(offset) + 1;  // past the opening quote
    errors.push_back(Error::input(expanded.error().message, format_location(path_, pos), expanded.error().hint));
    return std::nullopt;
  }
  auto& unresolved = config_.unresolved[key];
  unresolved.insert(unresolved.end(), expanded->missing.begin(), expanded->missing.end());
  if (unresolved.empty()) config_.unresolved.erase(key);
  return std::move(expanded->value);
}

void ConfigReader::path(const toml::table& t, std::string_view section, std::string_view key, fs::path& out) {
  std::string s;
  string(t, section, key, s);
  if (!s.empty()) out = resolve(s);
}

fs::path ConfigReader::resolve(const std::string& s) const {
  fs::path p(s);
  return p.is_absolute() ? p : (config_.root / p).lexically_normal();
}

void ConfigReader::boolean(const toml::table& t, std::string_view section, std::string_view key, bool& out) {
  const toml::node* node = t.get(key);
  if (!node) return;
  if (const auto* b = node->as_boolean()) {
    out = b->get();
    config_.positions[dotted(section, key)] = position_of(*node);
  } else {
    error(*node, fmt::format("{} must be true or false, not {}", dotted(section, key), type_name(node->type())));
  }
}

bool ConfigReader::read_integer(const toml::table& t, std::string_view section, std::string_view key, std::int64_t& out,
                                std::int64_t min, std::int64_t max) {
  const toml::node* node = t.get(key);
  if (!node) return false;
  const auto* i = node->as_integer();
  if (!i) {
    error(*node, fmt::format("{} must be an integer, not {}", dotted(section, key), type_name(node->type())));
    return false;
  }
  if (i->get() < min || i->get() > max) {
    error(*node, fmt::format("{} must be between {} and {}, not {}", dotted(section, key), min, max, i->get()));
    return false;
  }
  config_.positions[dotted(section, key)] = position_of(*node);
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
    error(*node, fmt::format("{} must be a duration string, not {}", dotted(section, key), type_name(node->type())),
          fmt::format("write it with a unit: {} = \"5s\"", key));
    return;
  }
  auto d = parse_duration(s->get());
  if (!d) {
    error(*node, fmt::format("{}: {}", dotted(section, key), d.error().message), d.error().hint);
    return;
  }
  config_.positions[dotted(section, key)] = position_of(*node);
  out = *d;
}

void ConfigReader::number(const toml::table& t, std::string_view section, std::string_view key, double& out, double min,
                          double max) {
  const toml::node* node = t.get(key);
  if (!node) return;
  const auto value = node->value<double>();
  if (!value || !(node->is_integer() || node->is_floating_point())) {
    error(*node, fmt::format("{} must be a number, not {}", dotted(section, key), type_name(node->type())));
    return;
  }
  if (!(*value >= min && *value <= max)) {
    error(*node, fmt::format("{} must be between {} and {}, not {}", dotted(section, key), min, max, *value));
    return;
  }
  config_.positions[dotted(section, key)] = position_of(*node);
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
    error(*node,
          fmt::format("{} must be a size such as \"100MB\", not {}", dotted(section, key), type_name(node->type())));
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
                          std::initializer_list<std::string_view> choices) {
  const toml::node* node = t.get(key);
  std::string value = out;
  string(t, section, key, value);
  if (!node || !node->is_string()) return;
  const std::vector<std::string_view> names(choices);
  if (std::find(names.begin(), names.end(), value) == names.end()) {
    std::string list;
    for (std::size_t i = 0; i < names.size(); ++i) list += fmt::format("{}\"{}\"", i ? ", " : "", names[i]);
    error(*node, fmt::format("{} must be one of {}, not \"{}\"{}", dotted(section, key), list, value,
                             did_you_mean(value, names)));
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
    error(*node, fmt::format("{} must be an array of strings, not {}", dotted(section, key), type_name(node->type())),
          fmt::format("write {} = [\"a\", \"b\"]", key));
    return;
  }
  out.clear();
  const std::string full = dotted(section, key);
  for (const toml::node& item : *arr) {
    if (const auto* s = item.as_string()) {
      if (auto expanded = expand(*s, full)) out.push_back(std::move(*expanded));
    } else {
      error(item, fmt::format("{} must hold strings only, not {}", dotted(section, key), type_name(item.type())));
    }
  }
  config_.positions[dotted(section, key)] = position_of(*node);
}

}  // namespace slipway
