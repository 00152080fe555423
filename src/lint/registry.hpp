// The table of lint rules.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "lint/rule.hpp"

namespace slipway::lint {

std::span<const Rule> all_rules();
// Every rule id, in registry order (for "did you mean").
std::vector<std::string_view> rule_ids();
// The rule with this id, or nullptr.
const Rule* find_rule(std::string_view id);

}  // namespace slipway::lint
