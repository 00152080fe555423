#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "backup/retention.hpp"
#include "glibc_zone.hpp"

namespace slipway::backup {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using test::GlibcZone;

sys_seconds utc(year_month_day d, seconds time_of_day = 0s) {
  return sys_days{d} + time_of_day;
}

RetentionItem item(std::string id, sys_seconds created, bool verified = false) {
  return {std::move(id), system_clock::time_point{created}, verified};
}

BackupKeep policy(int last, int daily, int weekly, int monthly, int yearly = 0) {
  BackupKeep k;
  k.last = last;
  k.daily = daily;
  k.weekly = weekly;
  k.monthly = monthly;
  k.yearly = yearly;
  return k;
}

TimeZone zone(const std::string& name) {
  auto z = TimeZone::load(name);
  EXPECT_TRUE(z) << z.error().render();
  return z ? *z : TimeZone::utc();
}

std::vector<RetentionDecision> plan(const std::vector<RetentionItem>& items, const BackupKeep& keep,
                                    const std::string& tz = "UTC") {
  auto p = plan_retention(items, keep, zone(tz));
  EXPECT_TRUE(p) << p.error().render();
  return p ? *p : std::vector<RetentionDecision>{};
}

const RetentionDecision& find(const std::vector<RetentionDecision>& plan, const std::string& id) {
  auto it = std::find_if(plan.begin(), plan.end(), [&](const auto& d) { return d.id == id; });
  if (it == plan.end()) throw std::runtime_error("no decision for " + id);
  return *it;
}

std::set<std::string> kept(const std::vector<RetentionDecision>& plan) {
  std::set<std::string> ids;
  for (const auto& d : plan) {
    if (d.keep) ids.insert(d.id);
  }
  return ids;
}

// ---------------------------------------------------------------------------------------------
// An independent model: borg's prune_split transcribed directly, with periods from glibc's
// localtime_r + strftime ("%Y-%m-%d", "%G-%V", "%Y-%m", "%Y"), as borg computes them.

struct ModelDecision {
  std::string rule;
  int rank = 0;
  bool oldest = false;
};

std::map<std::string, ModelDecision> model(std::vector<RetentionItem> items, const BackupKeep& keep,
                                           const std::string& tz) {
  std::sort(items.begin(), items.end(),
            [](const auto& a, const auto& b) { return a.created != b.created ? a.created > b.created : a.id > b.id; });
  GlibcZone glibc(tz);
  std::map<std::string, ModelDecision> kept_because;
  const std::vector<std::pair<std::string, std::pair<int, const char*>>> rules = {{"last", {keep.last, nullptr}},
                                                                                  {"daily", {keep.daily, "%Y-%m-%d"}},
                                                                                  {"weekly", {keep.weekly, "%G-%V"}},
                                                                                  {"monthly", {keep.monthly, "%Y-%m"}},
                                                                                  {"yearly", {keep.yearly, "%Y"}}};
  for (const auto& [rule, spec] : rules) {
    const auto [n, pattern] = spec;
    if (n == 0 || items.empty()) continue;
    std::optional<std::string> last;
    int count = 0;
    bool filled = false;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const auto period =
          pattern == nullptr ? std::to_string(i) : GlibcZone::format(floor<seconds>(items[i].created), pattern);
      if (period == last) continue;
      last = period;
      if (kept_because.count(items[i].id) != 0) continue;
      kept_because[items[i].id] = {rule, ++count};
      if (count == n) {
        filled = true;
        break;
      }
    }
    if (!filled && kept_because.count(items.back().id) == 0) kept_because[items.back().id] = {rule, ++count, true};
  }
  for (const auto& i : items) {
    if (i.verified) {
      if (kept_because.count(i.id) == 0) kept_because[i.id] = {"newest-verified"};
      break;
    }
  }
  if (kept_because.empty() && !items.empty()) kept_because[items.front().id] = {"newest"};
  return kept_because;
}

