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

bool same_holder(const LockInfo& a, const LockInfo& b) {
  return a.host == b.host && a.pid == b.pid && a.acquired == b.acquired;
}

}  // namespace

std::string stale_reason(const LockInfo& info, TimePoint now, const LockEnvironment& environment) {
  if (info.session == state::Session::ended) return "its database session ended";
  if (info.expires <= now) return fmt::format("its lease ran out {} ago", format_age(info.expires, now));
  if (info.session == state::Session::alive) return {};  // its session proves it, wherever it runs
  // An empty seam means "this machine": a holder whose process is gone here is stale at once.
  const LockEnvironment env = complete(environment);
  if (!env.alive(info.host, info.pid)) return fmt::format("process {} on {} is no longer running", info.pid, info.host);
  return {};
}

std::string lost_reason(const std::optional<LockInfo>& now) {
  if (!now) return "the deploy lock was removed (`slipway lock release`)";
  return fmt::format("the deploy lock was taken over by {} (pid {}{})", now->holder, now->pid,
                     now->deploy_id.empty() ? "" : ", deploy " + now->deploy_id);
}

DeployLock::DeployLock(state::Store* db, Acquired acquired, LockEnvironment env, std::chrono::milliseconds lease)
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

Result<DeployLock> DeployLock::acquire(state::Store& db, const LockRequest& request,
                                       const LockEnvironment& environment) {
  const LockEnvironment env = complete(environment);
  const TimePoint deadline = env.now() + request.wait;
  while (true) {
    std::optional<Acquired> got;
    std::optional<LockInfo> blocker;
    bool claimed = false;
    auto r = db.transaction([&]() -> Result<void> {
      auto current = db.read_lock();
      if (!current) return fail(current.error());
      auto claim = db.try_claim_session();
      if (!claim) return fail(claim.error());
      claimed = *claim && db.has_sessions();
      // Whole milliseconds, as stored: the holder recognises its own row by its acquire time.
      const TimePoint now = std::chrono::time_point_cast<std::chrono::milliseconds>(env.now());
      Acquired a;
      if (*current) {
        LockInfo holder = **current;
        if (db.has_sessions()) holder.session = *claim ? state::Session::ended : state::Session::alive;
        a.stale_reason = stale_reason(holder, now, env);
        if (a.stale_reason.empty()) {
          blocker = holder;
          return {};
        }
        if (!*claim) {
          // A hung holder: its lease ran out but its session still holds the lock. End it.
          auto backend = db.session_holder();
          if (!backend) return fail(backend.error());
          if (*backend) {
            if (auto e = db.end_session(**backend); !e)
              return fail(Error{e.error().kind,
                                fmt::format("the deploy lock of {} (pid {}) is stale ({}), but {}", holder.holder,
                                            holder.pid, a.stale_reason, e.error().message),
                                "deploy lock", e.error().hint});
            a.stale_reason += fmt::format("; its database session (backend {}) was ended", **backend);
            holder.backend = **backend;
          }
          auto again = db.try_claim_session();
          if (!again) return fail(again.error());
          if (!*again)
            return fail(Error::environment("the deploy lock's database session was ended, but the lock is still held",
                                           "deploy lock", "try again, or see `slipway lock status`"));
          claimed = true;
        }
        a.took_over = holder;
      } else if (!*claim) {
        // A session holds the lock with no row: someone removed the row by hand.
        auto backend = db.session_holder();
        if (!backend) return fail(backend.error());
        return fail(Error::refused(
            fmt::format("PostgreSQL backend {} holds the deploy lock but left no lock row", backend->value_or(0)),
            "deploy lock", "if no deploy is running, `slipway lock release` ends that session"));
      }
      a.info = LockInfo{.holder = env.user + "@" + env.host,
                        .host = env.host,
                        .pid = env.pid,
                        .deploy_id = request.deploy_id,
                        .message = request.message,
                        .acquired = now,
                        .expires = now + request.lease};
      if (auto w = db.write_lock(a.info); !w) return w;
      got = std::move(a);
      return {};
    });
    if (!r) {
      if (claimed) (void)db.release_session();
      return fail(r.error());
    }
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
  auto renewed = db_->transaction([&]() -> Result<void> {
    auto current = db_->read_lock();
    if (!current) return fail(current.error());
    auto ours = db_->holds_session();
    if (!ours) return fail(ours.error());
    if (!*current || !same_holder(**current, acquired_.info) || !*ours) {
      held_ = false;
      std::string what = "the deploy lock's database session was ended";
      if (!*current || !same_holder(**current, acquired_.info)) what = lost_reason(*current);
      return fail(Error::refused(what, "deploy lock", "see `slipway lock status` and `slipway history`"));
    }
    acquired_.info.expires = std::chrono::time_point_cast<std::chrono::milliseconds>(env_.now()) + lease_;
    return db_->write_lock(acquired_.info);
  });
  // On PostgreSQL a renewal that failed most likely lost the connection, and the session lock
  // with it: stop counting on the lock (its row, left behind, reads as stale to the next deploy).
  if (!renewed && db_->has_sessions() && held_) {
    held_ = false;
    return fail(Error{renewed.error().kind,
                      "the deploy lock's database session was lost (" + renewed.error().message + ")", "deploy lock",
                      "see `slipway lock status` and `slipway history`"});
  }
  return renewed;
}

bool DeployLock::is_mine(const LockInfo& row) const {
  return same_holder(row, acquired_.info);
}

Result<void> DeployLock::release() {
  if (!held_) return {};
  held_ = false;
  // The row goes and the session lock with it, in one transaction: no acquirer sees one without
  // the other.
  return db_->transaction([&]() -> Result<void> {
    auto current = db_->read_lock();
    if (!current) return fail(current.error());
    if (*current && same_holder(**current, acquired_.info))
      if (auto d = db_->delete_lock(); !d) return d;
    return db_->release_session();
  });
}

Result<std::optional<LockInfo>> DeployLock::status(state::Store& db) {
  auto current = db.read_lock();
  if (!current) return fail(current.error());
  if (*current && db.has_sessions()) {
    auto backend = db.session_holder();
    if (!backend) return fail(backend.error());
    (*current)->session = *backend ? state::Session::alive : state::Session::ended;
    (*current)->backend = backend->value_or(0);
  }
  return current;
}

Result<std::optional<LockInfo>> DeployLock::force_release(state::Store& db) {
  std::optional<LockInfo> removed;
  auto r = db.transaction([&]() -> Result<void> {
    auto current = db.read_lock();
    if (!current) return fail(current.error());
    removed = *current;
    if (auto d = db.delete_lock(); !d) return d;
    auto backend = db.session_holder();
    if (!backend) return fail(backend.error());
    if (!*backend) return {};
    if (!removed) removed = LockInfo{.holder = "a session with no lock row"};
    removed->backend = **backend;
    return db.end_session(**backend);
  });
  if (!r) return fail(r.error());
  return removed;
}

}  // namespace slipway::deploy
