#include "buffers/packet_pool.h"

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstring>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "test/buffers/counting_new.h"

#if defined(__SANITIZE_ADDRESS__)
#define KITE_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KITE_TEST_ASAN 1
#endif
#endif
#if defined(KITE_TEST_ASAN)
#include <sanitizer/asan_interface.h>
#endif

namespace kite::buffers {
namespace {

std::unique_ptr<PacketPool> MakePool(const PacketPoolOptions& options) {
  auto pool = PacketPool::Create(options);
  REQUIRE(pool.ok());
  return std::move(pool).value();
}

PacketPoolOptions SmallOptions() {
  PacketPoolOptions o;
  o.buffer_size = 1500;
  o.initial_buffers = 4;
  o.max_buffers = 10;
  o.buffers_per_slab = 4;
  return o;
}

TEST_CASE("PacketPool::Create rejects invalid options", "[buffers]") {
  auto expect_invalid = [](PacketPoolOptions o) {
    auto pool = PacketPool::Create(o);
    REQUIRE_FALSE(pool.ok());
    CHECK(pool.status().code() == absl::StatusCode::kInvalidArgument);
  };
  PacketPoolOptions o = SmallOptions();
  o.buffer_size = kMinPacketBufferSize - 1;
  expect_invalid(o);
  o = SmallOptions();
  o.buffer_size = kMaxPacketBufferSize + 1;
  expect_invalid(o);
  o = SmallOptions();
  o.alignment = 48;
  expect_invalid(o);
  o = SmallOptions();
  o.alignment = kMaxPacketBufferAlignment * 2;
  expect_invalid(o);
  o = SmallOptions();
  o.max_buffers = 0;
  o.initial_buffers = 0;
  expect_invalid(o);
  o = SmallOptions();
  o.max_buffers = kMaxPacketPoolBuffers + 1;
  expect_invalid(o);
  o = SmallOptions();
  o.initial_buffers = 11;
  expect_invalid(o);
  o = SmallOptions();
  o.buffers_per_slab = 0;
  expect_invalid(o);

  o = SmallOptions();
  o.buffer_size = kMaxPacketBufferSize;
  o.alignment = kMaxPacketBufferAlignment;
  CHECK(PacketPool::Create(o).ok());
}

TEST_CASE("PacketPool hands out distinct aligned buffers until exhausted, then fails",
          "[buffers]") {
  auto pool = MakePool(SmallOptions());
  CHECK(pool->stats().capacity == 4);
  CHECK(pool->stats().slabs == 1);

  std::vector<PacketBuffer> held;
  std::set<uintptr_t> addresses;
  for (int i = 0; i < 10; ++i) {
    std::optional<PacketBuffer> b = pool->Acquire();
    REQUIRE(b.has_value());
    REQUIRE(b->valid());
    CHECK(b->capacity() == 1500);
    CHECK(b->size() == 0);
    uintptr_t addr = reinterpret_cast<uintptr_t>(b->data());
    CHECK(addr % kDefaultPacketBufferAlignment == 0);
    addresses.insert(addr);
    // Fill the whole buffer: overlapping buffers would corrupt each other's pattern below.
    std::memset(b->data(), i, b->capacity());
    held.push_back(std::move(*b));
  }
  CHECK(addresses.size() == 10);
  for (size_t i = 0; i < held.size(); ++i) {
    for (size_t j = 0; j < held[i].capacity(); ++j) {
      if (held[i].data()[j] != static_cast<uint8_t>(i)) FAIL("buffer " << i << " overwritten");
    }
  }

  PacketPoolStats s = pool->stats();
  CHECK(s.in_use == 10);
  CHECK(s.capacity == 10);
  CHECK(s.slabs == 3);  // 4 initial + 4 + a short last slab of 2
  CHECK(s.acquire_failures == 0);

  CHECK_FALSE(pool->Acquire().has_value());
  CHECK_FALSE(pool->Acquire().has_value());
  s = pool->stats();
  CHECK(s.acquire_failures == 2);
  CHECK(s.in_use == 10);
  CHECK(s.capacity == 10);
  CHECK(s.high_water_mark == 10);
}

TEST_CASE("Releasing a buffer makes room without growing the pool", "[buffers]") {
  auto pool = MakePool(SmallOptions());
  std::vector<PacketBuffer> held;
  while (auto b = pool->Acquire()) held.push_back(std::move(*b));
  REQUIRE(held.size() == 10);
  REQUIRE_FALSE(pool->Acquire().has_value());

  uint8_t* released = held[3].data();
  held[3].Release();
  CHECK_FALSE(held[3].valid());
  CHECK(pool->in_use() == 9);

  std::optional<PacketBuffer> again = pool->Acquire();
  REQUIRE(again.has_value());
  CHECK(again->data() == released);  // LIFO free list: the hottest buffer is reused first
  CHECK(pool->capacity() == 10);
  CHECK(pool->stats().slabs == 3);

  held.clear();
  again.reset();
  CHECK(pool->in_use() == 0);
  CHECK(pool->stats().high_water_mark == 10);
}

TEST_CASE("PacketBuffer is move-only; a moved-from handle releases nothing", "[buffers]") {
  auto pool = MakePool(SmallOptions());
  static_assert(!std::is_copy_constructible_v<PacketBuffer>);
  static_assert(!std::is_copy_assignable_v<PacketBuffer>);
  static_assert(std::is_nothrow_move_constructible_v<PacketBuffer>);

  std::optional<PacketBuffer> a = pool->Acquire();
  REQUIRE(a.has_value());
  REQUIRE(a->set_size(100));
  uint8_t* data = a->data();

  {
    PacketBuffer moved(std::move(*a));
    CHECK(moved.data() == data);
    CHECK(moved.size() == 100);
    CHECK(moved.capacity() == 1500);
    CHECK_FALSE(a->valid());
    CHECK(a->data() == nullptr);
    CHECK(a->capacity() == 0);
    CHECK(a->size() == 0);
    a.reset();  // destroying the moved-from handle returns nothing
    CHECK(pool->in_use() == 1);

    // Move-assigning over a live handle returns the old buffer first.
    std::optional<PacketBuffer> b = pool->Acquire();
    REQUIRE(b.has_value());
    CHECK(pool->in_use() == 2);
    uint8_t* b_data = b->data();
    moved = std::move(*b);
    CHECK(pool->in_use() == 1);
    CHECK(moved.data() == b_data);
    CHECK_FALSE(b->valid());

    // Assigning an empty handle just releases.
    moved = PacketBuffer();
    CHECK_FALSE(moved.valid());
    CHECK(pool->in_use() == 0);
    moved.Release();  // no-op on an empty handle
    CHECK(pool->in_use() == 0);
  }
  CHECK(pool->in_use() == 0);

  PacketBuffer empty;
  CHECK_FALSE(empty);
  CHECK(empty.span().empty());
  CHECK_FALSE(empty.set_size(1));
}

TEST_CASE("set_size is bounded by capacity and spans follow it", "[buffers]") {
  auto pool = MakePool(SmallOptions());
  std::optional<PacketBuffer> b = pool->Acquire();
  REQUIRE(b.has_value());
  CHECK(b->writable_span().size() == 1500);
  CHECK(b->writable_span().data() == b->data());
  CHECK(b->span().empty());

  for (size_t i = 0; i < 1500; ++i) b->writable_span()[i] = static_cast<uint8_t>(i * 7);
  REQUIRE(b->set_size(1200));
  CHECK(b->size() == 1200);
  CHECK(b->span().size() == 1200);
  CHECK(b->mutable_span().size() == 1200);
  CHECK(b->span()[1199] == static_cast<uint8_t>(1199 * 7));

  CHECK(b->set_size(1500));
  CHECK_FALSE(b->set_size(1501));
  CHECK(b->size() == 1500);
  CHECK_FALSE(b->set_size(SIZE_MAX));
  CHECK(b->size() == 1500);
  CHECK(b->set_size(0));
  CHECK(b->span().empty());
}

TEST_CASE("A pool with no initial buffers grows on first use", "[buffers]") {
  PacketPoolOptions o = SmallOptions();
  o.initial_buffers = 0;
  o.max_buffers = 3;
  o.buffers_per_slab = 2;
  auto pool = MakePool(o);
  CHECK(pool->capacity() == 0);
  CHECK(pool->stats().slabs == 0);
  auto a = pool->Acquire();
  auto b = pool->Acquire();
  auto c = pool->Acquire();
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  REQUIRE(c.has_value());
  CHECK(pool->stats().slabs == 2);
  CHECK(pool->capacity() == 3);
  CHECK_FALSE(pool->Acquire().has_value());
}

TEST_CASE("Large GSO-sized buffers with page alignment", "[buffers]") {
  PacketPoolOptions o;
  o.buffer_size = kMaxPacketBufferSize;
  o.alignment = 4096;
  o.initial_buffers = 2;
  o.max_buffers = 2;
  auto pool = MakePool(o);
  auto a = pool->Acquire();
  auto b = pool->Acquire();
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(reinterpret_cast<uintptr_t>(a->data()) % 4096 == 0);
  CHECK(reinterpret_cast<uintptr_t>(b->data()) % 4096 == 0);
  std::memset(a->data(), 0xaa, a->capacity());
  std::memset(b->data(), 0xbb, b->capacity());
  CHECK(a->data()[kMaxPacketBufferSize - 1] == 0xaa);
  CHECK(b->data()[0] == 0xbb);
  CHECK_FALSE(pool->Acquire().has_value());
}

TEST_CASE("Steady-state acquire/release performs no heap allocation", "[buffers]") {
  PacketPoolOptions o = SmallOptions();
  o.initial_buffers = 0;
  o.max_buffers = 64;
  o.buffers_per_slab = 16;
  auto pool = MakePool(o);

  // The counter is live: growing the pool allocates a slab.
  uint64_t before_growth = testing::HeapAllocationCount();
  {
    std::vector<PacketBuffer> warm;
    warm.reserve(64);
    uint64_t after_reserve = testing::HeapAllocationCount();
    CHECK(after_reserve > before_growth);
    while (auto b = pool->Acquire()) warm.push_back(std::move(*b));
    CHECK(warm.size() == 64);
    CHECK(testing::HeapAllocationCount() - after_reserve == 4);  // 64 / 16 slabs
  }
  REQUIRE(pool->in_use() == 0);

  // Warm: every buffer is carved. Hold a window of buffers and cycle through them.
  std::optional<PacketBuffer> window[8];
  uint64_t allocs_before = testing::HeapAllocationCount();
  uint64_t frees_before = testing::HeapDeallocationCount();
  uint64_t checksum = 0;
  for (int i = 0; i < 100000; ++i) {
    std::optional<PacketBuffer>& slot = window[i % 8];
    slot.reset();
    slot = pool->Acquire();
    if (!slot.has_value()) break;
    slot->data()[0] = static_cast<uint8_t>(i);
    if (!slot->set_size(1 + static_cast<size_t>(i % 1500))) break;
    checksum += slot->size();
    PacketBuffer moved = std::move(*slot);  // moves allocate nothing either
    *slot = std::move(moved);
  }
  uint64_t allocs_after = testing::HeapAllocationCount();
  uint64_t frees_after = testing::HeapDeallocationCount();

  CHECK(allocs_after == allocs_before);
  CHECK(frees_after == frees_before);
  CHECK(pool->in_use() == 8);
  CHECK(checksum > 0);
}

TEST_CASE("Acquire on an exhausted pool allocates nothing", "[buffers]") {
  auto pool = MakePool(SmallOptions());
  std::vector<PacketBuffer> held;
  held.reserve(10);
  while (auto b = pool->Acquire()) held.push_back(std::move(*b));
  uint64_t allocs_before = testing::HeapAllocationCount();
  size_t failures = 0;
  for (int i = 0; i < 1000; ++i) failures += pool->Acquire().has_value() ? 0 : 1;
  CHECK(testing::HeapAllocationCount() == allocs_before);
  CHECK(failures == 1000);
  CHECK(pool->stats().acquire_failures == 1001);
}

#if defined(KITE_TEST_ASAN)
TEST_CASE("Under ASan, free buffers and padding are poisoned", "[buffers]") {
  auto pool = MakePool(SmallOptions());  // 1500-byte buffers on a 1536-byte stride
  std::optional<PacketBuffer> b = pool->Acquire();
  REQUIRE(b.has_value());
  uint8_t* p = b->data();
  CHECK(__asan_region_is_poisoned(p, 1500) == nullptr);
  CHECK(__asan_address_is_poisoned(p + 1500));  // padding up to the next buffer
  b.reset();
  CHECK(__asan_address_is_poisoned(p));
  CHECK(__asan_address_is_poisoned(p + 1499));
}
#endif

#ifndef NDEBUG
TEST_CASE("Destroying a pool with a buffer outstanding asserts in debug builds", "[buffers]") {
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Catch2's own SIGABRT handler would print a failure report from the child.
    std::signal(SIGABRT, SIG_DFL);
    auto created = PacketPool::Create(SmallOptions());
    if (!created.ok()) _exit(1);
    std::unique_ptr<PacketPool> pool = std::move(created).value();
    std::optional<PacketBuffer> leaked = pool->Acquire();
    if (!leaked.has_value()) _exit(1);
    pool.reset();  // must abort here
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGABRT);
}
#endif

}  // namespace
}  // namespace kite::buffers
