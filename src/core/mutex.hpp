// A mutex clang's thread-safety analysis (-Wthread-safety, on for clang builds, an error there)
// understands, and the annotations for what it guards. libstdc++'s std::mutex carries no
// annotations, so the analysis needs this thin wrapper:
//
//   mutable Mutex mutex_;
//   State state_ GUARDED_BY(mutex_);
//   void publish() REQUIRES(mutex_);
//   ...
//   MutexLock lock(mutex_);   // where std::lock_guard would be
//   cv_.wait_until(mutex_, t);  // CondVar, where std::condition_variable would be
//
// With GCC the macros are empty and Mutex is a std::mutex.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define SLIPWAY_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define SLIPWAY_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) SLIPWAY_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY SLIPWAY_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) SLIPWAY_THREAD_ANNOTATION(guarded_by(x))
#define REQUIRES(...) SLIPWAY_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define ACQUIRE(...) SLIPWAY_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) SLIPWAY_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define EXCLUDES(...) SLIPWAY_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))

namespace slipway {

class CAPABILITY("mutex") Mutex {
 public:
  void lock() ACQUIRE() { m_.lock(); }
  void unlock() RELEASE() { m_.unlock(); }

 private:
  friend class CondVar;
  std::mutex m_;
};

// Holds `m` for its scope, as std::lock_guard does.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& m) ACQUIRE(m) : m_(m) { m_.lock(); }
  ~MutexLock() RELEASE() { m_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& m_;
};

// A condition variable waited on with a held Mutex, which is held again when the wait returns.
// No predicate form: the caller loops on its guarded condition, which the analysis then checks.
class CondVar {
 public:
  // Waits until notified, `t`, or a spurious wake-up, whichever comes first.
  void wait_until(Mutex& m, std::chrono::steady_clock::time_point t) REQUIRES(m) {
    std::unique_lock<std::mutex> held(m.m_, std::adopt_lock);
    cv_.wait_until(held, t);
    held.release();  // still held, by the caller's MutexLock
  }
  void notify_all() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace slipway
