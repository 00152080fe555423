// One renderer per output format; report.cpp's render() picks one.
#pragma once

#include <string>
#include <vector>

#include "lint/report.hpp"

namespace slipway::lint {

std::string render_text(const std::vector<FileReport>& files, const RenderOptions& options);
std::string render_json(const std::vector<FileReport>& files);
std::string render_sarif(const std::vector<FileReport>& files);   // SARIF 2.1.0
std::string render_github(const std::vector<FileReport>& files);  // workflow commands
std::string render_markdown(const std::vector<FileReport>& files, const RenderOptions& options);

// The first line of a statement, at most `width` characters, with "..." when cut.
std::string headline(std::string_view sql, std::size_t width = 72);
// The position of a finding's caret.
Position finding_position(const FileReport& file, const Finding& f);

}  // namespace slipway::lint
