#include "core/host.hpp"

#include <unistd.h>

#include <cstdlib>

namespace slipway {

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

std::string user_name() {
  const char* user = std::getenv("USER");
  return user && *user ? user : "unknown";
}

}  // namespace slipway
