// Small file helpers shared by every module.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace slipway {

// The whole file, or an input error naming the path.
Result<std::string> read_text_file(const std::filesystem::path& path);

// Writes `data` to a temporary file beside `path`, fsyncs it, and renames it over `path`, so a
// reader sees the old file or the new one, never half of one.
Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view data);

}  // namespace slipway
