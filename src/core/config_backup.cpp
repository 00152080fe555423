// [backup]: the repository, compression, encryption, retention and what `backup export` takes.
#include "core/config_sections.hpp"

namespace slipway {

void read_backup(ConfigReader& r, const toml::table& t, Config& c) {
  r.check_keys(t, "backup",
               {"repository", "compression", "encryption_key_file", "keep", "timezone", "threads", "export_tables"});
  r.path(t, "backup", "repository", c.backup.repository);
  r.string(t, "backup", "compression", c.backup.compression);
  r.path(t, "backup", "encryption_key_file", c.backup.encryption_key_file);
  if (const auto* keep = r.table(t, "keep", "backup")) {
    r.check_keys(*keep, "backup.keep", {"last", "daily", "weekly", "monthly", "yearly"});
    r.integer(*keep, "backup.keep", "last", c.backup.keep.last, 0, 100000);
    r.integer(*keep, "backup.keep", "daily", c.backup.keep.daily, 0, 100000);
    r.integer(*keep, "backup.keep", "weekly", c.backup.keep.weekly, 0, 100000);
    r.integer(*keep, "backup.keep", "monthly", c.backup.keep.monthly, 0, 100000);
    r.integer(*keep, "backup.keep", "yearly", c.backup.keep.yearly, 0, 100000);
  }
  r.string(t, "backup", "timezone", c.backup.timezone);
  r.integer(t, "backup", "threads", c.backup.threads, 0, 256);
  r.strings(t, "backup", "export_tables", c.backup.export_tables);
}

}  // namespace slipway
