// The deploy lock: one deploy (or rollback) at a time per project.
//
// The lock is a row in the state database with a lease. The holder renews the lease while it
// works; a lock whose lease ran out, or whose holder process is gone (same host, pid not alive),
// is stale and the next acquirer takes it over, saying so. Unlike kamal's lock, nothing stays
// locked forever because a laptop closed mid-deploy.
//
// On PostgreSQL the holder's connection also holds a session lock (state/store.hpp), which the
// server drops when that session ends: a holder killed on any machine is seen as gone at once
// ("its database session ended"), and a hung holder whose lease ran out is taken over by ending
// its session, so it cannot keep going as if it still held the lock.
//
//   auto lock = DeployLock::acquire(store, {.message = "deploy v2", .lease = 10min});
//   ... lock->renew() every lease/3 ...
//   lock->release();
//
// The store must outlive the lock: on PostgreSQL its connection is what holds it.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "state/store.hpp"

namespace slipway::deploy {

using TimePoint = std::chrono::system_clock::time_point;

// Who holds the lock: user@host, pid, deploy id, message, acquired, expires; and, read through
// status() on PostgreSQL, whether its session is alive and its backend.
using LockInfo = state::LockRow;

// The OS, behind a seam so tests can drive time and dead processes.
struct LockEnvironment {
  std::function<TimePoint()> now = [] { return std::chrono::system_clock::now(); };
  std::function<void(std::chrono::milliseconds)> sleep;  // default: std::this_thread::sleep_for
  // Whether `pid` on `host` still runs; only this host's processes can be checked, others count
  // as alive.
  std::function<bool(const std::string& host, int pid)> alive;
  std::string host;  // default: gethostname()
  int pid = 0;       // default: getpid()
  std::string user;  // default: $USER
};

struct LockRequest {
  std::string deploy_id;
  std::string message;
  std::chrono::milliseconds lease = std::chrono::minutes(10);
  std::chrono::milliseconds wait{0};  // --lock-wait: how long to wait for a held lock
};

struct Acquired {
  LockInfo info;
  std::optional<LockInfo> took_over;  // the stale lock that was replaced, for the report
  std::string stale_reason;           // "its lease ran out 4min ago", "its database session ended"
};

class DeployLock {
 public:
  // Takes the lock, waiting up to request.wait while another live holder has it. Fails (exit 1)
  // naming the holder, its message and when its lease ends.
  // A live holder whose lease ran out but whose session still holds the lock (PostgreSQL) has its
  // session ended; refused when this role may not end it.
  static Result<DeployLock> acquire(state::Store& db, const LockRequest& request, const LockEnvironment& env = {});
  // Who holds the lock now, if anyone (stale_reason() says whether it is stale).
  static Result<std::optional<LockInfo>> status(state::Store& db);
  // Removes the lock whoever holds it (`slipway lock release`), ending the holder's session on
  // PostgreSQL; returns what was removed (`backend` is the session ended, 0 when none).
  static Result<std::optional<LockInfo>> force_release(state::Store& db);

  DeployLock(DeployLock&&) noexcept;
  DeployLock& operator=(DeployLock&&) noexcept;
  ~DeployLock();  // releases, when still held

  // Extends the lease from now. Fails when the lock was taken from us meanwhile, saying by whom
  // ("the deploy lock was taken over by ci@web-2 (pid 4121, deploy d-...)") or that it was
  // removed; on PostgreSQL also when this connection no longer holds the session lock. After such
  // a failure held() is false; a failure that leaves held() true (SQLite busy) may be retried.
  Result<void> renew();
  Result<void> release();

  [[nodiscard]] const Acquired& acquired() const { return acquired_; }
  // Whether this process still counts on the lock (false once released or lost).
  [[nodiscard]] bool held() const { return held_; }
  // Whether `row` (read through status()) is this acquisition's lock: same host, pid and acquire
  // time. Safe beside a renew() on another thread (it reads none of what renew() writes).
  [[nodiscard]] bool is_mine(const LockInfo& row) const;

 private:
  DeployLock(state::Store* db, Acquired acquired, LockEnvironment env, std::chrono::milliseconds lease);
  state::Store* db_ = nullptr;
  Acquired acquired_;
  LockEnvironment env_;
  std::chrono::milliseconds lease_{};
  bool held_ = false;
};

// Why `info` is stale at `now`, or "" when it is live: its session ended, its lease ran out, or
// (when the session is unknown) its process is gone (seams left empty in `env` are this machine's).
std::string stale_reason(const LockInfo& info, TimePoint now, const LockEnvironment& env);

// Why a lock this process held is no longer its own, given the lock's row now (none: removed):
// "the deploy lock was taken over by ann@web-2 (pid 4121, deploy d2)", or "... was removed".
std::string lost_reason(const std::optional<LockInfo>& now);

}  // namespace slipway::deploy
