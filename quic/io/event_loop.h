// An epoll event loop: file-descriptor readiness callbacks, timers, and a thread-safe wakeup.
//
// Single-threaded: every method except Wakeup(), Stop() and Post() must be called on the thread
// running the loop (or before it runs). The loop reads the time only through its Clock, once
// per iteration, and hands that time to the callbacks via Now(); with a ManualClock tests step
// time by hand and drive the loop with RunOnce(absl::ZeroDuration()).
//
// Timers are reusable slots (AddTimer once, Arm/Disarm at will) kept in a binary min-heap
// ordered by (deadline, arming order), so re-arming a connection's one deadline every
// iteration allocates nothing. Timers due at the same time fire in the order they were armed.
#ifndef KITE_QUIC_IO_EVENT_LOOP_H_
#define KITE_QUIC_IO_EVENT_LOOP_H_

#include <sys/epoll.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "quic/io/clock.h"

namespace kite::quic::io {

// Readiness bits passed to WatchFd and reported to callbacks.
inline constexpr uint32_t kFdReadable = 1u << 0;
inline constexpr uint32_t kFdWritable = 1u << 1;
// Reported only: EPOLLERR or EPOLLHUP.
inline constexpr uint32_t kFdError = 1u << 2;

// epoll events taken per epoll_wait.
inline constexpr size_t kMaxEpollEvents = 64;

using FdCallback = std::function<void(uint32_t ready)>;
using TimerCallback = std::function<void()>;
using TimerId = uint32_t;
inline constexpr TimerId kInvalidTimerId = ~TimerId{0};

class EventLoop {
 public:
  // `clock` (not owned) must outlive the loop; null means SystemClock.
  static absl::StatusOr<std::unique_ptr<EventLoop>> Create(Clock* clock = nullptr);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // The time read at the start of the current iteration (reads the clock if none has run).
  absl::Time Now() const { return now_; }
  Clock& clock() const { return *clock_; }

  // --- File descriptors (level-triggered) ---
  // `events` is a mask of kFdReadable/kFdWritable. AlreadyExists if `fd` is watched.
  absl::Status WatchFd(int fd, uint32_t events, FdCallback callback);
  absl::Status UpdateFd(int fd, uint32_t events);
  // Safe from inside any callback, including the fd's own; the fd gets no further callbacks.
  absl::Status UnwatchFd(int fd);

  // --- Timers ---
  // A disarmed timer slot. Cheap to arm and disarm any number of times.
  TimerId AddTimer(TimerCallback callback);
  // (Re)arms `id` to fire once at `deadline` (at once on the next iteration if it is past).
  void ArmTimer(TimerId id, absl::Time deadline);
  void DisarmTimer(TimerId id);
  // Frees the slot; safe from inside the timer's own callback.
  void RemoveTimer(TimerId id);
  bool IsArmed(TimerId id) const;
  // A one-shot timer that removes itself after firing.
  TimerId RunAt(absl::Time deadline, TimerCallback callback);
  // The earliest armed deadline.
  std::optional<absl::Time> NextTimerDeadline() const;

  // --- Cross-thread (safe from any thread) ---
  // Interrupts a blocking wait (an eventfd write).
  void Wakeup();
  // Makes Run() return after the current iteration.
  void Stop();
  // Runs `task` on the loop thread during its next iteration.
  void Post(std::function<void()> task);

  // --- Running ---
  // One iteration: reads the clock, waits up to `max_wait` (less if a timer is due sooner; not
  // at all if one is already due or `max_wait` is zero) for fd events, dispatches them, then
  // fires due timers and posted tasks. Returns the number of callbacks run.
  size_t RunOnce(absl::Duration max_wait);
  // Iterates until Stop().
  void Run();
  bool stopped() const { return stop_.load(std::memory_order_acquire); }

 private:
  struct Watch {
    int fd;
    bool active;
    FdCallback callback;
  };
  struct Timer {
    TimerCallback callback;
    absl::Time deadline;
    uint64_t sequence = 0;      // arming order, the tie-break
    int32_t heap_index = -1;    // -1 when disarmed
    bool in_use = false;
    bool one_shot = false;
    bool remove_after_fire = false;  // RemoveTimer called from its own callback
  };

  EventLoop(Clock* clock, int epoll_fd, int event_fd);

  bool Earlier(uint32_t a, uint32_t b) const;
  void HeapSwap(size_t i, size_t j);
  void SiftUp(size_t i);
  void SiftDown(size_t i);
  void HeapRemove(size_t i);
  size_t FireTimers();
  size_t RunPosted();
  void DrainEventFd();
  // epoll with a timeout of `wait` (>= 0, or InfiniteDuration); returns the ready count.
  int Wait(absl::Duration wait);

  Clock* clock_;
  int epoll_fd_;
  int event_fd_;
  bool has_epoll_pwait2_ = true;  // cleared on the first ENOSYS
  absl::Time now_;
  std::atomic<bool> stop_{false};

  absl::flat_hash_map<int, std::unique_ptr<Watch>> watches_;
  std::vector<std::unique_ptr<Watch>> retired_watches_;  // freed after the dispatch pass
  std::array<epoll_event, kMaxEpollEvents> events_{};

  std::vector<Timer> timers_;
  std::vector<TimerId> free_timers_;
  std::vector<uint32_t> heap_;
  uint64_t next_sequence_ = 0;
  TimerId firing_ = kInvalidTimerId;

  absl::Mutex posted_mutex_;
  std::vector<std::function<void()>> posted_ ABSL_GUARDED_BY(posted_mutex_);
  std::vector<std::function<void()>> running_posted_;
};

}  // namespace kite::quic::io

#endif  // KITE_QUIC_IO_EVENT_LOOP_H_
