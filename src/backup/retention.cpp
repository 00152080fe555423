#include "backup/retention.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <unordered_set>

#include <fmt/format.h>

namespace slipway::backup {
namespace {

using namespace std::chrono;

// A backup as the rules see it: where it sits newest-first, and its local calendar day.
struct Entry {
  std::size_t index;  // position in newest-first order
  local_days day;
};

// ISO 8601: weeks run Monday to Sunday and belong to the year that holds their Thursday, so
// 2021-01-03 (a Sunday) is in 2020-W53 and 2024-12-30 (a Monday) is in 2025-W01.
struct IsoWeek {
  int year;
  unsigned week;
};
IsoWeek iso_week(local_days d) {
  const unsigned weekday_iso = weekday{d}.iso_encoding();  // Monday 1 .. Sunday 7
  const local_days thursday = d + days{4 - static_cast<int>(weekday_iso)};
  const year y = year_month_day{thursday}.year();
  const auto week = static_cast<unsigned>((thursday - local_days{y / January / 1}).count() / 7 + 1);
  return {static_cast<int>(y), week};
}

std::int64_t last_key(const Entry& e) {
  return static_cast<std::int64_t>(e.index);
}
std::int64_t day_key(const Entry& e) {
  return e.day.time_since_epoch().count();
}
std::int64_t week_key(const Entry& e) {
  const auto w = iso_week(e.day);
  return std::int64_t{w.year} * 100 + w.week;
}
std::int64_t month_key(const Entry& e) {
  const year_month_day ymd{e.day};
  return std::int64_t{static_cast<int>(ymd.year())} * 12 + static_cast<unsigned>(ymd.month());
}
std::int64_t year_key(const Entry& e) {
  return static_cast<int>(year_month_day{e.day}.year());
}

std::string no_label(const Entry&) {
  return {};
}
std::string day_label(const Entry& e) {
  const year_month_day ymd{e.day};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}
std::string week_label(const Entry& e) {
  const auto w = iso_week(e.day);
  return fmt::format("{:04}-W{:02}", w.year, w.week);
}
std::string month_label(const Entry& e) {
  const year_month_day ymd{e.day};
  return fmt::format("{:04}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()));
}
std::string year_label(const Entry& e) {
  return fmt::format("{:04}", static_cast<int>(year_month_day{e.day}.year()));
}

// One row per rule, in the order the rules run. `last` is a rule whose every backup is its own
// period, so it shares the walk of the calendar rules.
struct Rule {
  std::string_view name;
  int BackupKeep::*count;
  std::string_view periods;  // for "found only 3 of 7 days"
  std::int64_t (*key)(const Entry&);
  std::string (*label)(const Entry&);
};
constexpr Rule kRules[] = {
    {"last", &BackupKeep::last, "backups", last_key, no_label},
    {"daily", &BackupKeep::daily, "days", day_key, day_label},
    {"weekly", &BackupKeep::weekly, "weeks", week_key, week_label},
    {"monthly", &BackupKeep::monthly, "months", month_key, month_label},
    {"yearly", &BackupKeep::yearly, "years", year_key, year_label},
};

// Borg's prune_split: walk newest first; the first backup of each new period is its candidate;
// a candidate that is already kept passes the period without counting.
void apply_rule(const Rule& rule, int quota, std::span<const Entry> entries, std::vector<RetentionDecision>& out,
                std::string_view zone) {
  if (quota <= 0 || entries.empty()) return;
  auto keep = [&](const Entry& e, int rank, bool oldest) {
    RetentionDecision& d = out[e.index];
    d.keep = true;
    d.rule = std::string(rule.name);
    d.rank = rank;
    d.period = rule.label(e);
    d.oldest = oldest;
    d.reason = fmt::format("{} {}/{}", rule.name, rank, quota);
    if (oldest) d.reason += fmt::format(" (oldest backup; the rule found fewer than {} {})", quota, rule.periods);
    if (!d.period.empty()) d.reason += fmt::format(": {} ({})", d.period, zone);
  };
  int kept = 0;
  std::optional<std::int64_t> last_period;
  for (const Entry& e : entries) {
    const std::int64_t period = rule.key(e);
    if (period == last_period) continue;
    last_period = period;
    if (out[e.index].keep) continue;
    keep(e, ++kept, false);
    if (kept == quota) return;
  }
  if (!out[entries.back().index].keep) keep(entries.back(), ++kept, true);
}

}  // namespace

Result<std::vector<RetentionDecision>> plan_retention(std::span<const RetentionItem> items, const BackupKeep& keep,
                                                      const TimeZone& zone) {
  for (const Rule& rule : kRules) {
    if (keep.*rule.count < 0) {
      return fail(Error::input(fmt::format("backup.keep.{} is {}; a count is 0 or more", rule.name, keep.*rule.count)));
    }
  }
  std::unordered_set<std::string_view> ids;
  for (const auto& item : items) {
    if (!ids.insert(item.id).second) return fail(Error::input(fmt::format("two backups share the id {}", item.id)));
  }

  std::vector<const RetentionItem*> sorted;
  sorted.reserve(items.size());
  for (const auto& item : items) sorted.push_back(&item);
  std::sort(sorted.begin(), sorted.end(), [](const RetentionItem* a, const RetentionItem* b) {
    if (a->created != b->created) return a->created > b->created;
    return a->id > b->id;
  });

  std::vector<Entry> entries;
  std::vector<RetentionDecision> out;
  entries.reserve(sorted.size());
  out.reserve(sorted.size());
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const local_seconds local = zone.to_local(floor<seconds>(sorted[i]->created));
    entries.push_back({i, floor<days>(local)});
    RetentionDecision d;
    d.id = sorted[i]->id;
    d.created = sorted[i]->created;
    out.push_back(std::move(d));
  }

  for (const Rule& rule : kRules) apply_rule(rule, keep.*rule.count, entries, out, zone.name());

  // The safety rules: they only add to what the rules keep.
  const auto newest_verified =
      std::find_if(sorted.begin(), sorted.end(), [](const RetentionItem* item) { return item->verified; });
  if (newest_verified != sorted.end()) {
    RetentionDecision& d = out[static_cast<std::size_t>(newest_verified - sorted.begin())];
    if (!d.keep) {
      d.keep = true;
      d.rule = "newest-verified";
      d.reason = "newest verified backup (always kept)";
    }
  }
  if (!out.empty() && std::none_of(out.begin(), out.end(), [](const RetentionDecision& d) { return d.keep; })) {
    out.front().keep = true;
    out.front().rule = "newest";
    out.front().reason = "newest backup (prune never removes every backup)";
  }
  for (auto& d : out) {
    if (!d.keep) d.reason = "no rule keeps it";
  }
  return out;
}

Result<std::vector<RetentionDecision>> plan_retention(std::span<const RetentionItem> items, const BackupKeep& keep,
                                                      std::string_view timezone) {
  auto zone = TimeZone::load(timezone);
  if (!zone) {
    Error e = zone.error();
    if (e.where.empty()) e.where = "backup.timezone";
    return fail(std::move(e));
  }
  return plan_retention(items, keep, *zone);
}

}  // namespace slipway::backup
