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
    report
        .add("backup-recent", section, Status::fail,
             fmt::format("cannot read the backup repository: {}{}", e.message,
                         e.where.empty() ? "" : fmt::format(" ({})", e.where)))
        .with_hint(e.hint.empty() ? "check backup.repository in slipway.toml, then run slipway backup list" : e.hint);
    return;
  }
  if (backups->empty()) {
    report.add("backup-recent", section, Status::fail, "no backup exists").with_hint("slipway backup create");
    return;
  }
  const auto by_time = [](const BackupFact& a, const BackupFact& b) { return a.created_at < b.created_at; };
  const BackupFact& newest = *std::max_element(backups->begin(), backups->end(), by_time);
  const BackupFact* verified = nullptr;  // the newest verified one
  for (const BackupFact& b : *backups) {
    if (b.verified && (!verified || by_time(*verified, b))) verified = &b;
  }
  const auto age = [&](const BackupFact& b) { return std::chrono::duration_cast<Duration>(now - b.created_at); };
  const std::string age_text = format_age(newest.created_at, now);
  // A verified backup within max_age is enough, even when a newer one (the last deploy's own
  // pre-deploy backup) has not been verified yet.
  if (config.verified && verified && age(*verified) <= config.max_age) {
    report.add("backup-recent", section, Status::pass,
               verified == &newest ? fmt::format("{} is {} old and verified", newest.id, age_text)
                                   : fmt::format("{} is {} old and verified (the newest, {}, is not verified yet)",
                                                 verified->id, format_age(verified->created_at, now), newest.id));
  } else if (age(newest) > config.max_age) {
    report
        .add("backup-recent", section, Status::fail,
             fmt::format("the newest backup, {}, is {} old (the limit is {})", newest.id, age_text,
                         format_duration(config.max_age)))
        .with_hint("slipway backup create");
  } else if (config.verified && verified) {
    report
        .add("backup-recent", section, Status::fail,
             fmt::format("no verified backup is younger than {}: the newest, {} ({} old), has not been verified, "
                         "and the newest verified one, {}, is {} old",
                         format_duration(config.max_age), newest.id, age_text, verified->id,
                         format_age(verified->created_at, now)))
        .with_hint(fmt::format("slipway backup verify {}", newest.id));
  } else if (config.verified) {
    report
        .add("backup-recent", section, Status::fail,
             fmt::format("the newest backup, {} ({} old), has not been verified", newest.id, age_text))
        .with_hint(fmt::format("slipway backup verify {}", newest.id));
  } else {
    report.add("backup-recent", section, Status::pass,
               fmt::format("{} is {} old{}", newest.id, age_text, newest.verified ? " and verified" : ""));
  }
}

}  // namespace slipway::check
