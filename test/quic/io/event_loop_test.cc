#include "quic/io/event_loop.h"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "quic/io/clock.h"

namespace kite::quic::io {
namespace {

std::unique_ptr<EventLoop> MakeLoop(Clock* clock) {
  auto loop = EventLoop::Create(clock);
  REQUIRE(loop.ok());
  return std::move(*loop);
}

TEST_CASE("EventLoop fires timers in deadline order with a fake clock", "[io][loop]") {
  ManualClock clock;
  auto loop = MakeLoop(&clock);
  const absl::Time t0 = clock.Now();
  std::vector<std::string> fired;
  loop->RunAt(t0 + absl::Milliseconds(30), [&] { fired.push_back("c30"); });
  loop->RunAt(t0 + absl::Milliseconds(10), [&] { fired.push_back("a10"); });
  loop->RunAt(t0 + absl::Milliseconds(20), [&] { fired.push_back("b20"); });
  // Same deadline: arming order breaks the tie.
  loop->RunAt(t0 + absl::Milliseconds(20), [&] { fired.push_back("b20-second"); });
  REQUIRE(loop->NextTimerDeadline() == t0 + absl::Milliseconds(10));

  CHECK(loop->RunOnce(absl::ZeroDuration()) == 0);
  CHECK(fired.empty());

  clock.Advance(absl::Milliseconds(15));
  CHECK(loop->RunOnce(absl::ZeroDuration()) == 1);
  CHECK(fired == std::vector<std::string>{"a10"});
  CHECK(loop->Now() == t0 + absl::Milliseconds(15));

  clock.Advance(absl::Milliseconds(100));
  CHECK(loop->RunOnce(absl::ZeroDuration()) == 3);
  CHECK(fired == std::vector<std::string>{"a10", "b20", "b20-second", "c30"});
  CHECK_FALSE(loop->NextTimerDeadline().has_value());
}

TEST_CASE("EventLoop timers re-arm, disarm and remove", "[io][loop]") {
  ManualClock clock;
  auto loop = MakeLoop(&clock);
  const absl::Time t0 = clock.Now();
  int a = 0, b = 0;
  TimerId ta = loop->AddTimer([&] { ++a; });
  TimerId tb = loop->AddTimer([&] { ++b; });
  CHECK_FALSE(loop->IsArmed(ta));
  loop->ArmTimer(ta, t0 + absl::Seconds(1));
  loop->ArmTimer(tb, t0 + absl::Seconds(2));
  // Re-arming moves the deadline (later, then earlier than b).
  loop->ArmTimer(ta, t0 + absl::Seconds(5));
  CHECK(loop->NextTimerDeadline() == t0 + absl::Seconds(2));
  loop->DisarmTimer(tb);
  CHECK(loop->NextTimerDeadline() == t0 + absl::Seconds(5));

  clock.Advance(absl::Seconds(3));
  loop->RunOnce(absl::ZeroDuration());
  CHECK(a == 0);
  CHECK(b == 0);
  clock.Advance(absl::Seconds(3));
  loop->RunOnce(absl::ZeroDuration());
  CHECK(a == 1);
  CHECK_FALSE(loop->IsArmed(ta));
  // A fired slot is reusable.
  loop->ArmTimer(ta, clock.Now());
  loop->RunOnce(absl::ZeroDuration());
  CHECK(a == 2);

  loop->ArmTimer(tb, clock.Now());
  loop->RemoveTimer(tb);
  loop->RunOnce(absl::ZeroDuration());
  CHECK(b == 0);
}

TEST_CASE("EventLoop timer callbacks may re-arm or remove themselves", "[io][loop]") {
  ManualClock clock;
  auto loop = MakeLoop(&clock);
  int ticks = 0;
  TimerId periodic = kInvalidTimerId;
  periodic = loop->AddTimer([&] {
    ++ticks;
    if (ticks < 3) {
      loop->ArmTimer(periodic, loop->Now() + absl::Milliseconds(10));
    } else {
      loop->RemoveTimer(periodic);
    }
  });
  loop->ArmTimer(periodic, clock.Now());
  for (int i = 0; i < 5; ++i) {
    loop->RunOnce(absl::ZeroDuration());
    clock.Advance(absl::Milliseconds(10));
  }
  CHECK(ticks == 3);
  CHECK_FALSE(loop->IsArmed(periodic));

  // A timer re-armed into the past from its own callback fires once per iteration, so the loop
  // cannot spin inside one pass.
  int spins = 0;
  TimerId eager = kInvalidTimerId;
  eager = loop->AddTimer([&] {
    ++spins;
    loop->ArmTimer(eager, loop->Now() - absl::Seconds(1));
  });
  loop->ArmTimer(eager, clock.Now());
  loop->RunOnce(absl::ZeroDuration());
  CHECK(spins == 1);
  loop->RunOnce(absl::ZeroDuration());
  CHECK(spins == 2);
  loop->RemoveTimer(eager);

  // A callback that adds many timers (growing the slot table) while it runs.
  std::vector<int> order;
  loop->RunAt(clock.Now(), [&] {
    for (int i = 0; i < 40; ++i) {
      loop->RunAt(loop->Now() + absl::Milliseconds(40 - i), [&order, i] { order.push_back(i); });
    }
  });
  loop->RunOnce(absl::ZeroDuration());
  clock.Advance(absl::Seconds(1));
  loop->RunOnce(absl::ZeroDuration());
  REQUIRE(order.size() == 40);
  for (int i = 0; i < 40; ++i) CHECK(order[i] == 39 - i);
}

TEST_CASE("EventLoop dispatches fd readiness and unwatching stops it", "[io][loop]") {
  ManualClock clock;
  auto loop = MakeLoop(&clock);
  int fds[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, fds) == 0);
  int reads = 0;
  std::string got;
  REQUIRE(loop->WatchFd(fds[0], kFdReadable, [&](uint32_t ready) {
                CHECK((ready & kFdReadable) != 0);
                char buf[16];
                ssize_t n = read(fds[0], buf, sizeof(buf));
                if (n > 0) got.append(buf, static_cast<size_t>(n));
                ++reads;
              }).ok());
  CHECK(loop->WatchFd(fds[0], kFdReadable, [](uint32_t) {}).code() ==
        absl::StatusCode::kAlreadyExists);
  CHECK(loop->RunOnce(absl::ZeroDuration()) == 0);
  REQUIRE(write(fds[1], "hi", 2) == 2);
  // A real wait: the write is already there, so this returns at once.
  CHECK(loop->RunOnce(absl::Seconds(5)) == 1);
  CHECK(got == "hi");

