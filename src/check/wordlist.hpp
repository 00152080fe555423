// An embedded list of common passwords and the words secrets are made of, lowercase, sorted.
#pragma once

#include <span>
#include <string_view>

namespace slipway::check {

std::span<const std::string_view> common_words();

}  // namespace slipway::check
