#include "core/error.hpp"

namespace slipway {

std::string Error::render() const {
  std::string out;
  if (!where.empty()) {
    out += where;
    out += ": ";
  }
  out += message;
  if (!hint.empty()) {
    out += "\n  hint: ";
    out += hint;
  }
  return out;
}

}  // namespace slipway
