// The deploy lock: one deploy (or rollback) at a time per project.
//
// The lock is a row in the state database with a lease. The holder renews the lease while it
// works; a lock whose lease ran out, or whose holder process is gone (same host, pid not alive),
// is stale and the next acquirer takes it over, saying so. Unlike kamal's lock, nothing stays
// locked forever because a laptop closed mid-deploy.
//
//   auto lock = DeployLock::acquire(db, {.message = "deploy v2", .lease = 10min});
//   ... lock->renew() every lease/3 ...
//   lock->release();
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "state/sqlite.hpp"

namespace slipway::deploy {

using TimePoint = std::chrono::system_clock::time_point;

struct LockInfo {
  std::string holder;  // user@host
  std::string host;
  int pid = 0;
  std::string deploy_id;
  std::string message;
  TimePoint acquired;
  TimePoint expires;
};

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
  std::string stale_reason;           // "lease expired 4m ago", "pid 123 on web-1 is gone"
};

class DeployLock {
 public:
  // Takes the lock, waiting up to request.wait while another live holder has it. Fails (exit 1)
  // naming the holder, its message and when its lease ends.
  static Result<DeployLock> acquire(sqlite::Database& db, const LockRequest& request, const LockEnvironment& env = {});
  // Who holds the lock now, if anyone (a stale holder is returned with its staleness).
  static Result<std::optional<LockInfo>> status(sqlite::Database& db);
  // Removes the lock whoever holds it (`slipway lock release`); returns what was removed.
  static Result<std::optional<LockInfo>> force_release(sqlite::Database& db);

  DeployLock(DeployLock&&) noexcept;
  DeployLock& operator=(DeployLock&&) noexcept;
  ~DeployLock();  // releases, when still held

  // Extends the lease from now. Fails when the lock was taken from us meanwhile.
  Result<void> renew();
  Result<void> release();

  [[nodiscard]] const Acquired& acquired() const { return acquired_; }

 private:
  DeployLock(sqlite::Database* db, Acquired acquired, LockEnvironment env, std::chrono::milliseconds lease);
  sqlite::Database* db_ = nullptr;
  Acquired acquired_;
  LockEnvironment env_;
  std::chrono::milliseconds lease_{};
  bool held_ = false;
};

// Why `info` is stale at `now`, or "" when it is live (seams left empty in `env` are this machine's).
std::string stale_reason(const LockInfo& info, TimePoint now, const LockEnvironment& env);

}  // namespace slipway::deploy
