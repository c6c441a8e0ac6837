// CoDel (RFC 8289) and drop-tail queue disciplines, driven with hand-made arrival times.
#include <catch2/catch.hpp>

#include <vector>

#include "absl/time/time.h"
#include "quic/sim/codel_queue.h"
#include "quic/sim/drop_tail_queue.h"

namespace kite::quic::sim {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1000);

TEST_CASE("drop-tail refuses what would overflow its byte limit, FIFO otherwise", "[sim]") {
  DropTailQueue q(3000);
  CHECK(q.Enqueue({1, 1200, kT0}));
  CHECK(q.Enqueue({2, 1200, kT0}));
  CHECK_FALSE(q.Enqueue({3, 1200, kT0}));  // 3600 > 3000
  CHECK(q.Enqueue({4, 600, kT0}));         // exactly 3000
  CHECK(q.queued_bytes() == 3000);
  std::vector<QueuedPacket> dropped;
  CHECK(q.Dequeue(kT0, &dropped)->handle == 1);
  CHECK(q.Dequeue(kT0, &dropped)->handle == 2);
  CHECK(q.Dequeue(kT0, &dropped)->handle == 4);
  CHECK_FALSE(q.Dequeue(kT0, &dropped).has_value());
  CHECK(dropped.empty());
}

TEST_CASE("CoDel control law is interval / sqrt(count)", "[sim]") {
  absl::Duration i = absl::Milliseconds(100);
  CHECK(CoDelQueue::ControlLaw(kT0, i, 1) - kT0 == i);
  CHECK(CoDelQueue::ControlLaw(kT0, i, 4) - kT0 == absl::Milliseconds(50));
  CHECK(CoDelQueue::ControlLaw(kT0, i, 100) - kT0 == absl::Milliseconds(10));
}

// A queue fed twice as fast as it is served: a standing queue builds up.
struct Overload {
  CoDelQueue q{CoDelParams{}};
  uint64_t next = 0;
  std::vector<absl::Time> drop_times;
  std::vector<absl::Duration> sojourns;
  // Every ms two 1000-byte packets arrive and one leaves.
  void Run(absl::Duration for_how_long, absl::Time* now) {
    absl::Time end = *now + for_how_long;
    while (*now < end) {
      q.Enqueue({next++, 1000, *now});
      q.Enqueue({next++, 1000, *now});
      std::vector<QueuedPacket> dropped;
      std::optional<QueuedPacket> p = q.Dequeue(*now, &dropped);
      for (size_t i = 0; i < dropped.size(); ++i) drop_times.push_back(*now);
      if (p) sojourns.push_back(*now - p->enqueued);
      *now += absl::Milliseconds(1);
    }
  }
};

TEST_CASE("CoDel waits one interval above target before its first drop", "[sim]") {
  Overload o;
  absl::Time now = kT0;
  o.Run(absl::Milliseconds(300), &now);
  REQUIRE_FALSE(o.drop_times.empty());
  // The sojourn passes 5 ms after ~5 ms of overload; the first drop is an interval later.
  absl::Duration first = o.drop_times.front() - kT0;
  CHECK(first >= absl::Milliseconds(100));
  CHECK(first <= absl::Milliseconds(110));
}

TEST_CASE("CoDel drops faster and faster while the queue stands (count grows)", "[sim]") {
  Overload o;
  absl::Time now = kT0;
  o.Run(absl::Seconds(2), &now);
  REQUIRE(o.drop_times.size() >= 10);
  // Gaps between successive drops shrink like interval / sqrt(count).
  absl::Duration early = o.drop_times[2] - o.drop_times[1];
  absl::Duration late = o.drop_times.back() - o.drop_times[o.drop_times.size() - 2];
  CHECK(late < early);
  CHECK(o.q.dropping());
  CHECK(o.q.count() >= 10);
}

TEST_CASE("CoDel leaves the dropping state once the sojourn falls below target", "[sim]") {
  Overload o;
  absl::Time now = kT0;
  o.Run(absl::Milliseconds(400), &now);
  REQUIRE(o.q.dropping());
  // Stop arrivals: the queue drains at one packet per ms with no further drops once it is short.
  std::vector<QueuedPacket> dropped;
  size_t drops_while_draining = 0;
  while (o.q.queued_packets() > 0) {
    dropped.clear();
    std::optional<QueuedPacket> p = o.q.Dequeue(now, &dropped);
    drops_while_draining += dropped.size();
    if (p && now - p->enqueued < absl::Milliseconds(5)) break;
    now += absl::Milliseconds(1);
  }
  CHECK_FALSE(o.q.dropping());
  // Another short packet goes straight through.
  CHECK(o.q.Enqueue({999999, 1000, now}));
  dropped.clear();
  while (o.q.queued_packets() > 1) o.q.Dequeue(now, &dropped);
  dropped.clear();
  CHECK(o.q.Dequeue(now, &dropped).has_value());
  CHECK(dropped.empty());
}

TEST_CASE("CoDel never drops when the queue holds at most one MTU", "[sim]") {
  CoDelParams p;
  p.mtu_bytes = 1500;
  CoDelQueue q(p);
  absl::Time now = kT0;
  // One packet at a time, each waiting 50 ms (far above target) but alone in the queue.
  for (int i = 0; i < 100; ++i) {
    REQUIRE(q.Enqueue({static_cast<uint64_t>(i), 1200, now}));
    now += absl::Milliseconds(50);
    std::vector<QueuedPacket> dropped;
    CHECK(q.Dequeue(now, &dropped).has_value());
    CHECK(dropped.empty());
  }
}

TEST_CASE("CoDel still tail-drops at its byte limit", "[sim]") {
  CoDelParams p;
  p.capacity_bytes = 2400;
  CoDelQueue q(p);
  CHECK(q.Enqueue({1, 1200, kT0}));
  CHECK(q.Enqueue({2, 1200, kT0}));
  CHECK_FALSE(q.Enqueue({3, 1, kT0}));
}

}  // namespace
}  // namespace kite::quic::sim
