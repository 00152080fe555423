// The checklist's "backup taken" item: a backup younger than check.backup.max_age exists and
// (with check.backup.verified) one that young has passed `slipway backup verify`, named in the
// message; a newer unverified one (a deploy's own pre-deploy backup) does not make it fail.
//
// The facts come from the backup repository's catalog (backup::Repository::list(): created_at and
// verify_status of each backup); the command layer reads them, so this library does not depend on
// src/backup.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "check/report.hpp"
#include "core/config.hpp"
#include "core/error.hpp"

namespace slipway::check {

struct BackupFact {
  std::string id;
  std::chrono::system_clock::time_point created_at;
  bool verified = false;
};

// backup-recent (section "backup"). `backups` holds why the repository could not be read when it
// could not; that fails the item, since no backup can be shown to exist.
void check_backup(const CheckBackupConfig& config, const Result<std::vector<BackupFact>>& backups,
                  std::chrono::system_clock::time_point now, Report& report);

}  // namespace slipway::check
