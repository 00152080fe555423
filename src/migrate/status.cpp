#include "migrate/status.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "core/fs.hpp"
#include "pg/connection.hpp"

namespace slipway::migrate {
namespace {

std::string short_sum(const std::string& s) {
  return s.size() > 12 ? s.substr(0, 12) + "…" : s;
}

std::string display_name(const Folder& folder, const MigrationFile& f) {
  return folder.layout == Layout::prisma ? f.path.parent_path().filename().string() : f.path.filename().string();
}

// Numeric comparison of golang-migrate versions ("10" > "9"), which can exceed 64 bits only in
// theory: compare lengths first.
int compare_numbers(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return a.compare(b) < 0 ? -1 : a == b ? 0 : 1;
}

void golang_status(Status& s, const std::vector<HistoryEntry>& entries) {
  s.notes.push_back(
      "golang-migrate stores no checksum: a file changed after it was applied cannot be detected (drift is not "
      "checked)");
  if (entries.empty()) return;
  const HistoryEntry& e = entries.front();
  bool seen = false;
  for (MigrationStatus& m : s.migrations) {
    const int c = compare_numbers(m.key, e.key);
    if (c < 0) {
      m.state = State::applied;
    } else if (c == 0) {
      seen = true;
      m.state = e.dirty ? State::dirty : State::applied;
      if (e.dirty) {
        m.message = fmt::format(
            "golang-migrate marked version {} dirty: it started and did not finish. Check what it changed, then "
            "`migrate force {}` if it is fully applied (or force the previous version after undoing it)",
            e.key, e.key);
      }
    }
  }
  if (!seen) {
    MigrationStatus m;
    m.name = e.key;
    m.key = e.key;
    m.state = e.dirty ? State::dirty : State::missing;
    m.message = fmt::format("the database is at version {}{}, which no file in the folder has", e.key,
                            e.dirty ? " (dirty)" : "");
    s.migrations.push_back(std::move(m));
  }
}

void keyed_status(Status& s, const std::vector<HistoryEntry>& entries) {
  const HistoryTable& h = *s.history;
  // The last entry per key wins (a re-applied Flyway repeatable, a Prisma retry after a
  // rolled-back attempt).
  std::map<std::string, const HistoryEntry*> by_key;
  std::string baseline;  // Flyway: versions up to a baseline count as applied
  for (const HistoryEntry& e : entries) {
    by_key[e.key] = &e;
    if (e.baseline) baseline = e.key;
  }
  std::map<std::string, bool> matched;
  for (MigrationStatus& m : s.migrations) {
    auto it = by_key.find(m.key);
    if (it == by_key.end()) {
      if (!baseline.empty() && !m.file.repeatable && !natural_less(baseline, m.key)) {
        m.state = State::applied;
        m.message = fmt::format("below the baseline {}", baseline);
      }
      continue;
    }
    const HistoryEntry& e = *it->second;
    matched[m.key] = true;
    m.recorded_checksum = e.checksum;
    m.applied_at = e.applied_at;
    if (!e.success) {
      m.state = State::failed;
      m.message = e.message.empty() ? fmt::format("{} recorded it as failed", h.tool()) : e.message;
      continue;
    }
    if (e.baseline) {
      m.state = State::applied;
      continue;
    }
    if (h.matches(m.text, e.checksum)) {
      m.state = State::applied;
    } else if (m.file.repeatable) {
      m.state = State::pending;  // Flyway runs a changed repeatable migration again
      m.message = "changed since it last ran: Flyway runs it again";
    } else {
      m.state = State::drift;
      m.message = fmt::format("changed since it was applied: {} checksum {} recorded, {} now", h.tool(),
                              short_sum(e.checksum), short_sum(m.checksum));
    }
  }
  for (const HistoryEntry& e : entries) {
    if (matched.count(e.key) || e.baseline) continue;
    matched[e.key] = true;
    MigrationStatus m;
    m.name = e.key.starts_with("R:") ? e.key.substr(2) : e.key;
    m.key = e.key;
    m.recorded_checksum = e.checksum;
    m.applied_at = e.applied_at;
    m.state = e.success ? State::missing : State::failed;
    m.message = e.success ? "recorded as applied, but no file in the folder has it"
                          : (e.message.empty() ? "recorded as failed; no file in the folder has it" : e.message);
    s.migrations.push_back(std::move(m));
  }
}

}  // namespace

std::string_view to_string(State s) {
  switch (s) {
    case State::applied: return "applied";
    case State::pending: return "pending";
    case State::failed: return "failed";
    case State::dirty: return "dirty";
    case State::drift: return "drift";
    case State::missing: return "missing";
  }
  return "pending";
}

int Status::count(State s) const {
  return static_cast<int>(
      std::count_if(migrations.begin(), migrations.end(), [s](const MigrationStatus& m) { return m.state == s; }));
}

bool Status::has_problems() const {
  return count(State::drift) + count(State::failed) + count(State::dirty) > 0;
}

std::vector<const MigrationStatus*> Status::pending() const {
  std::vector<const MigrationStatus*> out;
  for (const MigrationStatus& m : migrations) {
    if (m.state == State::pending) out.push_back(&m);
  }
  return out;
}

Result<Status> read_status(pg::Connection& conn, Folder folder, std::unique_ptr<HistoryTable> history) {
  Status s;
  s.folder = std::move(folder);
  s.history = std::move(history);
  for (const MigrationFile& f : s.folder.files) {
    auto text = read_text_file(f.path);
    if (!text) return fail(text.error());
    MigrationStatus m;
    m.name = display_name(s.folder, f);
    m.key = s.history->key_of(f);
    m.file = f;
    m.checksum = s.history->checksum(*text);
    m.text = std::move(*text);
    s.migrations.push_back(std::move(m));
  }
  auto exists = s.history->exists(conn);
  if (!exists) return fail(Error::environment(exists.error().message, s.history->table()));
  s.table_exists = *exists;
  auto entries = s.history->read(conn);
  if (!entries) {
    return fail(Error::environment(fmt::format("cannot read {}: {}", s.history->table(), entries.error().message),
                                   s.history->table()));
  }
  if (s.folder.layout == Layout::golang_migrate) {
    golang_status(s, *entries);
  } else {
    keyed_status(s, *entries);
  }
  return s;
}

}  // namespace slipway::migrate
