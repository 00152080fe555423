// The table of lint rules.
#pragma once

#include <span>
#include <string_view>

#include "lint/rule.hpp"

namespace slipway::lint {

std::span<const Rule> all_rules();
// The rule with this id, or nullptr.
const Rule* find_rule(std::string_view id);

}  // namespace slipway::lint
