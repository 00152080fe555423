// slipway backup prune: retention.hpp's plan over the repository's catalog, then removal.
#include <map>

#include "backup/backup.hpp"

namespace slipway::backup {

Result<PruneOutcome> prune_backups(Repository& repo, const PruneOptions& options) {
  // The lock comes before the listing: a create that is running finishes first, and its backup
  // is planned with the others (so it can count as the newest).
  std::unique_ptr<StorageLock> lock;
  if (!options.dry_run) {
    auto held = repo.storage().lock();
    if (!held) return fail(held.error());
    lock = std::move(*held);
  }
  auto entries = repo.list_all();
  if (!entries) return fail(entries.error());

  PruneOutcome outcome;
  std::vector<RetentionItem> items;
  std::map<std::string, const Entry*> by_id;
  for (const Entry& e : *entries) {
    // Not planned, so never removed: a damaged manifest may be repaired, and its archive is all
    // there is of that backup. The caller says so.
    if (!e.damaged.empty()) {
      outcome.damaged.push_back(e);
      continue;
    }
    auto created = e.created();
    if (!created) return fail(created.error());
    items.push_back({e.id, *created, e.verified()});
    by_id[e.id] = &e;
  }
  auto plan = plan_retention(items, options.keep, options.zone);
  if (!plan) return fail(plan.error());

  for (RetentionDecision& d : *plan) {
    outcome.backups.push_back({*by_id.at(d.id), std::move(d)});
  }
  if (options.dry_run) return outcome;
  for (const PruneItem& item : outcome.backups) {
    if (item.decision.keep) continue;
    if (auto r = repo.remove(item.entry.id); !r) return fail(r.error());
    ++outcome.removed;
  }
  auto leftovers = repo.clean_leftovers();
  if (!leftovers) return fail(leftovers.error());
  outcome.leftovers = *leftovers;
  return outcome;
}

}  // namespace slipway::backup
