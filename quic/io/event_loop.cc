#include "quic/io/event_loop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace kite::quic::io {
namespace {

absl::Status ErrnoStatus(const char* what, int err) {
  return absl::Status(absl::StatusCode::kInternal,
                      absl::StrCat(what, ": ", std::string(std::strerror(err))));
}

uint32_t ToEpoll(uint32_t events) {
  uint32_t e = 0;
  if (events & kFdReadable) e |= EPOLLIN;
  if (events & kFdWritable) e |= EPOLLOUT;
  return e;
}

uint32_t FromEpoll(uint32_t e) {
  uint32_t events = 0;
  if (e & EPOLLIN) events |= kFdReadable;
  if (e & EPOLLOUT) events |= kFdWritable;
  if (e & (EPOLLERR | EPOLLHUP)) events |= kFdError;
  return events;
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::Create(Clock* clock) {
  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return ErrnoStatus("epoll_create1", errno);
  int event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd < 0) {
    int err = errno;
    close(epoll_fd);
    return ErrnoStatus("eventfd", err);
  }
  std::unique_ptr<EventLoop> loop(
      new EventLoop(clock != nullptr ? clock : SystemClock::Get(), epoll_fd, event_fd));
  // The eventfd is told apart from watched fds by a null data pointer.
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, event_fd, &ev) != 0) {
    return ErrnoStatus("epoll_ctl(eventfd)", errno);
  }
  return loop;
}

EventLoop::EventLoop(Clock* clock, int epoll_fd, int event_fd)
    : clock_(clock), epoll_fd_(epoll_fd), event_fd_(event_fd), now_(clock->Now()) {
  timers_.reserve(16);
  heap_.reserve(16);
  retired_watches_.reserve(4);
}

EventLoop::~EventLoop() {
  close(event_fd_);
  close(epoll_fd_);
}

// --- File descriptors ---

absl::Status EventLoop::WatchFd(int fd, uint32_t events, FdCallback callback) {
  if (watches_.contains(fd)) return absl::AlreadyExistsError("fd already watched");
  auto watch = std::make_unique<Watch>(Watch{fd, true, std::move(callback)});
  epoll_event ev{};
  ev.events = ToEpoll(events);
  ev.data.ptr = watch.get();
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) return ErrnoStatus("epoll_ctl(ADD)", errno);
  watches_.emplace(fd, std::move(watch));
  return absl::OkStatus();
}

absl::Status EventLoop::UpdateFd(int fd, uint32_t events) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) return absl::NotFoundError("fd not watched");
  epoll_event ev{};
  ev.events = ToEpoll(events);
  ev.data.ptr = it->second.get();
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0) return ErrnoStatus("epoll_ctl(MOD)", errno);
  return absl::OkStatus();
}

absl::Status EventLoop::UnwatchFd(int fd) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) return absl::NotFoundError("fd not watched");
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  // Events for it may still sit in this iteration's array: keep the object until the pass ends.
  it->second->active = false;
  retired_watches_.push_back(std::move(it->second));
  watches_.erase(it);
  return absl::OkStatus();
}

// --- Timers ---

TimerId EventLoop::AddTimer(TimerCallback callback) {
  TimerId id;
  if (!free_timers_.empty()) {
    id = free_timers_.back();
    free_timers_.pop_back();
  } else {
    id = static_cast<TimerId>(timers_.size());
    timers_.emplace_back();
  }
  Timer& t = timers_[id];
  t = Timer{};
  t.callback = std::move(callback);
  t.in_use = true;
  return id;
}

void EventLoop::ArmTimer(TimerId id, absl::Time deadline) {
  if (id >= timers_.size() || !timers_[id].in_use) return;
  Timer& t = timers_[id];
  if (t.heap_index >= 0) HeapRemove(static_cast<size_t>(t.heap_index));
  t.deadline = deadline;
  t.sequence = next_sequence_++;
  t.heap_index = static_cast<int32_t>(heap_.size());
  heap_.push_back(id);
  SiftUp(heap_.size() - 1);
}

void EventLoop::DisarmTimer(TimerId id) {
  if (id >= timers_.size() || !timers_[id].in_use) return;
  if (timers_[id].heap_index >= 0) HeapRemove(static_cast<size_t>(timers_[id].heap_index));
}

void EventLoop::RemoveTimer(TimerId id) {
  if (id >= timers_.size() || !timers_[id].in_use) return;
  DisarmTimer(id);
  if (id == firing_) {
    // Its callback is running: free the slot once it returns.
    timers_[id].remove_after_fire = true;
    return;
  }
  timers_[id].in_use = false;
  timers_[id].callback = nullptr;
  free_timers_.push_back(id);
}

bool EventLoop::IsArmed(TimerId id) const {
  return id < timers_.size() && timers_[id].in_use && timers_[id].heap_index >= 0;
}

TimerId EventLoop::RunAt(absl::Time deadline, TimerCallback callback) {
  TimerId id = AddTimer(std::move(callback));
  timers_[id].one_shot = true;
  ArmTimer(id, deadline);
  return id;
}

std::optional<absl::Time> EventLoop::NextTimerDeadline() const {
  if (heap_.empty()) return std::nullopt;
  return timers_[heap_[0]].deadline;
}

bool EventLoop::Earlier(uint32_t a, uint32_t b) const {
  const Timer& x = timers_[a];
  const Timer& y = timers_[b];
  if (x.deadline != y.deadline) return x.deadline < y.deadline;
  return x.sequence < y.sequence;
}

void EventLoop::HeapSwap(size_t i, size_t j) {
  std::swap(heap_[i], heap_[j]);
  timers_[heap_[i]].heap_index = static_cast<int32_t>(i);
  timers_[heap_[j]].heap_index = static_cast<int32_t>(j);
}

