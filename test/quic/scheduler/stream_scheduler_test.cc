#include "quic/scheduler/stream_scheduler.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

#include <catch2/catch.hpp>

namespace kite::quic {
namespace {

// Serves `writes` writes of `bytes` each, returning the order of streams served.
std::vector<uint64_t> Serve(StreamScheduler& s, int writes, size_t bytes) {
  std::vector<uint64_t> order;
  for (int i = 0; i < writes; ++i) {
    auto next = s.Next();
    if (!next.has_value()) break;
    order.push_back(*next);
    s.OnBytesWritten(*next, bytes);
  }
  return order;
}

TEST_CASE("StreamScheduler round robin is fair among equal streams", "[scheduler]") {
  const size_t kQuantum = 1200;
  StreamScheduler s(kQuantum);
  for (uint64_t id = 0; id < 40; id += 4) {
    s.Register(id);
    s.MarkReady(id);
  }
  std::map<uint64_t, size_t> bytes;
  // Uneven write sizes, as packets fill differently.
  const size_t sizes[] = {500, 1200, 300, 900, 1100};
  for (int i = 0; i < 1000; ++i) {
    const uint64_t id = *s.Next();
    const size_t n = sizes[i % 5];
    bytes[id] += n;
    s.OnBytesWritten(id, n);
  }
  REQUIRE(bytes.size() == 10);
  size_t lo = SIZE_MAX, hi = 0;
  for (const auto& [id, b] : bytes) {
    lo = std::min(lo, b);
    hi = std::max(hi, b);
  }
  // A turn ends after at least a quantum and at most quantum + one write.
  CHECK(hi - lo <= kQuantum + 1200);
}

TEST_CASE("StreamScheduler rotates after each quantum", "[scheduler]") {
  StreamScheduler s(1000);
  for (uint64_t id : {0, 4, 8}) {
    s.Register(id);
    s.MarkReady(id);
  }
  CHECK(Serve(s, 6, 500) == std::vector<uint64_t>{0, 0, 4, 4, 8, 8});
  CHECK(Serve(s, 3, 1000) == std::vector<uint64_t>{0, 4, 8});
}

TEST_CASE("StreamScheduler serves urgencies strictly in order", "[scheduler]") {
  StreamScheduler s;
  s.Register(0, Priority{5, true});
  s.Register(4, Priority{1, true});
  s.Register(8, Priority{3, true});
  s.Register(12, Priority{7, false});
  for (uint64_t id : {0, 4, 8, 12}) s.MarkReady(id);
  CHECK(Serve(s, 5, 5000) == std::vector<uint64_t>{4, 4, 4, 4, 4});
  s.MarkBlocked(4);
  CHECK(Serve(s, 3, 5000) == std::vector<uint64_t>{8, 8, 8});
  s.MarkBlocked(8);
  CHECK(Serve(s, 2, 5000) == std::vector<uint64_t>{0, 0});
  s.MarkBlocked(0);
  CHECK(s.Next() == 12u);
  s.MarkReady(4);
  CHECK(s.Next() == 4u);
  s.Register(16, Priority{9, true});  // out-of-range urgency clamps to 7
  s.MarkReady(16);
  s.MarkBlocked(4);
  s.MarkBlocked(12);
  CHECK(s.Next() == 16u);
}

TEST_CASE("StreamScheduler: non-incremental holds the head in id order, incremental shares",
          "[scheduler]") {
  StreamScheduler s(1000);
  s.Register(8, Priority{3, false});
  s.Register(4, Priority{3, false});
  s.Register(12, Priority{3, true});
  s.Register(16, Priority{3, true});
  for (uint64_t id : {8, 4, 12, 16}) s.MarkReady(id);
  // Stream 4 (lowest id) keeps the head however much it writes.
  CHECK(Serve(s, 4, 5000) == std::vector<uint64_t>{4, 4, 4, 4});
  s.MarkBlocked(4);  // drained
  CHECK(Serve(s, 3, 5000) == std::vector<uint64_t>{8, 8, 8});
  s.MarkBlocked(8);
  CHECK(Serve(s, 4, 1000) == std::vector<uint64_t>{12, 16, 12, 16});
}

TEST_CASE("StreamScheduler control lane preempts every urgency", "[scheduler]") {
  StreamScheduler s;
  s.Register(0, Priority{0, false});
  s.RegisterControl(2);
  s.RegisterControl(6);
  s.MarkReady(0);
  CHECK(s.Next() == 0u);
  s.MarkReady(6);
  CHECK(s.Next() == 6u);
  s.MarkReady(2);
  CHECK(Serve(s, 4, StreamScheduler::kDefaultQuantum) == std::vector<uint64_t>{6, 2, 6, 2});
  s.MarkBlocked(2);
  s.MarkBlocked(6);
  CHECK(s.Next() == 0u);
  // Control streams ignore priority updates.
  s.UpdatePriority(2, Priority{7, false});
  s.MarkReady(2);
  CHECK(s.Next() == 2u);
}

TEST_CASE("StreamScheduler unregister while ready", "[scheduler]") {
  StreamScheduler s(100);
  for (uint64_t id : {0, 4, 8}) {
    s.Register(id);
    s.MarkReady(id);
  }
  s.Register(12, Priority{3, false});
  s.MarkReady(12);
  CHECK(s.ready_count() == 4);
  s.Unregister(12);
  s.Unregister(4);
  CHECK(s.ready_count() == 2);
  CHECK_FALSE(s.IsRegistered(4));
  CHECK(Serve(s, 4, 100) == std::vector<uint64_t>{0, 8, 0, 8});
  s.Unregister(0);
  s.Unregister(8);
  CHECK_FALSE(s.Next().has_value());
  CHECK_FALSE(s.HasReady());
  // Unknown ids are ignored.
  s.MarkReady(99);
  s.OnBytesWritten(99, 10);
  CHECK_FALSE(s.Next().has_value());
}

TEST_CASE("StreamScheduler re-prioritization moves a ready stream", "[scheduler]") {
  StreamScheduler s;
  s.Register(0, Priority{3, true});
  s.Register(4, Priority{3, true});
  s.MarkReady(0);
  s.MarkReady(4);
  CHECK(s.Next() == 0u);
  s.UpdatePriority(4, Priority{0, false});
  CHECK(s.Next() == 4u);
  s.UpdatePriority(4, Priority{6, true});
  CHECK(s.Next() == 0u);
  s.MarkBlocked(0);
  CHECK(s.Next() == 4u);
  // Updating a blocked stream takes effect when it becomes ready.
  s.UpdatePriority(0, Priority{1, false});
  s.MarkReady(0);
  CHECK(s.Next() == 0u);
  // Re-registering with the same priority keeps its place in the rotation.
  s.Register(8, Priority{6, true});
  s.MarkReady(8);
  s.MarkBlocked(0);
  CHECK(s.Next() == 4u);
  s.Register(4, Priority{6, true});
  CHECK(s.Next() == 4u);
}

TEST_CASE("StreamScheduler MarkReady twice keeps one place", "[scheduler]") {
  StreamScheduler s(100);
  s.Register(0);
  s.Register(4);
  s.MarkReady(0);
  s.MarkReady(4);
  s.MarkReady(0);
  CHECK(s.ready_count() == 2);
  CHECK(Serve(s, 4, 100) == std::vector<uint64_t>{0, 4, 0, 4});
}

}  // namespace
}  // namespace kite::quic