// Years of backups: 0 to 5 a day at irregular times, with gaps of days and of whole weeks.
std::vector<RetentionItem> synthetic_history(std::uint64_t seed, year_month_day from, int days_count) {
  std::mt19937_64 rng(seed);
  std::vector<RetentionItem> items;
  int id = 0;
  for (int day = 0; day < days_count; ++day) {
    if (rng() % 60 == 0) day += 7 + static_cast<int>(rng() % 20);  // a holiday without backups
    const int count = static_cast<int>(rng() % 6);
    for (int k = 0; k < count; ++k) {
      const auto t = sys_days{from} + days{day} + seconds{rng() % 86400};
      items.push_back(item(fmt::format("b{:05}", id++), floor<seconds>(t), rng() % 7 == 0));
    }
  }
  std::shuffle(items.begin(), items.end(), rng);  // the input order must not matter
  return items;
}

TEST(Retention, MatchesTheModelOverYearsOfSyntheticBackups) {
  const std::vector<BackupKeep> policies = {policy(3, 7, 4, 12),   policy(0, 7, 4, 12, 2), policy(1, 30, 52, 36, 5),
                                            policy(0, 0, 0, 0, 0), policy(0, 0, 1, 0, 0),  policy(10, 3, 0, 0, 1),
                                            policy(0, 400, 0, 0)};
  const std::vector<std::string> zones = {
      "UTC", "Europe/Berlin", "America/New_York", "Pacific/Auckland", "Australia/Lord_Howe", "Asia/Kolkata"};
  std::uint64_t seed = 1;
  for (const auto& tz : zones) {
    for (const auto& keep : policies) {
      const auto items = synthetic_history(seed++, 2023y / 11 / 20, 3 * 365);
      const auto decisions = plan(items, keep, tz);
      const auto expected = model(items, keep, tz);
      ASSERT_EQ(decisions.size(), items.size());
      std::size_t kept_count = 0;
      for (std::size_t i = 0; i < decisions.size(); ++i) {
        const auto& d = decisions[i];
        if (i > 0) {
          ASSERT_GE(decisions[i - 1].created, d.created) << "not newest first";
        }
        const auto it = expected.find(d.id);
        const std::string where = fmt::format("{} in {} keep={{{},{},{},{},{}}}", d.id, tz, keep.last, keep.daily,
                                              keep.weekly, keep.monthly, keep.yearly);
        ASSERT_EQ(d.keep, it != expected.end()) << where << ": " << d.reason;
        if (!d.keep) continue;
        ++kept_count;
        EXPECT_EQ(d.rule, it->second.rule) << where;
        EXPECT_EQ(d.rank, it->second.rank) << where;
        EXPECT_EQ(d.oldest, it->second.oldest) << where;
      }
      EXPECT_EQ(kept_count, expected.size());
    }
  }
}

TEST(Retention, CalendarRulesKeepTheNewestOfEachPeriodAndNoMoreThanTheirQuota) {
  const auto items = synthetic_history(99, 2024y / 1 / 1, 2 * 365);
  const BackupKeep keep = policy(0, 10, 8, 6, 2);
  const auto decisions = plan(items, keep, "Europe/Berlin");
  std::map<std::string, std::set<std::string>> periods;  // rule -> periods kept
  std::map<std::string, int> per_rule;
  GlibcZone glibc("Europe/Berlin");
  for (const auto& d : decisions) {
    if (!d.keep || d.oldest || d.rule == "newest-verified") continue;
    EXPECT_TRUE(periods[d.rule].insert(d.period).second) << d.rule << " kept two backups of " << d.period;
    ++per_rule[d.rule];
    // Nothing newer shares its period: it is the newest backup of the period.
    const char* pattern = d.rule == "daily"     ? "%Y-%m-%d"
                          : d.rule == "weekly"  ? "%G-W%V"
                          : d.rule == "monthly" ? "%Y-%m"
                                                : "%Y";
    for (const auto& newer : decisions) {
      if (newer.created <= d.created) break;
      EXPECT_NE(GlibcZone::format(floor<seconds>(newer.created), pattern), d.period) << d.id << " " << d.rule;
    }
  }
  EXPECT_EQ(per_rule["daily"], 10);
  EXPECT_EQ(per_rule["weekly"], 8);
  EXPECT_EQ(per_rule["monthly"], 6);
  EXPECT_GE(per_rule["yearly"], 1);  // the newest year's candidate is kept by `daily` already
  EXPECT_LE(per_rule["yearly"], 2);
}

