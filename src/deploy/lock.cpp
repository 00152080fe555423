#include "deploy/lock.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <thread>

#include "core/host.hpp"
#include "core/time.hpp"
#include "core/units.hpp"

namespace slipway::deploy {

namespace {

constexpr std::string_view kLockName = "deploy";

std::int64_t to_ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
TimePoint from_ms(std::int64_t ms) {
  return TimePoint(std::chrono::milliseconds(ms));
}

// Fills in the defaults of the seams that were left empty.
LockEnvironment complete(LockEnvironment env) {
  if (!env.now) env.now = [] { return std::chrono::system_clock::now(); };
  if (!env.sleep) env.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  if (env.host.empty()) env.host = host_name();
  if (env.pid == 0) env.pid = static_cast<int>(getpid());
  if (env.user.empty()) env.user = user_name();
  if (!env.alive) {
    env.alive = [self = env.host](const std::string& host, int pid) {
      if (host != self) return true;  // another machine's process cannot be checked from here
      return kill(pid, 0) == 0 || errno == EPERM;
    };
  }
  return env;
}

Result<std::optional<LockInfo>> read_lock(sqlite::Database& db) {
  auto st = db.prepare(
      "SELECT holder, host, pid, deploy_id, message, acquired_ms, expires_ms FROM deploy_lock WHERE name = ?");
  if (!st) return fail(st.error());
  st->bind(1, kLockName);
  auto row = st->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<LockInfo>{};
  return std::optional<LockInfo>{LockInfo{st->text(0), st->text(1), static_cast<int>(st->integer(2)), st->text(3),
                                          st->text(4), from_ms(st->integer(5)), from_ms(st->integer(6))}};
}

Result<void> write_lock(sqlite::Database& db, const LockInfo& info) {
  auto st = db.prepare(
      "INSERT OR REPLACE INTO deploy_lock (name, holder, host, pid, deploy_id, message, acquired_ms, expires_ms) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!st) return fail(st.error());
  st->bind(1, kLockName)
      .bind(2, info.holder)
      .bind(3, info.host)
      .bind(4, std::int64_t{info.pid})
      .bind(5, info.deploy_id)
      .bind(6, info.message)
      .bind(7, to_ms(info.acquired))
      .bind(8, to_ms(info.expires));
  return st->run();
}

bool same_holder(const LockInfo& a, const LockInfo& b) {
  return a.host == b.host && a.pid == b.pid && a.acquired == b.acquired;
}

}  // namespace

std::string stale_reason(const LockInfo& info, TimePoint now, const LockEnvironment& environment) {
  if (info.expires <= now) return fmt::format("its lease ran out {} ago", format_age(info.expires, now));
  // An empty seam means "this machine": a holder whose process is gone here is stale at once.
  const LockEnvironment env = complete(environment);
  if (!env.alive(info.host, info.pid)) return fmt::format("process {} on {} is no longer running", info.pid, info.host);
  return {};
}

DeployLock::DeployLock(sqlite::Database* db, Acquired acquired, LockEnvironment env, std::chrono::milliseconds lease)
    : db_(db), acquired_(std::move(acquired)), env_(std::move(env)), lease_(lease), held_(true) {}

DeployLock::DeployLock(DeployLock&& o) noexcept
    : db_(o.db_),
      acquired_(std::move(o.acquired_)),
      env_(std::move(o.env_)),
      lease_(o.lease_),
      held_(std::exchange(o.held_, false)) {}

DeployLock& DeployLock::operator=(DeployLock&& o) noexcept {
  if (this != &o) {
    if (held_) (void)release();
    db_ = o.db_;
    acquired_ = std::move(o.acquired_);
    env_ = std::move(o.env_);
    lease_ = o.lease_;
    held_ = std::exchange(o.held_, false);
  }
  return *this;
}

DeployLock::~DeployLock() {
  if (held_) (void)release();
}

Result<DeployLock> DeployLock::acquire(sqlite::Database& db, const LockRequest& request,
                                       const LockEnvironment& environment) {
  const LockEnvironment env = complete(environment);
  const TimePoint deadline = env.now() + request.wait;
  while (true) {
    std::optional<Acquired> got;
    std::optional<LockInfo> blocker;
    auto r = db.transaction([&]() -> Result<void> {
      auto current = read_lock(db);
      if (!current) return fail(current.error());
      // Whole milliseconds, as stored: the holder recognises its own row by its acquire time.
      const TimePoint now = std::chrono::time_point_cast<std::chrono::milliseconds>(env.now());
      Acquired a;
      if (*current) {
        a.stale_reason = stale_reason(**current, now, env);
        if (a.stale_reason.empty()) {
          blocker = *current;
          return {};
        }
        a.took_over = *current;
      }
      a.info = LockInfo{env.user + "@" + env.host, env.host, env.pid, request.deploy_id, request.message, now,
                        now + request.lease};
      if (auto w = write_lock(db, a.info); !w) return w;
      got = std::move(a);
      return {};
    });
    if (!r) return fail(r.error());
    if (got) return DeployLock(&db, std::move(*got), env, request.lease);

    const TimePoint now = env.now();
    if (now >= deadline) {
      const auto& b = *blocker;
      return fail(Error::refused(
          fmt::format("another deploy holds the lock: {} (pid {}) since {} ago{}; its lease ends in {}", b.holder,
                      b.pid, format_age(b.acquired, now), b.message.empty() ? "" : ", \"" + b.message + "\"",
                      format_age(now, b.expires)),
          "deploy lock",
          request.wait.count() > 0
              ? "wait longer with --lock-wait, or see `slipway lock status`"
              : "wait for it with --lock-wait 10m, or if you are sure it is dead: `slipway lock release`"));
    }
    env.sleep(std::min<std::chrono::milliseconds>(
        std::chrono::milliseconds(500), std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now)));
  }
}

Result<void> DeployLock::renew() {
  if (!held_) return fail(Error::refused("the deploy lock is no longer held", "deploy lock"));
  return db_->transaction([&]() -> Result<void> {
    auto current = read_lock(*db_);
    if (!current) return fail(current.error());
    if (!*current || !same_holder(**current, acquired_.info)) {
      held_ = false;
      return fail(Error::refused("the deploy lock was taken over by another deploy while this one ran", "deploy lock",
                                 "see `slipway lock status` and `slipway history`"));
    }
    acquired_.info.expires = std::chrono::time_point_cast<std::chrono::milliseconds>(env_.now()) + lease_;
    return write_lock(*db_, acquired_.info);
  });
}

Result<void> DeployLock::release() {
  if (!held_) return {};
  held_ = false;
  return db_->transaction([&]() -> Result<void> {
    auto current = read_lock(*db_);
    if (!current) return fail(current.error());
    if (!*current || !same_holder(**current, acquired_.info)) return {};  // someone else's now
    auto st = db_->prepare("DELETE FROM deploy_lock WHERE name = ?");
    if (!st) return fail(st.error());
    st->bind(1, kLockName);
    return st->run();
  });
}

Result<std::optional<LockInfo>> DeployLock::status(sqlite::Database& db) {
  return read_lock(db);
}

Result<std::optional<LockInfo>> DeployLock::force_release(sqlite::Database& db) {
  std::optional<LockInfo> removed;
  auto r = db.transaction([&]() -> Result<void> {
    auto current = read_lock(db);
    if (!current) return fail(current.error());
    removed = *current;
    auto st = db.prepare("DELETE FROM deploy_lock WHERE name = ?");
    if (!st) return fail(st.error());
    st->bind(1, kLockName);
    return st->run();
  });
  if (!r) return fail(r.error());
  return removed;
}

}  // namespace slipway::deploy