  // Writable interest on the other end.
  int writable = 0;
  REQUIRE(loop->WatchFd(fds[1], kFdWritable, [&](uint32_t ready) {
                if (ready & kFdWritable) ++writable;
                // Unwatch itself and the reader from inside a callback.
                CHECK(loop->UnwatchFd(fds[1]).ok());
                CHECK(loop->UnwatchFd(fds[0]).ok());
              }).ok());
  REQUIRE(write(fds[1], "x", 1) == 1);
  loop->RunOnce(absl::ZeroDuration());
  CHECK(writable == 1);
  // Whichever ran first, the other got at most this one pass; after it, nothing.
  int reads_before = reads;
  REQUIRE(write(fds[1], "y", 1) == 1);
  loop->RunOnce(absl::ZeroDuration());
  CHECK(reads == reads_before);
  CHECK(loop->UnwatchFd(fds[0]).code() == absl::StatusCode::kNotFound);
  close(fds[0]);
  close(fds[1]);
}

TEST_CASE("EventLoop wakes from another thread via eventfd and stops", "[io][loop]") {
  auto loop = MakeLoop(nullptr);  // the system clock: the waits below are real
  std::atomic<int> posted{0};
  std::thread other([&] {
    loop->Post([&] { posted.fetch_add(1); });
  });
  // Blocks (no timers, no fds) until the post's wakeup arrives; the test would hang, not pass,
  // if the eventfd did not wake it.
  while (posted.load() == 0) loop->RunOnce(absl::InfiniteDuration());
  other.join();
  CHECK(posted.load() == 1);

  std::thread stopper([&] { loop->Stop(); });
  loop->Run();  // returns only once Stop() has been seen
  stopper.join();
  CHECK(loop->stopped());

  // A bare Wakeup() ends a wait with nothing to do.
  auto loop2 = MakeLoop(nullptr);
  std::thread waker([&] { loop2->Wakeup(); });
  CHECK(loop2->RunOnce(absl::InfiniteDuration()) == 0);
  waker.join();
}

TEST_CASE("EventLoop computes its wait from the earliest timer", "[io][loop]") {
  ManualClock clock;
  auto loop = MakeLoop(&clock);
  int fired = 0;
  // Already due: RunOnce must not block even with an infinite max_wait.
  loop->RunAt(clock.Now() - absl::Milliseconds(1), [&] { ++fired; });
  CHECK(loop->RunOnce(absl::InfiniteDuration()) == 1);
  CHECK(fired == 1);
}

}  // namespace
}  // namespace kite::quic::io