// ---------------------------------------------------------------------------------------------
// Hand-written cases.

TEST(Retention, LastKeepsTheNewestN) {
  std::vector<RetentionItem> items;
  for (int i = 0; i < 5; ++i) items.push_back(item(fmt::format("b{}", i), utc(2026y / 5 / 1, hours{i})));
  const auto p = plan(items, policy(3, 0, 0, 0));
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[0].id, "b4");
  EXPECT_EQ(p[0].reason, "last 1/3");
  EXPECT_EQ(p[2].id, "b2");
  EXPECT_EQ(p[2].reason, "last 3/3");
  EXPECT_FALSE(p[3].keep);
  EXPECT_EQ(p[3].reason, "no rule keeps it");
  EXPECT_FALSE(p[4].keep);
}

TEST(Retention, ABackupKeptByAnEarlierRuleDoesNotCountForALaterOne) {
  // Three backups today and one each of the two days before; last = 2, daily = 2.
  const std::vector<RetentionItem> items = {
      item("today-18", utc(2026y / 11 / 20, 18h)),  item("today-12", utc(2026y / 11 / 20, 12h)),
      item("today-06", utc(2026y / 11 / 20, 6h)),   item("yesterday", utc(2026y / 11 / 19, 22h)),
      item("day-before", utc(2026y / 11 / 18, 9h)), item("older", utc(2026y / 11 / 17, 9h))};
  const auto p = plan(items, policy(2, 2, 0, 0));
  EXPECT_EQ(find(p, "today-18").reason, "last 1/2");
  EXPECT_EQ(find(p, "today-12").reason, "last 2/2");
  // Today's candidate (today-18) is already kept: the day passes without counting, and
  // today-06 is not considered in its place.
  EXPECT_FALSE(find(p, "today-06").keep);
  EXPECT_EQ(find(p, "yesterday").reason, "daily 1/2: 2026-11-19 (UTC)");
  EXPECT_EQ(find(p, "day-before").reason, "daily 2/2: 2026-11-18 (UTC)");
  EXPECT_FALSE(find(p, "older").keep);
}

TEST(Retention, ARuleThatRunsOutOfBackupsAlsoKeepsTheOldest) {
  const std::vector<RetentionItem> items = {item("c2", utc(2026y / 3 / 3, 20h)), item("c1", utc(2026y / 3 / 3, 8h)),
                                            item("b2", utc(2026y / 3 / 2, 20h)), item("b1", utc(2026y / 3 / 2, 8h)),
                                            item("a2", utc(2026y / 3 / 1, 20h)), item("a1", utc(2026y / 3 / 1, 8h))};
  const auto p = plan(items, policy(0, 7, 0, 0));
  EXPECT_EQ(kept(p), (std::set<std::string>{"c2", "b2", "a2", "a1"}));
  const auto& oldest = find(p, "a1");
  EXPECT_TRUE(oldest.oldest);
  EXPECT_EQ(oldest.rank, 4);
  EXPECT_EQ(oldest.reason, "daily 4/7 (oldest backup; the rule found fewer than 7 days): 2026-03-01 (UTC)");
}

TEST(Retention, MonthBoundaries) {
  // Jan 31 and Feb 1 are two months; in Berlin, 23:30 UTC on Jan 31 is already February.
  const std::vector<RetentionItem> items = {item("feb1", utc(2026y / 2 / 1, 10h)),
                                            item("jan31-late", utc(2026y / 1 / 31, 23h + 30min)),
                                            item("jan31", utc(2026y / 1 / 31, 12h)), item("dec", utc(2025y / 12 / 15))};
  auto p = plan(items, policy(0, 0, 0, 2));
  EXPECT_EQ(find(p, "feb1").reason, "monthly 1/2: 2026-02 (UTC)");
  EXPECT_EQ(find(p, "jan31-late").reason, "monthly 2/2: 2026-01 (UTC)");
  EXPECT_FALSE(find(p, "jan31").keep);

  p = plan(items, policy(0, 0, 0, 2), "Europe/Berlin");
  EXPECT_EQ(find(p, "feb1").reason, "monthly 1/2: 2026-02 (Europe/Berlin)");
  EXPECT_FALSE(find(p, "jan31-late").keep);  // 2026-02-01 00:30 in Berlin: February's candidate is feb1
  EXPECT_EQ(find(p, "jan31").reason, "monthly 2/2: 2026-01 (Europe/Berlin)");
}

