// Frame encode/decode throughput: ACKs with 1, 32 and 256 ranges, and 1200-byte packets of STREAM
// frames.
//   bazel run --config=opt //bench:frame_bench
// "allocs_per_op" counts global operator new calls per iteration (//test/buffers:counting_new);
// decoding is meant to allocate nothing.
#include <cstdint>
#include <optional>
#include <vector>

#include <benchmark/benchmark.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "quic/codec/data_reader.h"
#include "quic/codec/data_writer.h"
#include "quic/codec/frame_decoder.h"
#include "quic/codec/frame_encoder.h"
#include "quic/codec/frames.h"
#include "quic/codec/packet_type.h"
#include "test/buffers/counting_new.h"

namespace {

using namespace kite::quic;  // NOLINT: bench-local brevity

constexpr size_t kPacketPayload = 1200;

void ReportAllocs(benchmark::State& state, uint64_t allocs_before) {
  const uint64_t allocs = kite::testing::HeapAllocationCount() - allocs_before;
  state.counters["allocs_per_op"] = benchmark::Counter(
      static_cast<double>(allocs) / static_cast<double>(state.iterations()));
}

// Descending ranges of varying widths and gaps, as a lossy path produces.
std::vector<AckRange> MakeRanges(size_t n) {
  std::vector<AckRange> ranges;
  uint64_t top = 1'000'000;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t width = 1 + (i * 7) % 50;
    ranges.push_back({top - width, top});
    top -= width + 2 + (i * 13) % 9;
  }
  return ranges;
}

void BM_EncodeAck(benchmark::State& state) {
  const std::vector<AckRange> ranges = MakeRanges(static_cast<size_t>(state.range(0)));
  const std::optional<EcnCounts> ecn = EcnCounts{1000, 0, 3};
  std::vector<uint8_t> buf(4096);
  size_t bytes = 0;
  const uint64_t allocs = kite::testing::HeapAllocationCount();
  for (auto _ : state) {
    DataWriter w(buf.data(), buf.size());
    bool ok = WriteAckFrame(w, ranges, 1234, ecn);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(buf.data());
    bytes += w.length();
  }
  ReportAllocs(state, allocs);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_EncodeAck)->Arg(1)->Arg(32)->Arg(256);

void BM_DecodeAck(benchmark::State& state) {
  const std::vector<AckRange> ranges = MakeRanges(static_cast<size_t>(state.range(0)));
  std::vector<uint8_t> buf(4096);
  DataWriter w(buf.data(), buf.size());
  if (!WriteAckFrame(w, ranges, 1234, EcnCounts{1000, 0, 3})) {
    state.SkipWithError("encode failed");
    return;
  }
  const size_t len = w.length();
  const uint64_t allocs = kite::testing::HeapAllocationCount();
  for (auto _ : state) {
    DataReader r(buf.data(), len);
    absl::StatusOr<Frame> f = DecodeFrame(r);
    benchmark::DoNotOptimize(f);
  }
  ReportAllocs(state, allocs);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
}
BENCHMARK(BM_DecodeAck)->Arg(1)->Arg(32)->Arg(256);

// Fills a 1200-byte payload with STREAM frames of `frames` equal parts, as the packet builder
// does: header, then the bytes straight from the send buffer.
size_t FillStreamPacket(uint8_t* out, const std::vector<uint8_t>& send_buffer, size_t frames,
                        uint64_t* offset) {
  DataWriter w(out, kPacketPayload);
  for (size_t i = 0; i < frames; ++i) {
    const bool last = i + 1 == frames;
    const uint64_t stream_id = 4 * i;
    const size_t budget = last ? w.remaining() : kPacketPayload / frames;
    // The last frame omits its Length: it runs to the end of the packet.
    size_t n = MaxStreamDataThatFits(stream_id, *offset, budget, !last);
    if (n > send_buffer.size()) n = send_buffer.size();
    if (!WriteStreamFrameHeader(w, stream_id, *offset, n, false, !last)) break;
    w.WriteBytes(send_buffer.data(), n);
  }
  *offset += 1000;
  return w.length();
}

void BM_EncodeStreamPacket(benchmark::State& state) {
  const size_t frames = static_cast<size_t>(state.range(0));
  const std::vector<uint8_t> send_buffer(kPacketPayload, 0x5a);
  std::vector<uint8_t> packet(kPacketPayload);
  uint64_t offset = 1 << 20;
  size_t bytes = 0;
  const uint64_t allocs = kite::testing::HeapAllocationCount();
  for (auto _ : state) {
    bytes += FillStreamPacket(packet.data(), send_buffer, frames, &offset);
    benchmark::DoNotOptimize(packet.data());
  }
  ReportAllocs(state, allocs);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * frames));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_EncodeStreamPacket)->Arg(1)->Arg(4)->Arg(16);

void BM_DecodeStreamPacket(benchmark::State& state) {
  const size_t frames = static_cast<size_t>(state.range(0));
  const std::vector<uint8_t> send_buffer(kPacketPayload, 0x5a);
  std::vector<uint8_t> packet(kPacketPayload);
  uint64_t offset = 1 << 20;
  const size_t len = FillStreamPacket(packet.data(), send_buffer, frames, &offset);
  size_t decoded = 0;
  const uint64_t allocs = kite::testing::HeapAllocationCount();
  for (auto _ : state) {
    absl::Status s = DecodeFrames(absl::MakeConstSpan(packet.data(), len), PacketType::kOneRtt,
                                  [&](const Frame& f) {
                                    decoded += std::get<StreamFrame>(f).data.size();
                                    return absl::OkStatus();
                                  });
    benchmark::DoNotOptimize(s);
  }
  benchmark::DoNotOptimize(decoded);
  ReportAllocs(state, allocs);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * frames));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
}
BENCHMARK(BM_DecodeStreamPacket)->Arg(1)->Arg(4)->Arg(16);

}  // namespace
