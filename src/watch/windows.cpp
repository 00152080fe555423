#include "watch/windows.hpp"

#include <fmt/format.h>

namespace slipway::watch {

bool covers(const state::WindowRow& w, const WatchProbe& p) {
  if (w.probes.empty()) return p.deploy_window;
  if (w.probes == "*") return true;
  std::string_view rest = w.probes;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    if (rest.substr(0, comma) == p.name) return true;
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  return false;
}

std::string describe(const state::WindowRow& w) {
  if (w.kind == "deploy") return fmt::format("deploy {}'s window", w.ref);
  if (w.kind == "maintenance") return "the gate's maintenance window";
  return w.reason.empty() ? fmt::format("a silence by {}", w.ref)
                          : fmt::format("a silence by {} ({})", w.ref, w.reason);
}

}  // namespace slipway::watch
