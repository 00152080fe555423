// Fuzzes the config loader and what it uses: TOML, ${VAR} expansion, env files, durations and
// sizes. Every input must give a Config or errors with positions, never a crash.
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
    for (const auto& e : config.error()) (void)e.render();
  }
  (void)slipway::parse_env_file(text, "fuzz.env");
  (void)slipway::expand_variables(text, env);
  (void)slipway::parse_duration(text);
  (void)slipway::parse_size(text);
  (void)slipway::redact(text);
  return 0;
}
