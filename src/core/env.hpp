// Environment variables for slipway.toml: `${VAR}` expansion and env files.
//
// Expansion syntax, as in docker compose:
//   ${NAME}            the value of NAME; an unset NAME is reported as missing
//   ${NAME:-fallback}  the value of NAME, or `fallback` (itself expanded, so ${A:-${B}} nests, at
//                      most 16 deep) when NAME is unset or empty
//   $$                 a literal '$'
// A '$' followed by anything else stays as it is, so passwords with '$' in them survive.
//
// Env files hold NAME=value lines ("export " prefix allowed, '#' comments, '...' taken
// literally, "..." with \n \t \" \\ escapes). Variables already in the process environment win
// over the file, as dotenv does.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace slipway {

class Environment {
 public:
  // The process environment only.
  Environment() = default;
  // `file_values` under the process environment (or alone, with use_process_env = false).
  explicit Environment(std::map<std::string, std::string> file_values, bool use_process_env = true);

  [[nodiscard]] std::optional<std::string> get(const std::string& name) const;
  void set(std::string name, std::string value) { values_[std::move(name)] = std::move(value); }

 private:
  std::map<std::string, std::string> values_;
  bool use_process_env_ = true;
};

struct Expanded {
  std::string value;
  std::vector<std::string> missing;  // names that were referenced but unset
};

// Expands `text`. Fails on an unterminated "${" or an invalid name, with `offset` set to the byte
// offset of the problem in `text`.
Result<Expanded> expand_variables(std::string_view text, const Environment& env, std::size_t* offset = nullptr);

// Parses an env file. Errors carry "path:line:col".
Result<std::map<std::string, std::string>> parse_env_file(std::string_view text, std::string_view path);
// Reads and parses an env file (read_text_file, capped at kMaxConfigFileBytes); a missing file, or
// one that is not a regular file, is an error naming the path.
Result<std::map<std::string, std::string>> load_env_file(const std::string& path);

}  // namespace slipway
