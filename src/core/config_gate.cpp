// [gate] and [gate.admin]: the proxy's addresses, limits, timeouts, maintenance page and who is an admin.
#include "core/config_sections.hpp"

namespace slipway {
namespace fs = std::filesystem;

void read_gate(ConfigReader& r, const toml::table& t, Config& c) {
  r.check_keys(t, "gate",
               {"listen",
                "upstream",
                "health_path",
                "control_socket",
                "admin_listen",
                "allow",
                "admin_writes",
                "admin",
                "message",
                "retry_after",
                "maintenance_page",
                "security_headers",
                "forwarded_proto",
                "access_log",
                "state_file",
                "threads",
                "max_connections",
                "max_header_size",
                "max_body_size",
                "header_timeout",
                "idle_timeout",
                "upstream_timeout",
                "switch_healthy",
                "switch_timeout",
                "drain_timeout",
                "trusted_proxies",
                "access_log_max_size",
                "access_log_keep"});
  r.string(t, "gate", "listen", c.gate.listen);
  r.string(t, "gate", "upstream", c.gate.upstream);
  r.string(t, "gate", "health_path", c.gate.health_path);
  r.path(t, "gate", "control_socket", c.gate.control_socket);
  r.string(t, "gate", "admin_listen", c.gate.admin_listen);
  r.strings(t, "gate", "allow", c.gate.allow);
  r.boolean(t, "gate", "admin_writes", c.gate.admin_writes);
  r.string(t, "gate", "message", c.gate.message);
  r.duration(t, "gate", "retry_after", c.gate.retry_after);
  r.path(t, "gate", "maintenance_page", c.gate.maintenance_page);
  r.strings(t, "gate", "security_headers", c.gate.security_headers);
  r.one_of(t, "gate", "forwarded_proto", c.gate.forwarded_proto, {"http", "https", "keep"});
  std::string access_log;
  r.string(t, "gate", "access_log", access_log);
  if (!access_log.empty()) c.gate.access_log = access_log == "-" ? fs::path("-") : r.resolve(access_log);
  r.size(t, "gate", "access_log_max_size", c.gate.access_log_max_size);
  r.integer(t, "gate", "access_log_keep", c.gate.access_log_keep, 1, 1000);
  r.strings(t, "gate", "trusted_proxies", c.gate.trusted_proxies);
  r.path(t, "gate", "state_file", c.gate.state_file);
  r.integer(t, "gate", "threads", c.gate.threads, 0, 256);
  r.integer(t, "gate", "max_connections", c.gate.max_connections, 1, 1'000'000);
  r.size(t, "gate", "max_header_size", c.gate.max_header_size);
  r.size(t, "gate", "max_body_size", c.gate.max_body_size);
  r.duration(t, "gate", "header_timeout", c.gate.header_timeout);
  r.duration(t, "gate", "idle_timeout", c.gate.idle_timeout);
  r.duration(t, "gate", "upstream_timeout", c.gate.upstream_timeout);
  r.integer(t, "gate", "switch_healthy", c.gate.switch_healthy, 1, 1000);
  r.duration(t, "gate", "switch_timeout", c.gate.switch_timeout);
  r.duration(t, "gate", "drain_timeout", c.gate.drain_timeout);
  if (const auto* admin = r.table(t, "admin", "gate")) {
    r.check_keys(*admin, "gate.admin",
                 {"jwt_secret", "jwt_public_key", "jwks_file", "claim", "values", "cookie", "leeway", "ips",
                  "bypass_secret", "bypass_cookie", "query_param"});
    r.string(*admin, "gate.admin", "jwt_secret", c.gate.admin.jwt_secret);
    r.path(*admin, "gate.admin", "jwt_public_key", c.gate.admin.jwt_public_key);
    r.path(*admin, "gate.admin", "jwks_file", c.gate.admin.jwks_file);
    r.string(*admin, "gate.admin", "claim", c.gate.admin.claim);
    r.strings(*admin, "gate.admin", "values", c.gate.admin.values);
    r.string(*admin, "gate.admin", "cookie", c.gate.admin.cookie);
    r.string(*admin, "gate.admin", "query_param", c.gate.admin.query_param);
    r.duration(*admin, "gate.admin", "leeway", c.gate.admin.leeway);
    r.strings(*admin, "gate.admin", "ips", c.gate.admin.ips);
    r.string(*admin, "gate.admin", "bypass_secret", c.gate.admin.bypass_secret);
    r.string(*admin, "gate.admin", "bypass_cookie", c.gate.admin.bypass_cookie);
  }
}

}  // namespace slipway
