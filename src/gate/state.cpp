#include "gate/state.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include "core/fs.hpp"

namespace slipway::gate {
namespace json = boost::json;

std::string_view to_string(Mode mode) {
  switch (mode) {
    case Mode::normal: return "normal";
    case Mode::maintenance: return "maintenance";
    case Mode::read_only: return "read-only";
  }
  return "normal";
}

Result<Mode> parse_mode(std::string_view text) {
  if (text == "normal") return Mode::normal;
  if (text == "maintenance") return Mode::maintenance;
  if (text == "read-only") return Mode::read_only;
  return fail(Error::input(fmt::format("unknown mode \"{}\"", text), "", "modes: normal, maintenance, read-only"));
}

std::string to_json(const State& state) {
  json::object o;
  o["mode"] = to_string(state.mode);
  o["message"] = state.message;
  o["retry_after"] = state.retry_after;
  o["upstream"] = state.upstream;
  o["configured_upstream"] = state.configured_upstream;
  return json::serialize(o);
}

Result<State> state_from_json(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return fail(Error::input("the gate's state file is not a JSON object"));
  const auto& o = v.as_object();
  State s;
  const auto str = [&](std::string_view key) -> std::string {
    const auto* f = o.if_contains(key);
    return f && f->is_string() ? std::string(f->as_string()) : std::string();
  };
  auto mode = parse_mode(str("mode"));
  if (!mode) return fail(mode.error());
  s.mode = *mode;
  s.message = str("message");
  if (const auto* r = o.if_contains("retry_after"); r && r->is_int64()) s.retry_after = r->as_int64();
  s.upstream = str("upstream");
  s.configured_upstream = str("configured_upstream");
  return s;
}

std::filesystem::path state_file(const GateConfig& config) {
  if (!config.state_file.empty()) return config.state_file;
  return config.control_socket.parent_path() / "gate.state.json";
}

Result<State> load_state(const GateConfig& config) {
  State fresh;
  fresh.upstream = config.upstream;
  fresh.configured_upstream = config.upstream;
  const auto path = state_file(config);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return fresh;
  auto text = read_text_file(path, kMaxConfigFileBytes);
  if (!text) return fail(text.error());
  auto state = state_from_json(*text);
  if (!state) {
    return fail(Error::input(state.error().message, path.string(),
                             "fix or delete the file; the gate then starts in normal mode"));
  }
  if (state->upstream.empty() || state->configured_upstream != config.upstream) {
    state->upstream = config.upstream;
    state->configured_upstream = config.upstream;
  }
  return state;
}

Result<void> save_state(const GateConfig& config, const State& state) {
  const auto path = state_file(config);
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  return write_file_atomically(path, to_json(state) + "\n");
}

}  // namespace slipway::gate
