// The one layer that reads TOML: parse_toml() and ConfigReader.
//
// core's sections of slipway.toml are read with it, and so are verify's [verify] and flow files.
// slipway.toml is parsed once, by load_config(), which keeps the document (Config::document) for
// the modules that read their own section from it. A ConfigReader
// walks a parsed toml++ table: each typed getter checks one key's value, stores it, records where
// it was written, and on a wrong type or value adds an error at file:line:col; check_keys()
// reports every key it was not told about, with a "did you mean". Every problem is collected, so
// a user fixes the file in one pass.
//
// This header brings toml++: include it from .cpp files only (core/config.hpp does not).
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "core/config.hpp"

namespace slipway {

// The parsed slipway.toml, as Config::document keeps it.
struct ConfigDocument {
  toml::table table;
};

// "a table", "an integer", ...: what a node holds, for messages.
std::string type_name(toml::node_type t);
Position position_of(const toml::node& node);
Position position_of(const toml::key& key);

// Bounds the nesting (check_toml_depth), then parses `text` as if read from `path`. A syntax
// error is an input error at path:line:col, with `hint`.
tl::expected<toml::table, Error> parse_toml(std::string_view text, const std::string& path, std::string hint = {});

// Reads one TOML document against a schema, collecting every error with its position.
//
// The getters take the table, its section ("gate.admin"; "" at the top level) and the key. A key
// that is not written leaves `out` as it was (the default).
class ConfigReader {
 public:
  // For core's sections, into `config`: strings have ${VAR} expanded from `env` (a malformed
  // reference is an error at its position, an unset variable is recorded in config.unresolved
  // for Config::require()), where each value was written goes to config.positions, and messages
  // name the dotted key and what was found: "gate.threads must be an integer, not a string".
  ConfigReader(std::string path, Config& config, const Environment& env)
      : path_(std::move(path)), config_(&config), env_(&env) {}
  // The brief dialect, for [verify] and flow files, whose messages have always named the key
  // alone ("threads must be an integer from 0 to 1024"): nothing is expanded or recorded, and a
  // lone string is a list of one.
  explicit ConfigReader(std::string path) : path_(std::move(path)) {}

  ConfigErrors errors;

  [[nodiscard]] std::string where(const toml::node& node) const;
  void error(const toml::node& node, std::string message, std::string hint = {});
  void error_at(const toml::key& key, std::string message, std::string hint = {});

  // Reports the keys of `table` that are not in `known`: "unknown key 'section.key', did you
  // mean ...", at the key. At the top level (section "") a table is an unknown section.
  void check_keys(const toml::table& table, std::string_view section, std::initializer_list<std::string_view> known);
  void check_keys(const toml::table& table, std::string_view section, const std::vector<std::string_view>& known);

  // The table under `key`, or nullptr when it is not written (or is not a table: an error).
  const toml::table* table(const toml::table& parent, std::string_view key, std::string_view section);

  // A string, with ${VAR} expanded.
  void string(const toml::table& t, std::string_view section, std::string_view key, std::string& out);
  // A string that names a file: resolved from the config's folder.
  void path(const toml::table& t, std::string_view section, std::string_view key, std::filesystem::path& out);
  [[nodiscard]] std::filesystem::path resolve(const std::string& s) const;
  void boolean(const toml::table& t, std::string_view section, std::string_view key, bool& out);
  // An integer from `min` to `max`; true when one was read.
  template <typename Int>
  bool integer(const toml::table& t, std::string_view section, std::string_view key, Int& out, std::int64_t min,
               std::int64_t max) {
    std::int64_t value = 0;
    if (!read_integer(t, section, key, value, min, max)) return false;
    out = static_cast<Int>(value);
    return true;
  }
  // An integer into an optional: set only when the key is written.
  void integer(const toml::table& t, std::string_view section, std::string_view key, std::optional<std::int64_t>& out,
               std::int64_t min, std::int64_t max);
  // A number: an integer or a float, between `min` and `max` (infinity: no upper bound).
  void number(const toml::table& t, std::string_view section, std::string_view key, double& out, double min,
              double max);
  // A duration: "5s", "15min".
  void duration(const toml::table& t, std::string_view section, std::string_view key, Duration& out);
  // A size: "100MB" or an integer number of bytes.
  void size(const toml::table& t, std::string_view section, std::string_view key, std::uint64_t& out);
  // A string that must be one of `choices`.
  void one_of(const toml::table& t, std::string_view section, std::string_view key, std::string& out,
              std::initializer_list<std::string_view> choices, std::string hint = {});
  // An array of strings, each with ${VAR} expanded.
  void strings(const toml::table& t, std::string_view section, std::string_view key, std::vector<std::string>& out);
  // A table of strings, in key order: headers = { Accept = "text/html" }. Numbers and booleans
  // are taken as their JSON text.
  void string_table(const toml::table& t, std::string_view section, std::string_view key,
                    std::vector<std::pair<std::string, std::string>>& out);
  // An array of tables ([[section.key]] blocks), or nothing.
  std::vector<const toml::table*> tables(const toml::table& parent, std::string_view key, std::string_view section);

 private:
  bool read_integer(const toml::table& t, std::string_view section, std::string_view key, std::int64_t& out,
                    std::int64_t min, std::int64_t max);
  std::optional<std::string> expand(const toml::value<std::string>& s, const std::string& key);
  // "section.key must <be>, not <what was found>", or in the brief dialect "key must <be>".
  void must(const toml::node& node, std::string_view section, std::string_view key, std::string_view be,
            std::string hint = {});
  void record(std::string_view section, std::string_view key, const toml::node& node);

  std::string path_;
  Config* config_ = nullptr;  // null: the brief dialect
  const Environment* env_ = nullptr;
};

}  // namespace slipway
