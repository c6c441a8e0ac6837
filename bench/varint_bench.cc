// Varint (RFC 9000 §16) encode and decode over a mix of 1-, 2-, 4- and 8-byte values.
//   bazel run --config=opt //bench:varint_bench
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "quic/codec/data_reader.h"
#include "quic/codec/data_writer.h"
#include "quic/codec/varint.h"

namespace {

using kite::quic::DataReader;
using kite::quic::DataWriter;

constexpr size_t kValues = 4096;

// A fixed pseudo-random mix; state.range(0) selects it: 0 = all sizes evenly, 1 = mostly 1-byte
// (as frame types and small ids are), 8 = only 8-byte.
std::vector<uint64_t> MakeValues(int64_t mix) {
  std::vector<uint64_t> values;
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < kValues; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    int size_class;
    if (mix == 0) size_class = static_cast<int>(x % 4);
    else if (mix == 1) size_class = (x % 10) < 7 ? 0 : static_cast<int>(1 + x % 3);
    else size_class = 3;
    const uint64_t limits[] = {(1ull << 6) - 1, (1ull << 14) - 1, (1ull << 30) - 1,
                               kite::quic::kMaxVarInt};
    values.push_back((x >> 2) % (limits[size_class] + 1));
  }
  return values;
}

void BM_VarIntEncode(benchmark::State& state) {
  const std::vector<uint64_t> values = MakeValues(state.range(0));
  std::vector<uint8_t> buf(kValues * 8);
  size_t bytes = 0;
  for (auto _ : state) {
    DataWriter w(buf.data(), buf.size());
    for (uint64_t v : values) w.WriteVarInt(v);
    benchmark::DoNotOptimize(buf.data());
    bytes += w.length();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kValues));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_VarIntEncode)->Arg(0)->Arg(1)->Arg(8);

void BM_VarIntDecode(benchmark::State& state) {
  const std::vector<uint64_t> values = MakeValues(state.range(0));
  std::vector<uint8_t> buf(kValues * 8);
  DataWriter w(buf.data(), buf.size());
  for (uint64_t v : values) w.WriteVarInt(v);
  const size_t len = w.length();
  for (auto _ : state) {
    DataReader r(buf.data(), len);
    uint64_t sum = 0, v = 0;
    while (r.ReadVarInt(&v)) sum += v;
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kValues));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
}
BENCHMARK(BM_VarIntDecode)->Arg(0)->Arg(1)->Arg(8);

}  // namespace
