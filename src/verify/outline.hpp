// What a deploy needs to know of [verify] without verify's settings (flows, budgets, clients):
// which of its phases apply, and which flow files a release's recorded copy of [verify] must hold.
// Plain types; verify/settings.cpp fills them.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"

namespace slipway::verify {

struct Outline {
  bool any_part = false;                // plain `slipway verify` has something to run
  bool integrity = false;               // [verify.integrity] names tables: a snapshot is worth taking
  std::vector<std::string> flow_files;  // verify.flows as written (relative to the file they are in)
};

// [verify] of `config` in outline; nothing when it does not load (`slipway verify` says why).
std::optional<Outline> outline(const Config& config);

// Where a deploy's recorded copy of [verify] (a slipway.toml in `dir`) keeps the flow file that
// verify.flows names as `entry`: beside it at the same relative path when the entry stays inside
// the project, else `dir/outside/<sha256 of the entry>.toml` (an absolute path, or one through "..").
std::filesystem::path recorded_flow_file(const std::filesystem::path& dir, const std::string& entry);

}  // namespace slipway::verify
