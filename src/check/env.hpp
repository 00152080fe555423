// The env schema check: each variable of [check.env] (and of the preset) against the values the
// app will get.
//
// Values come from an env file when one is given (--env-file, else project.env_file) and from
// the process environment for what the file does not define: the file is what is being reviewed,
// so it wins over whatever the operator's shell happens to export.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "check/report.hpp"
#include "core/config.hpp"

namespace slipway::check {

class EnvValues {
 public:
  // `file` values (from `file_name`) over the process environment when `use_process` is set.
  EnvValues(std::map<std::string, std::string> file, std::string file_name, bool use_process = true);

  struct Value {
    std::string text;
    std::string origin;  // "the environment" or the env file's name
  };
  [[nodiscard]] std::optional<Value> get(const std::string& name) const;

 private:
  std::map<std::string, std::string> file_;
  std::string file_name_;
  bool use_process_;
};

// The preset's variables ("node-postgres"; none for "none").
std::vector<CheckEnvVar> preset_schema(std::string_view preset);
// The preset's variables, with the user's [check.env] replacing any of the same name and adding
// the rest after them.
std::vector<CheckEnvVar> effective_schema(const CheckConfig& config);

// One check per variable, id "env-<name in kebab-case>", in section "env". Secret values are
// registered with redact() so nothing printed later can show them.
void check_env(const std::vector<CheckEnvVar>& schema, const EnvValues& values, Report& report);

}  // namespace slipway::check