TEST(Retention, LeapDay) {
  const std::vector<RetentionItem> items = {item("mar1", utc(2024y / 3 / 1, 1h)),
                                            item("feb29", utc(2024y / 2 / 29, 23h)),
                                            item("feb28", utc(2024y / 2 / 28, 23h))};
  const auto p = plan(items, policy(0, 3, 0, 0));
  EXPECT_EQ(find(p, "mar1").period, "2024-03-01");
  EXPECT_EQ(find(p, "feb29").period, "2024-02-29");
  EXPECT_EQ(find(p, "feb28").period, "2024-02-28");
  const auto monthly = plan(items, policy(0, 0, 0, 2));
  EXPECT_EQ(find(monthly, "mar1").period, "2024-03");
  EXPECT_EQ(find(monthly, "feb29").period, "2024-02");
  EXPECT_FALSE(find(monthly, "feb28").keep);
}

TEST(Retention, IsoWeeksBelongToTheYearOfTheirThursday) {
  // 2020-12-28 (Mon) .. 2021-01-03 (Sun) is 2020-W53; 2021-01-04 starts 2021-W01.
  const std::vector<RetentionItem> items = {
      item("2021-01-04", utc(2021y / 1 / 4, 12h)), item("2021-01-03", utc(2021y / 1 / 3, 12h)),
      item("2020-12-31", utc(2020y / 12 / 31, 12h)), item("2020-12-28", utc(2020y / 12 / 28, 12h)),
      item("2020-12-27", utc(2020y / 12 / 27, 12h))};
  const auto p = plan(items, policy(0, 0, 3, 0));
  EXPECT_EQ(find(p, "2021-01-04").reason, "weekly 1/3: 2021-W01 (UTC)");
  EXPECT_EQ(find(p, "2021-01-03").reason, "weekly 2/3: 2020-W53 (UTC)");
  EXPECT_FALSE(find(p, "2020-12-31").keep);
  EXPECT_FALSE(find(p, "2020-12-28").keep);
  EXPECT_EQ(find(p, "2020-12-27").reason, "weekly 3/3: 2020-W52 (UTC)");

  // The other direction: 2024-12-30 (Mon) is 2025-W01; 2026-01-01 (Thu) is 2026-W01;
  // 2027-01-01 (Fri) is 2026-W53.
  const std::vector<RetentionItem> more = {item("2027-01-01", utc(2027y / 1 / 1, 12h)),
                                           item("2026-01-01", utc(2026y / 1 / 1, 12h)),
                                           item("2024-12-30", utc(2024y / 12 / 30, 12h))};
  const auto q = plan(more, policy(0, 0, 3, 0));
  EXPECT_EQ(find(q, "2027-01-01").period, "2026-W53");
  EXPECT_EQ(find(q, "2026-01-01").period, "2026-W01");
  EXPECT_EQ(find(q, "2024-12-30").period, "2025-W01");
}

