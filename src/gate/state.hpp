// The gate's state: what `slipway gate maintenance|read-only|switch` change, kept in a small JSON
// file so that a restarted gate comes back in the same mode, with the same upstream.
//
//   {"mode":"maintenance","message":"Back at 14:00","retry_after":600,
//    "upstream":"127.0.0.1:3001","configured_upstream":"127.0.0.1:3000"}
//
// `configured_upstream` remembers gate.upstream when the file was written: when slipway.toml
// names another upstream since, the file's upstream is stale and the config wins.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "core/error.hpp"

namespace slipway::gate {

enum class Mode { normal, maintenance, read_only };

std::string_view to_string(Mode mode);  // "normal" | "maintenance" | "read-only"
Result<Mode> parse_mode(std::string_view text);

struct State {
  Mode mode = Mode::normal;
  std::string message;           // empty = gate.message
  std::int64_t retry_after = 0;  // seconds; 0 = gate.retry_after
  std::string upstream;          // HOST:PORT
  std::string configured_upstream;
};

std::string to_json(const State& state);
Result<State> state_from_json(std::string_view text);

// gate.state_file, else gate.state.json beside the control socket.
std::filesystem::path state_file(const GateConfig& config);

// The state to start with: the file's when there is one (and its upstream unless the config's
// changed), else normal mode on gate.upstream.
Result<State> load_state(const GateConfig& config);
// Writes the file atomically.
Result<void> save_state(const GateConfig& config, const State& state);

}  // namespace slipway::gate
