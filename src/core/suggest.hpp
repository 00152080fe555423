// "Did you mean": the closest known name to an unknown one.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace slipway {

// Damerau-Levenshtein distance (optimal string alignment), case-sensitive.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is close enough to be a plausible typo
// (distance at most max(1, len/3)), or a candidate that starts with `word`.
std::optional<std::string> suggest(std::string_view word, std::span<const std::string_view> candidates);

// ", did you mean 'x'?" or "" — ready to append to a message.
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace slipway
