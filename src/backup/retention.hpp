// Retention: which backups `slipway backup prune` keeps, and which rule keeps each one.
//
// The rules of `[backup] keep = { last, daily, weekly, monthly, yearly }` run in that order over
// the backups sorted newest first (borg prune's semantics, docs/commands/backup.md, "prune"):
//
//   last = N      keeps the N newest backups.
//   daily = N     walks the calendar days (weekly: ISO 8601 weeks, Monday to Sunday, numbered in
//   ...           the ISO week-year; monthly: months; yearly: years) of backup.timezone from the
//                 newest backup back. The newest backup of each period is the period's candidate.
//                 A candidate an earlier rule already kept passes the period without counting;
//                 otherwise the rule keeps it, until it has kept N. A rule that runs out of
//                 backups before it has kept N also keeps the oldest backup.
//
// Then two safety rules: the newest verified backup is always kept, and when nothing would be
// kept the newest backup is. A backup no rule keeps is removed.
//
// Example, keep = { last = 1, daily = 2 }, times in UTC:
//
//   d  2026-11-20 18:00   keep    last 1/1
//   c  2026-11-20 06:00   remove  (2026-11-20's candidate is d, which `last` kept: the day is
//                                  passed without counting)
//   b  2026-11-19 22:00   keep    daily 1/2: 2026-11-19 (UTC)
//   a  2026-11-18 09:00   keep    daily 2/2: 2026-11-18 (UTC)
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/timezone.hpp"

namespace slipway::backup {

struct RetentionItem {
  std::string id;
  std::chrono::system_clock::time_point created;
  bool verified = false;  // a restore test or integrity check passed
};

struct RetentionDecision {
  std::string id;
  std::chrono::system_clock::time_point created;
  bool keep = false;
  // What kept it: "last", "daily", "weekly", "monthly", "yearly", "newest-verified" or
  // "newest"; empty when it is removed.
  std::string rule;
  int rank = 0;         // its place in the rule's quota, 1-based; 0 for the safety rules and removals
  std::string period;   // the period the rule kept it for: "2026-11-19", "2026-W47", "2026-11", "2026"
  bool oldest = false;  // kept as the oldest backup by a rule that could not fill its quota
  // For people, e.g. "daily 3/7: 2026-11-19 (Europe/Berlin)", "newest verified backup",
  // "no rule keeps it".
  std::string reason;
};

// Keep or remove for every item, newest first (ties in `created` by id, descending). Calendar
// periods are those of `zone`. Fails with bad input when two items share an id or a count is
// negative.
Result<std::vector<RetentionDecision>> plan_retention(std::span<const RetentionItem> items, const BackupKeep& keep,
                                                      const TimeZone& zone);
// The same, with the zone loaded by its IANA name (backup.timezone); fails as TimeZone::load.
Result<std::vector<RetentionDecision>> plan_retention(std::span<const RetentionItem> items, const BackupKeep& keep,
                                                      std::string_view timezone);

}  // namespace slipway::backup
