// Packet buffer acquire+release: the arena pool against the heap.
//   bazel run --config=opt //bench:pool_bench
// "allocs_per_op" counts global operator new calls per iteration (the binary links a counting
// replacement, //test/buffers:counting_new): 0 for the warm pool, 1 for the heap variants
// unless the compiler elided the pair.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>

#include <benchmark/benchmark.h>

#include "buffers/packet_pool.h"
#include "test/buffers/counting_new.h"

namespace {

constexpr size_t kPacketSize = 1500;

void ReportAllocs(benchmark::State& state, uint64_t allocs_before) {
  uint64_t allocs = kite::testing::HeapAllocationCount() - allocs_before;
  state.counters["allocs_per_op"] = benchmark::Counter(
      static_cast<double>(allocs) / static_cast<double>(state.iterations()));
}

void BM_PoolAcquireRelease(benchmark::State& state) {
  kite::buffers::PacketPoolOptions options;
  options.buffer_size = kPacketSize;
  options.initial_buffers = 256;
  options.max_buffers = 256;
  auto created = kite::buffers::PacketPool::Create(options);
  if (!created.ok()) {
    state.SkipWithError("PacketPool::Create failed");
    return;
  }
  std::unique_ptr<kite::buffers::PacketPool> pool = std::move(created).value();
  uint64_t allocs_before = kite::testing::HeapAllocationCount();
  for (auto _ : state) {
    std::optional<kite::buffers::PacketBuffer> b = pool->Acquire();
    if (!b.has_value()) {
      state.SkipWithError("pool exhausted");
      break;
    }
    b->data()[0] = 1;
    benchmark::DoNotOptimize(b->data());
    benchmark::ClobberMemory();
  }
  ReportAllocs(state, allocs_before);
}
BENCHMARK(BM_PoolAcquireRelease);

// A window of live buffers, as a receive batch holds them: acquire order differs from release
// order, so the free list is exercised beyond push/pop of a single node.
void BM_PoolAcquireReleaseWindow(benchmark::State& state) {
  kite::buffers::PacketPoolOptions options;
  options.buffer_size = kPacketSize;
  options.initial_buffers = 256;
  options.max_buffers = 256;
  auto created = kite::buffers::PacketPool::Create(options);
  if (!created.ok()) {
    state.SkipWithError("PacketPool::Create failed");
    return;
  }
  std::unique_ptr<kite::buffers::PacketPool> pool = std::move(created).value();
  std::optional<kite::buffers::PacketBuffer> window[32];
  size_t slot = 0;
  uint64_t allocs_before = kite::testing::HeapAllocationCount();
  for (auto _ : state) {
    window[slot].reset();
    window[slot] = pool->Acquire();
    if (!window[slot].has_value()) {
      state.SkipWithError("pool exhausted");
      break;
    }
    window[slot]->data()[0] = 1;
    benchmark::DoNotOptimize(window[slot]->data());
    slot = (slot + 7) % 32;
  }
  ReportAllocs(state, allocs_before);
  for (auto& w : window) w.reset();
}
BENCHMARK(BM_PoolAcquireReleaseWindow);

void BM_NewDeleteArray(benchmark::State& state) {
  uint64_t allocs_before = kite::testing::HeapAllocationCount();
  for (auto _ : state) {
    uint8_t* p = new uint8_t[kPacketSize];
    p[0] = 1;
    benchmark::DoNotOptimize(p);
    benchmark::ClobberMemory();
    delete[] p;
  }
  ReportAllocs(state, allocs_before);
}
BENCHMARK(BM_NewDeleteArray);

// make_unique<T[]> value-initialises, so this also zeroes 1500 bytes per op.
void BM_MakeUnique(benchmark::State& state) {
  uint64_t allocs_before = kite::testing::HeapAllocationCount();
  for (auto _ : state) {
    std::unique_ptr<uint8_t[]> p = std::make_unique<uint8_t[]>(kPacketSize);
    p[0] = 1;
    benchmark::DoNotOptimize(p.get());
    benchmark::ClobberMemory();
  }
  ReportAllocs(state, allocs_before);
}
BENCHMARK(BM_MakeUnique);

}  // namespace
