// [verify]: core reads base_url and reports a key not in kVerifyKeys; verify/settings.cpp reads the
// rest from Config::document.
#include "core/config_sections.hpp"

namespace slipway {

const std::vector<std::string_view> kVerifyKeys = {"base_url", "flows",     "flow", "timeout",
                                                   "ca_file",  "insecure",  "perf", "integrity",
                                                   "security", "websocket", "soak"};

void read_verify(ConfigReader& r, const toml::table& t, Config& c) {
  // The other keys are read by verify/settings.cpp, which knows their shapes.
  r.check_keys(t, "verify", kVerifyKeys);
  r.string(t, "verify", "base_url", c.verify.base_url);
}

}  // namespace slipway