void EventLoop::SiftUp(size_t i) {
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!Earlier(heap_[i], heap_[parent])) break;
    HeapSwap(i, parent);
    i = parent;
  }
}

void EventLoop::SiftDown(size_t i) {
  for (;;) {
    size_t left = 2 * i + 1;
    if (left >= heap_.size()) return;
    size_t best = left;
    if (left + 1 < heap_.size() && Earlier(heap_[left + 1], heap_[left])) best = left + 1;
    if (!Earlier(heap_[best], heap_[i])) return;
    HeapSwap(i, best);
    i = best;
  }
}

void EventLoop::HeapRemove(size_t i) {
  timers_[heap_[i]].heap_index = -1;
  size_t last = heap_.size() - 1;
  if (i != last) {
    heap_[i] = heap_[last];
    timers_[heap_[i]].heap_index = static_cast<int32_t>(i);
  }
  heap_.pop_back();
  if (i < heap_.size()) {
    SiftUp(i);
    SiftDown(i);
  }
}

size_t EventLoop::FireTimers() {
  // Bounded by the timers armed on entry, so a callback re-arming itself in the past cannot
  // keep this pass going forever; it fires next iteration.
  size_t budget = heap_.size();
  size_t fired = 0;
  while (budget-- > 0 && !heap_.empty() && timers_[heap_[0]].deadline <= now_) {
    TimerId id = heap_[0];
    HeapRemove(0);
    // Run from a local: the callback may add timers (growing timers_) or remove this one.
    TimerCallback callback = std::move(timers_[id].callback);
    firing_ = id;
    callback();
    firing_ = kInvalidTimerId;
    ++fired;
    Timer& t = timers_[id];
    if (t.remove_after_fire || (t.one_shot && t.heap_index < 0)) {
      DisarmTimer(id);
      t.in_use = false;
      t.remove_after_fire = false;
      free_timers_.push_back(id);
    } else {
      t.callback = std::move(callback);
    }
  }
  return fired;
}

// --- Cross-thread ---

void EventLoop::Wakeup() {
  uint64_t one = 1;
  // EAGAIN means the counter is saturated: a wakeup is pending anyway.
  ssize_t n = write(event_fd_, &one, sizeof(one));
  (void)n;
}

void EventLoop::Stop() {
  stop_.store(true, std::memory_order_release);
  Wakeup();
}

void EventLoop::Post(std::function<void()> task) {
  {
    absl::MutexLock lock(&posted_mutex_);
    posted_.push_back(std::move(task));
  }
  Wakeup();
}

void EventLoop::DrainEventFd() {
  uint64_t value;
  ssize_t n = read(event_fd_, &value, sizeof(value));
  (void)n;
}

size_t EventLoop::RunPosted() {
  {
    absl::MutexLock lock(&posted_mutex_);
    if (posted_.empty()) return 0;
    running_posted_.swap(posted_);
  }
  size_t n = running_posted_.size();
  for (auto& task : running_posted_) task();
  running_posted_.clear();
  return n;
}

// Waits for readiness at most `wait` (InfiniteDuration: no limit). Pacing asks for waits of tens
// of microseconds, so the timeout is passed in nanoseconds (epoll_pwait2, Linux 5.11): with
// epoll_wait's milliseconds, every pacing gap would stretch to a whole millisecond and cap a
// paced sender at one burst per millisecond. Kernels without epoll_pwait2 get the millisecond
// wait, rounded up (waking before the deadline would just spin another iteration).
int EventLoop::Wait(absl::Duration wait) {
  const bool infinite = wait == absl::InfiniteDuration();
  if (!infinite && wait > absl::Hours(1)) wait = absl::Hours(1);
  int n;
  if (has_epoll_pwait2_) {
    timespec ts = absl::ToTimespec(infinite ? absl::ZeroDuration() : wait);
    do {
      n = epoll_pwait2(epoll_fd_, events_.data(), static_cast<int>(events_.size()),
                       infinite ? nullptr : &ts, nullptr);
    } while (n < 0 && errno == EINTR);
    if (n >= 0 || errno != ENOSYS) return n < 0 ? 0 : n;
    has_epoll_pwait2_ = false;
  }
  int timeout_ms = -1;
  if (!infinite) {
    timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1))));
  }
  do {
    n = epoll_wait(epoll_fd_, events_.data(), static_cast<int>(events_.size()), timeout_ms);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? 0 : n;
}

// --- Running ---

size_t EventLoop::RunOnce(absl::Duration max_wait) {
  now_ = clock_->Now();
  absl::Duration wait = max_wait;
  if (!heap_.empty()) {
    absl::Duration until = timers_[heap_[0]].deadline - now_;
    if (until < wait) wait = until;
  }
  {
    absl::MutexLock lock(&posted_mutex_);
    if (!posted_.empty()) wait = absl::ZeroDuration();
  }
  if (stop_.load(std::memory_order_acquire) || wait < absl::ZeroDuration()) {
    wait = absl::ZeroDuration();
  }
  const int n = Wait(wait);
  now_ = clock_->Now();

  size_t ran = 0;
  for (int i = 0; i < n; ++i) {
    auto* watch = static_cast<Watch*>(events_[i].data.ptr);
    if (watch == nullptr) {
      DrainEventFd();
      continue;
    }
    if (!watch->active) continue;
    watch->callback(FromEpoll(events_[i].events));
    ++ran;
  }
  retired_watches_.clear();
  ran += FireTimers();
  ran += RunPosted();
  return ran;
}

void EventLoop::Run() {
  while (!stop_.load(std::memory_order_acquire)) RunOnce(absl::InfiniteDuration());
}

}  // namespace kite::quic::io