TEST(Retention, DstSpringForwardBerlin) {
  // 2026-03-29 has 23 hours in Berlin. 00:30 local is still CET (23:30 UTC the day before);
  // 23:30 local is CEST (21:30 UTC); 00:30 local on the 30th is 22:30 UTC on the 29th.
  const std::vector<RetentionItem> items = {
      item("mar30-0030", utc(2026y / 3 / 29, 22h + 30min)), item("mar29-2330", utc(2026y / 3 / 29, 21h + 30min)),
      item("mar29-0030", utc(2026y / 3 / 28, 23h + 30min)), item("mar28-1200", utc(2026y / 3 / 28, 11h))};
  auto p = plan(items, policy(0, 3, 0, 0), "Europe/Berlin");
  EXPECT_EQ(find(p, "mar30-0030").reason, "daily 1/3: 2026-03-30 (Europe/Berlin)");
  EXPECT_EQ(find(p, "mar29-2330").reason, "daily 2/3: 2026-03-29 (Europe/Berlin)");
  EXPECT_FALSE(find(p, "mar29-0030").keep);  // same local day as mar29-2330
  EXPECT_EQ(find(p, "mar28-1200").reason, "daily 3/3: 2026-03-28 (Europe/Berlin)");

  // The same instants in UTC fall on other days.
  p = plan(items, policy(0, 3, 0, 0), "UTC");
  EXPECT_EQ(find(p, "mar30-0030").period, "2026-03-29");
  EXPECT_FALSE(find(p, "mar29-2330").keep);
  EXPECT_EQ(find(p, "mar29-0030").period, "2026-03-28");
}

TEST(Retention, DstFallBackBerlinHasA25HourDay) {
  // 2026-10-25 00:30 CEST (22:30 UTC on the 24th) and 23:30 CET (22:30 UTC on the 25th) are 25
  // hours apart... minus one: exactly 24 hours apart, and still the same local day.
  const std::vector<RetentionItem> items = {item("late", utc(2026y / 10 / 25, 22h + 30min)),
                                            item("early", utc(2026y / 10 / 24, 22h + 30min)),
                                            item("before", utc(2026y / 10 / 24, 21h + 30min))};
  const auto p = plan(items, policy(0, 2, 0, 0), "Europe/Berlin");
  EXPECT_EQ(find(p, "late").reason, "daily 1/2: 2026-10-25 (Europe/Berlin)");
  EXPECT_FALSE(find(p, "early").keep);
  EXPECT_EQ(find(p, "before").reason, "daily 2/2: 2026-10-24 (Europe/Berlin)");
}

TEST(Retention, DstNewYork) {
  // 2026-03-08 has 23 hours (00:30 EST = 05:30 UTC; 23:30 EDT = 03:30 UTC on the 9th), and
  // 2026-11-01 has 25 (00:30 EDT = 04:30 UTC; 23:30 EST = 04:30 UTC on the 2nd).
  const std::vector<RetentionItem> items = {
      item("nov01-2330", utc(2026y / 11 / 2, 4h + 30min)), item("nov01-0030", utc(2026y / 11 / 1, 4h + 30min)),
      item("oct31-2330", utc(2026y / 11 / 1, 3h + 30min)), item("mar08-2330", utc(2026y / 3 / 9, 3h + 30min)),
      item("mar08-0030", utc(2026y / 3 / 8, 5h + 30min)),  item("mar07-2330", utc(2026y / 3 / 8, 4h + 30min))};
  const auto p = plan(items, policy(0, 10, 0, 0), "America/New_York");
  EXPECT_EQ(find(p, "nov01-2330").period, "2026-11-01");
  EXPECT_FALSE(find(p, "nov01-0030").keep);
  EXPECT_EQ(find(p, "oct31-2330").period, "2026-10-31");
  EXPECT_EQ(find(p, "mar08-2330").period, "2026-03-08");
  EXPECT_FALSE(find(p, "mar08-0030").keep);
  // 23:30 EST on March 7 is 04:30 UTC on March 8: its own local day.
  EXPECT_EQ(find(p, "mar07-2330").period, "2026-03-07");
}

TEST(Retention, TheTimezoneChoosesTheDay) {
  // 13:00 UTC on June 30 is 01:00 on July 1 in Auckland (NZST, UTC+12).
  const std::vector<RetentionItem> items = {item("t13", utc(2026y / 6 / 30, 13h)),
                                            item("t10", utc(2026y / 6 / 30, 10h)),
                                            item("prev", utc(2026y / 6 / 29, 10h))};
  auto p = plan(items, policy(0, 2, 0, 0), "UTC");
  EXPECT_EQ(kept(p), (std::set<std::string>{"t13", "prev"}));
  EXPECT_EQ(find(p, "t13").period, "2026-06-30");
  p = plan(items, policy(0, 2, 0, 0), "Pacific/Auckland");
  EXPECT_EQ(kept(p), (std::set<std::string>{"t13", "t10"}));
  EXPECT_EQ(find(p, "t13").reason, "daily 1/2: 2026-07-01 (Pacific/Auckland)");
  EXPECT_EQ(find(p, "t10").reason, "daily 2/2: 2026-06-30 (Pacific/Auckland)");
  // And the month: July in Auckland, June in UTC.
  EXPECT_EQ(find(plan(items, policy(0, 0, 0, 1), "Pacific/Auckland"), "t13").period, "2026-07");
  EXPECT_EQ(find(plan(items, policy(0, 0, 0, 1), "UTC"), "t13").period, "2026-06");
}

