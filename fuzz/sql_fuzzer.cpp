// Fuzzes the SQL front end and the linter: any bytes, as a migration file, must lint and render
// in every format without crashing, leaking or reading out of bounds.
#include <cstddef>
#include <cstdint>
#include <string>

#include "lint/linter.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (text.find('\0') != std::string::npos) return 0;  // files are read as text; libpg_query stops at NUL
  slipway::lint::Settings settings;
  settings.file_in_transaction = size % 2 == 0;
  slipway::lint::Linter linter(settings);
  std::vector<slipway::lint::FileReport> reports;
  reports.push_back(linter.lint("fuzz.sql", text));
  reports.push_back(linter.lint("again.sql", text));  // cross-file state
  for (auto format : {slipway::Format::text, slipway::Format::json, slipway::Format::sarif, slipway::Format::github,
                      slipway::Format::markdown}) {
    slipway::lint::RenderOptions options;
    options.format = format;
    options.show_safe = true;
    (void)slipway::lint::render(reports, options);
  }
  return 0;
}
