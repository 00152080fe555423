#include "core/env.hpp"

#include <cctype>
#include <cstdlib>

#include <fmt/format.h>

#include "core/fs.hpp"
#include "core/source.hpp"
#include "core/units.hpp"

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

namespace {

// How deep ${A:-${B:-...}} may nest.
constexpr int kMaxDefaultDepth = 16;

// The offset of the '}' that closes the "${" at `start`, skipping nested "${...}" and "$$"; npos
// when there is none. Fails past kMaxDefaultDepth levels, with `offset` at the "${" too deep.
Result<std::size_t> closing_brace(std::string_view text, std::size_t start, int depth, std::size_t* offset) {
  int open = 0;
  for (std::size_t i = start; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '$') {
      ++i;
    } else if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      if (depth + open >= kMaxDefaultDepth) {
        if (offset) *offset = i;
        return fail(Error::input(fmt::format("'${{...:-...}}' nested more than {} deep", kMaxDefaultDepth), {},
                                 "set the variable in the env file instead of nesting defaults"));
      }
      ++open;
      ++i;
    } else if (text[i] == '}' && --open == 0) {
      return i;
    }
  }
  return std::string_view::npos;
}

Result<void> expand_into(std::string_view text, const Environment& env, int depth, Expanded& out, std::size_t* offset) {
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
    auto close = closing_brace(text, i, depth, offset);
    if (!close) return fail(close.error());
    if (*close == std::string_view::npos) {
      if (offset) *offset = start;
      return fail(Error::input("unterminated '${' in value", {}, "close it with '}', or write '$$' for a literal '$'"));
    }
    std::string_view inner = text.substr(i + 2, *close - i - 2);
    std::string_view fallback;
    bool has_fallback = false;
    std::size_t fallback_at = 0;
    if (auto sep = inner.find(":-"); sep != std::string_view::npos) {
      fallback = inner.substr(sep + 2);
      fallback_at = i + 2 + sep + 2;
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
      // The fallback is itself a value: ${A:-${B}} is B when A is unset or empty.
      if (auto r = expand_into(fallback, env, depth + 1, out, offset); !r) {
        if (offset) *offset += fallback_at;
        return r;
      }
    } else {
      out.missing.emplace_back(inner);
    }
    i = *close;
  }
  return {};
}

}  // namespace

Result<Expanded> expand_variables(std::string_view text, const Environment& env, std::size_t* offset) {
  Expanded out;
  out.value.reserve(text.size());
  if (auto r = expand_into(text, env, 0, out, offset); !r) return fail(r.error());
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
  auto text = read_text_file(path, kMaxConfigFileBytes);
  if (!text) {
    return fail(
        Error::input(fmt::format("cannot use the env file: {}", text.error().message), path,
                     fmt::format("check the path given by --env-file or project.env_file: a regular file of at most {}",
                                 format_size(kMaxConfigFileBytes))));
  }
  return parse_env_file(*text, path);
}

}  // namespace slipway
