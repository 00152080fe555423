#include "core/output.hpp"

#include <unistd.h>
#include <cstdlib>
#include <cstring>

#include <cmath>

#include <fmt/format.h>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace slipway {

std::string format_number(double value, int max_decimals) {
  if (!std::isfinite(value)) return "null";
  if (max_decimals >= 0) {
    const double scale = std::pow(10.0, max_decimals);
    value = std::round(value * scale) / scale;
    if (value == 0) value = 0;  // no "-0"
  }
  std::string s = fmt::format("{}", value);  // the shortest round-trip text, maybe "1.5e+20"
  const std::size_t e = s.find('e');
  if (e == std::string::npos) return s;
  const int exponent = std::stoi(s.substr(e + 1));
  std::string mantissa = s.substr(0, e);
  const std::size_t dot = mantissa.find('.');
  const int fraction_digits = dot == std::string::npos ? 0 : static_cast<int>(mantissa.size() - dot - 1);
  // The same digits, written out: as many decimals as the mantissa's beyond the exponent.
  return fmt::format("{:.{}f}", value, std::max(0, fraction_digits - exponent));
}

namespace {

void write_json(const boost::json::value& v, std::string& out) {
  switch (v.kind()) {
    case boost::json::kind::double_: out += format_number(v.get_double()); return;
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write_json(item, out);
      }
      out += ']';
      return;
    }
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += boost::json::serialize(boost::json::string_view(key));
        out += ':';
        write_json(item, out);
      }
      out += '}';
      return;
    }
    default: out += boost::json::serialize(v); return;
  }
}

}  // namespace

std::string json_text(const boost::json::value& value) {
  std::string out;
  write_json(value, out);
  return out;
}

std::string with_article(std::string_view word) {
  const bool vowel = !word.empty() && std::strchr("aeiouAEIOU", word.front()) != nullptr;
  return fmt::format("{} {}", vowel ? "an" : "a", word);
}

std::string_view to_string(Format f) {
  switch (f) {
    case Format::text: return "text";
    case Format::json: return "json";
    case Format::sarif: return "sarif";
    case Format::github: return "github";
    case Format::junit: return "junit";
    case Format::markdown: return "markdown";
  }
  return "text";
}

Result<Format> parse_format(std::string_view text, std::initializer_list<Format> supported) {
  std::string list;
  for (Format f : supported) {
    if (to_string(f) == text) return f;
    list += fmt::format("{}{}", list.empty() ? "" : ", ", to_string(f));
  }
  return fail(Error::input(fmt::format("unknown format '{}'", text), "--format", fmt::format("use one of: {}", list)));
}

std::string markdown_cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r')
          out += ' ';
        else
          out += c;
    }
  }
  return out;
}

Style Style::for_stdout(std::optional<bool> force) {
  if (force) return Style(*force);
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return Style(false);
  const char* term = std::getenv("TERM");
  if (term && std::strcmp(term, "dumb") == 0) return Style(false);
  return Style(isatty(STDOUT_FILENO) != 0);
}

std::string Style::paint(Color c, std::string_view text) const {
  if (!enabled_) return std::string(text);
  const char* code = "";
  switch (c) {
    case Color::red: code = "31"; break;
    case Color::yellow: code = "33"; break;
    case Color::green: code = "32"; break;
    case Color::cyan: code = "36"; break;
    case Color::dim: code = "2"; break;
    case Color::bold: code = "1"; break;
  }
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

}  // namespace slipway