TEST(Retention, TheNewestVerifiedBackupSurvivesWhenNoRuleKeepsIt) {
  const std::vector<RetentionItem> items = {item("new", utc(2026y / 5 / 3)), item("mid", utc(2026y / 5 / 2), true),
                                            item("old", utc(2026y / 5 / 1), true)};
  const auto p = plan(items, policy(1, 0, 0, 0));
  EXPECT_EQ(find(p, "new").rule, "last");
  EXPECT_EQ(find(p, "mid").rule, "newest-verified");
  EXPECT_EQ(find(p, "mid").reason, "newest verified backup (always kept)");
  EXPECT_FALSE(find(p, "old").keep);

  // When a rule keeps it anyway, the rule is the reason.
  const auto q = plan(items, policy(2, 0, 0, 0));
  EXPECT_EQ(find(q, "mid").reason, "last 2/2");
  EXPECT_FALSE(find(q, "old").keep);
}

TEST(Retention, NeverRemovesEverything) {
  const std::vector<RetentionItem> items = {item("b", utc(2026y / 5 / 2)), item("a", utc(2026y / 5 / 1))};
  auto p = plan(items, policy(0, 0, 0, 0));
  EXPECT_EQ(kept(p), std::set<std::string>{"b"});
  EXPECT_EQ(find(p, "b").rule, "newest");
  EXPECT_EQ(find(p, "a").reason, "no rule keeps it");

  // A verified backup is kept instead; the newest is then not needed to keep one.
  const std::vector<RetentionItem> verified = {item("b", utc(2026y / 5 / 2)), item("a", utc(2026y / 5 / 1), true)};
  p = plan(verified, policy(0, 0, 0, 0));
  EXPECT_EQ(kept(p), std::set<std::string>{"a"});

  EXPECT_TRUE(plan({}, policy(0, 0, 0, 0)).empty());
}

TEST(Retention, TiesInTimeAreOrderedById) {
  const std::vector<RetentionItem> items = {item("a", utc(2026y / 5 / 1)), item("c", utc(2026y / 5 / 1)),
                                            item("b", utc(2026y / 5 / 1))};
  const auto p = plan(items, policy(1, 0, 0, 0));
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].id, "c");
  EXPECT_TRUE(p[0].keep);
  EXPECT_EQ(p[1].id, "b");
  EXPECT_EQ(p[2].id, "a");
}

TEST(Retention, RejectsDuplicateIdsNegativeCountsAndUnknownZones) {
  const std::vector<RetentionItem> dup = {item("x", utc(2026y / 5 / 1)), item("x", utc(2026y / 5 / 2))};
  auto p = plan_retention(dup, policy(1, 0, 0, 0), TimeZone::utc());
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("share the id x"), std::string::npos);

  p = plan_retention({}, policy(1, -1, 0, 0), TimeZone::utc());
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("backup.keep.daily"), std::string::npos);

  p = plan_retention({}, policy(1, 0, 0, 0), std::string_view("Mars/Olympus_Mons"));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().exit_code(), ExitCode::bad_input);
  EXPECT_EQ(p.error().where, "backup.timezone");
  EXPECT_NE(p.error().hint.find("Europe/Berlin"), std::string::npos);

  auto ok = plan_retention(std::vector<RetentionItem>{item("x", utc(2026y / 5 / 1))}, policy(0, 1, 0, 0),
                           std::string_view("Europe/Berlin"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->front().reason, "daily 1/1: 2026-05-01 (Europe/Berlin)");
}

}  // namespace
}  // namespace slipway::backup
