// The checklist's "backup taken" item: the newest backup is younger than check.backup.max_age
// and (with check.backup.verified) has passed `slipway backup verify`.
//
// TODO(backup): the backup repository and its catalog are being written on branch `backup`
// (src/backup/catalog.hpp: Catalog::entries() with created_at and verify_status). Until that
// lands, the command passes no list and the item is a warning saying it was not checked; the
// rule itself is here and tested, so wiring it is: read the entries, map each to a BackupFact.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "check/report.hpp"
#include "core/config.hpp"

namespace slipway::check {

struct BackupFact {
  std::string id;
  std::chrono::system_clock::time_point created_at;
  bool verified = false;
};

// backup-recent (section "backup"). `backups` is null when this build cannot read the catalog.
void check_backup(const CheckBackupConfig& config, const std::vector<BackupFact>* backups,
                  std::chrono::system_clock::time_point now, Report& report);

}  // namespace slipway::check
