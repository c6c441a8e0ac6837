// The wall clock, behind an interface. In kite the I/O event loop is the one place that reads
// it (everything below takes time as a parameter), and tests swap in a ManualClock.
#ifndef KITE_QUIC_IO_CLOCK_H_
#define KITE_QUIC_IO_CLOCK_H_

#include <atomic>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace kite::quic::io {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  // A process-wide instance (stateless, so sharing is safe).
  static SystemClock* Get() {
    static SystemClock clock;
    return &clock;
  }
};

// A clock that moves only when told. Safe to read from other threads while one thread sets it.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start = absl::UnixEpoch() + absl::Hours(24 * 365 * 56))
      : nanos_(absl::ToUnixNanos(start)) {}
  absl::Time Now() const override {
    return absl::FromUnixNanos(nanos_.load(std::memory_order_acquire));
  }
  void Set(absl::Time t) { nanos_.store(absl::ToUnixNanos(t), std::memory_order_release); }
  void Advance(absl::Duration d) { Set(Now() + d); }

 private:
  std::atomic<int64_t> nanos_;
};

}  // namespace kite::quic::io

#endif  // KITE_QUIC_IO_CLOCK_H_
