// Fuzzes the config loader and what it uses: TOML, ${VAR} expansion, env files, durations and
// sizes. Every input must give a Config or errors with positions, never a crash: the corpus
// (tests/fuzz/config) holds documents nested 50,000 deep (dotted keys, table headers, arrays,
// inline tables) and nested ${A:-${B}} defaults.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/config.hpp"
#include "core/env.hpp"
#include "core/redact.hpp"
#include "core/units.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  slipway::Environment env({{"DATABASE_URL", "postgresql://u:p@h/db"}, {"JWT_SECRET", "x"}}, false);
  auto config = slipway::parse_config(text, "/fuzz/slipway.toml", env);
  if (!config) {
    for (const auto& e : config.error()) {
      if (e.where.empty()) __builtin_trap();  // every config error says where
      (void)e.render();
    }
  }
  (void)slipway::parse_env_file(text, "fuzz.env");
  if (auto expanded = slipway::expand_variables(text, env); expanded && text.find('$') == std::string::npos) {
    if (expanded->value != text) __builtin_trap();  // nothing to expand: the text as it is
  }
  (void)slipway::parse_duration(text);
  (void)slipway::parse_size(text);
  (void)slipway::redact(text);
  return 0;
}
