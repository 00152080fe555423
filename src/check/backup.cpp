#include "check/backup.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/time.hpp"
#include "core/units.hpp"

namespace slipway::check {

void check_backup(const CheckBackupConfig& config, const Result<std::vector<BackupFact>>& backups,
                  std::chrono::system_clock::time_point now, Report& report) {
  if (!config.enabled) return;
  const std::string section = "backup";
  if (!backups) {
    const Error& e = backups.error();
    report.add("backup-recent", section, Status::fail,
               fmt::format("cannot read the backup repository: {}{}", e.message,
                           e.where.empty() ? "" : fmt::format(" ({})", e.where)),
               e.hint.empty() ? "check backup.repository in slipway.toml, then run slipway backup list" : e.hint);
    return;
  }
  if (backups->empty()) {
    report.add("backup-recent", section, Status::fail, "no backup exists", "slipway backup create");
    return;
  }
  const auto newest = std::max_element(backups->begin(), backups->end(), [](const BackupFact& a, const BackupFact& b) {
    return a.created_at < b.created_at;
  });
  const auto age = std::chrono::duration_cast<Duration>(now - newest->created_at);
  const std::string age_text = format_age(newest->created_at, now);
  if (age > config.max_age) {
    report.add("backup-recent", section, Status::fail,
               fmt::format("the newest backup, {}, is {} old (the limit is {})", newest->id, age_text,
                           format_duration(config.max_age)),
               "slipway backup create");
  } else if (config.verified && !newest->verified) {
    report.add("backup-recent", section, Status::fail,
               fmt::format("the newest backup, {} ({} old), has not been verified", newest->id, age_text),
               fmt::format("slipway backup verify {}", newest->id));
  } else {
    report.add("backup-recent", section, Status::pass,
               fmt::format("{} is {} old{}", newest->id, age_text, newest->verified ? " and verified" : ""));
  }
}

}  // namespace slipway::check
