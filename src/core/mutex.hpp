// A mutex clang's thread-safety analysis (-Wthread-safety, on for clang builds, an error there)
// understands, and the annotations for what it guards. libstdc++'s std::mutex carries no
// annotations, so the analysis needs this thin wrapper:
//
//   mutable Mutex mutex_;
//   State state_ GUARDED_BY(mutex_);
//   void publish() REQUIRES(mutex_);
//   ...
//   MutexLock lock(mutex_);   // where std::lock_guard would be
//
// With GCC the macros are empty and Mutex is a std::mutex.
#pragma once

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

}  // namespace slipway
