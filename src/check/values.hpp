// The types of the env schema: what a value of type "int", "origin" or "postgres-url" must look like.
//
// Each checker returns why a value is wrong, or nothing. The reason never quotes the value (it
// may be a secret); the caller decides whether the value can be shown.
//
//   type_problem("origin", "https://app.example.com/")  -> "has a trailing slash"
//   type_problem("origin", "app.example.com")           -> "has no protocol (write https://...)"
//   type_problem("int", "12a")                          -> "is not an integer"
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/url.hpp"

namespace slipway::check {

// Why `value` is not of `type` (one of the schema's types; enum is checked by the caller), or
// nullopt when it is.
std::optional<std::string> type_problem(std::string_view type, std::string_view value);

// Why a postgres URL (parsed by Url::parse, core/url.hpp) looks pooled: pooler parameters (pgbouncer=true,
// connection_limit...), a pooler host (Neon's "-pooler.", Supabase's "pooler.") or a pooler port (6432, 6543).
std::vector<std::string> pooling_signs(const Url& url);

// "true"/"1"/"yes"/"on" -> true, "false"/"0"/"no"/"off" -> false (any case), else nullopt.
std::optional<bool> parse_bool(std::string_view text);

// Splits a comma-separated list, trimming spaces; empty items are kept (and reported).
std::vector<std::string> split_list(std::string_view text);

}  // namespace slipway::check
