// The injected clock. Only clock.cc reads the system clock.
//
// SystemClock is the real one; ManualClock stands still until Advance() moves it, so tests
// can run a week of schedules in a second (`klaxon serve --clock manual`). Both are
// thread-safe. Times are milliseconds since the Unix epoch, UTC.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace klaxon {

using TimeMs = int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs Now() const = 0;
  virtual bool manual() const { return false; }
};

class SystemClock final : public Clock {
 public:
  TimeMs Now() const override;
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMs start) : now_(start) {}
  TimeMs Now() const override { return now_.load(); }
  bool manual() const override { return true; }
  void Advance(TimeMs delta_ms) { now_ += delta_ms; }

 private:
  std::atomic<TimeMs> now_;
};

// Wall-clock milliseconds, for log lines only (domain code uses an injected Clock).
TimeMs WallNowMs();

// Monotonic milliseconds for measuring durations (not wall time).
int64_t MonotonicMicros();

}  // namespace klaxon
