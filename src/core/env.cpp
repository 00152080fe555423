#include "core/env.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/source.hpp"

namespace slipway {
namespace {

bool is_name_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

}  // namespace

Environment::Environment(std::map<std::string, std::string> file_values, bool use_process_env)
    : values_(std::move(file_values)), use_process_env_(use_process_env) {}

std::optional<std::string> Environment::get(const std::string& name) const {
  if (use_process_env_) {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
  }
  if (auto it = values_.find(name); it != values_.end()) return it->second;
  return std::nullopt;
}

Result<Expanded> expand_variables(std::string_view text, const Environment& env, std::size_t* offset) {
  Expanded out;
  out.value.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '$' || i + 1 >= text.size() || (text[i + 1] != '{' && text[i + 1] != '$')) {
      out.value.push_back(c);
      continue;
    }
    if (text[i + 1] == '$') {
      out.value.push_back('$');
      ++i;
      continue;
    }
    const std::size_t start = i;
    const std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      if (offset) *offset = start;
      return fail(Error::input("unterminated '${' in value", {}, "close it with '}', or write '$$' for a literal '$'"));
    }
    std::string_view inner = text.substr(i + 2, close - i - 2);
    std::string_view fallback;
    bool has_fallback = false;
    if (auto sep = inner.find(":-"); sep != std::string_view::npos) {
      fallback = inner.substr(sep + 2);
      inner = inner.substr(0, sep);
      has_fallback = true;
    }
    bool valid = !inner.empty() && is_name_start(inner.front());
    for (char ch : inner) valid = valid && is_name_char(ch);
    if (!valid) {
      if (offset) *offset = start;
      return fail(Error::input(fmt::format("invalid variable name '{}' in '${{...}}'", inner), {},
                               "names are letters, digits and '_', not starting with a digit"));
    }
    const std::optional<std::string> value = env.get(std::string(inner));
    if (value && !(has_fallback && value->empty())) {
      out.value += *value;
    } else if (has_fallback) {
      out.value += fallback;
    } else {
      out.missing.emplace_back(inner);
    }
    i = close;
  }
  return out;
}

Result<std::map<std::string, std::string>> parse_env_file(std::string_view text, std::string_view path) {
  std::map<std::string, std::string> values;
  const LineIndex index(text);
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    const std::size_t line_start = pos;
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::size_t i = 0;
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i == line.size() || line[i] == '#') continue;
    if (line.substr(i).starts_with("export ")) {
      i += 7;
      while (i < line.size() && line[i] == ' ') ++i;
    }
    const auto where = [&](std::size_t col) { return format_location(path, index.position(line_start + col)); };
    const std::size_t name_start = i;
    if (i >= line.size() || !is_name_start(line[i])) {
      return fail(Error::input("expected NAME=value", where(i), "names are letters, digits and '_'"));
    }
    while (i < line.size() && is_name_char(line[i])) ++i;
    std::string name(line.substr(name_start, i - name_start));
    while (i < line.size() && line[i] == ' ') ++i;
    if (i >= line.size() || line[i] != '=') {
      return fail(Error::input(fmt::format("expected '=' after {}", name), where(i), "write NAME=value"));
    }
    ++i;
    while (i < line.size() && line[i] == ' ') ++i;
    std::string value;
    if (i < line.size() && (line[i] == '\'' || line[i] == '"')) {
      const char quote = line[i];
      const std::size_t open = i++;
      bool closed = false;
      for (; i < line.size(); ++i) {
        if (line[i] == quote) {
          closed = true;
          ++i;
          break;
        }
        if (quote == '"' && line[i] == '\\' && i + 1 < line.size()) {
          const char e = line[++i];
          value.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e);
        } else {
          value.push_back(line[i]);
        }
      }
      if (!closed) {
        return fail(Error::input(fmt::format("unterminated {} quote in the value of {}", quote, name), where(open),
                                 "close the quote on the same line"));
      }
      while (i < line.size() && line[i] == ' ') ++i;
      if (i < line.size() && line[i] != '#') {
        return fail(Error::input(fmt::format("unexpected text after the quoted value of {}", name), where(i),
                                 "put a comment after ' #', or quote the whole value"));
      }
    } else {
      std::string_view raw = line.substr(i);
      if (auto hash = raw.find(" #"); hash != std::string_view::npos) raw = raw.substr(0, hash);
      while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back()))) raw.remove_suffix(1);
      value = std::string(raw);
    }
    values[std::move(name)] = std::move(value);
  }
  return values;
}

Result<std::map<std::string, std::string>> load_env_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(Error::input("cannot read env file", path, "check the path given by --env-file or project.env_file"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_env_file(buffer.str(), path);
}

}  // namespace slipway
