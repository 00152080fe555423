// The checklist for people (grouped by section, ✓ / ⚠ / ✗) and for machines (JSON).
//
// JSON: {"checks":[{"id","section","status","message","hint"}],"summary":{"pass","warn","fail"}}
// with status "pass" | "warn" | "fail".
#pragma once

#include <string>

#include "check/report.hpp"
#include "core/output.hpp"

namespace slipway::check {

// True when LC_ALL, else LC_CTYPE, else LANG names a UTF-8 locale: the glyphs ✓ ⚠ ✗ then print;
// otherwise the marks are PASS / WARN / FAIL.
bool utf8_locale();

std::string render_text(const Report& report, const Style& style, bool unicode);
std::string render_json(const Report& report);

}  // namespace slipway::check
