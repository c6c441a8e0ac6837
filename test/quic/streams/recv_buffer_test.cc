#include "quic/streams/recv_buffer.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "quic/codec/transport_error.h"
#include "quic/codec/varint.h"

namespace kite::quic {
namespace {

std::vector<uint8_t> Pattern(size_t n, uint64_t start = 0) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>((start + i) * 31 + 3);
  return v;
}

absl::Span<const uint8_t> Slice(const std::vector<uint8_t>& v, size_t off, size_t len) {
  return absl::MakeConstSpan(v.data() + off, len);
}

std::vector<uint8_t> ReadAll(RecvBuffer& buf) {
  std::vector<uint8_t> out(buf.readable_bytes() + 16);
  out.resize(buf.Read(out.data(), out.size()));
  return out;
}

TEST_CASE("RecvBuffer reassembles out-of-order data", "[streams]") {
  RecvBuffer buf;
  const auto data = Pattern(3000);
  REQUIRE(buf.OnData(2000, Slice(data, 2000, 1000), true).ok());
  REQUIRE(buf.OnData(1000, Slice(data, 1000, 1000), false).ok());
  CHECK(buf.readable_bytes() == 0);
  CHECK(buf.fragment_count() == 1);  // the two coalesced
  CHECK(buf.final_size() == 3000u);
  CHECK(buf.highest_offset() == 3000);
  CHECK_FALSE(buf.AllDataReceived());
  REQUIRE(buf.OnData(0, Slice(data, 0, 1000), false).ok());
  CHECK(buf.AllDataReceived());
  CHECK_FALSE(buf.IsFinished());
  CHECK(ReadAll(buf) == data);
  CHECK(buf.IsFinished());
}

TEST_CASE("RecvBuffer merges the in-order prefix with the fragments it reaches", "[streams]") {
  RecvBuffer buf;
  const auto data = Pattern(6000);
  REQUIRE(buf.OnData(0, Slice(data, 0, 1000), false).ok());
  CHECK(buf.fragment_count() == 1);
  CHECK(buf.readable_bytes() == 1000);
  // Two fragments beyond a hole, one touching the next.
  REQUIRE(buf.OnData(3000, Slice(data, 3000, 1000), false).ok());
  REQUIRE(buf.OnData(4000, Slice(data, 4000, 500), false).ok());
  REQUIRE(buf.OnData(5000, Slice(data, 5000, 1000), true).ok());
  CHECK(buf.fragment_count() == 3);
  CHECK(buf.readable_bytes() == 1000);
  CHECK_FALSE(buf.AllDataReceived());
  // Filling the hole joins the prefix with [3000, 4500); [5000, 6000) stays apart.
  REQUIRE(buf.OnData(1000, Slice(data, 1000, 2000), false).ok());
  CHECK(buf.fragment_count() == 2);
  CHECK(buf.readable_bytes() == 4500);
  // Data overlapping the end of the prefix and reaching the last fragment joins everything.
  REQUIRE(buf.OnData(4400, Slice(data, 4400, 700), false).ok());
  CHECK(buf.fragment_count() == 1);
  CHECK(buf.readable_bytes() == 6000);
  CHECK(buf.AllDataReceived());
  // A changed byte inside the readable prefix is still a PROTOCOL_VIOLATION.
  auto changed = Pattern(100, 2000);
  changed[50] ^= 1;
  CHECK(GetTransportErrorCode(buf.OnData(2000, absl::MakeConstSpan(changed), false)) ==
        TransportErrorCode::kProtocolViolation);
  CHECK(ReadAll(buf) == data);
  CHECK(buf.IsFinished());
  CHECK(buf.fragment_count() == 0);
}

TEST_CASE("RecvBuffer counts the in-order prefix against the fragment limit", "[streams]") {
  RecvBuffer buf(RecvBuffer::kDefaultMaxBufferedSpan, /*max_fragments=*/2);
  const auto data = Pattern(100);
  REQUIRE(buf.OnData(0, Slice(data, 0, 10), false).ok());
  REQUIRE(buf.OnData(20, Slice(data, 20, 10), false).ok());
  // A third disjoint fragment is one too many; one touching the prefix is not.
  CHECK(GetTransportErrorCode(buf.OnData(40, Slice(data, 40, 10), false)) ==
        TransportErrorCode::kProtocolViolation);
  REQUIRE(buf.OnData(10, Slice(data, 10, 5), false).ok());
  CHECK(buf.fragment_count() == 2);
  // Once read, the prefix no longer counts.
  uint8_t out[15];
  CHECK(buf.Read(out, sizeof(out)) == 15);
  CHECK(buf.fragment_count() == 1);
  REQUIRE(buf.OnData(40, Slice(data, 40, 10), false).ok());
  CHECK(buf.fragment_count() == 2);
}

TEST_CASE("RecvBuffer handles duplicates and overlaps, keeping the first copy", "[streams]") {
  RecvBuffer buf;
  const auto data = Pattern(100);
  REQUIRE(buf.OnData(10, Slice(data, 10, 20), false).ok());
  REQUIRE(buf.OnData(10, Slice(data, 10, 20), false).ok());  // duplicate
  REQUIRE(buf.OnData(5, Slice(data, 5, 40), false).ok());    // covers it
  REQUIRE(buf.OnData(0, Slice(data, 0, 8), false).ok());
  CHECK(buf.readable_bytes() == 45);
  std::vector<uint8_t> part(30);
  REQUIRE(buf.Read(part.data(), 30) == 30);
  CHECK(part == Pattern(30));
  // Old data below the read offset is ignored; the new tail is taken.
  REQUIRE(buf.OnData(0, Slice(data, 0, 100), true).ok());
  CHECK(ReadAll(buf) == Pattern(70, 30));
  CHECK(buf.IsFinished());
}

TEST_CASE("RecvBuffer rejects data that changes on retransmission", "[streams]") {
  RecvBuffer buf;
  auto data = Pattern(100);
  REQUIRE(buf.OnData(10, Slice(data, 10, 50), false).ok());
  data[30] ^= 0xff;
  absl::Status s = buf.OnData(0, Slice(data, 0, 40), false);
  CHECK(GetTransportErrorCode(s) == TransportErrorCode::kProtocolViolation);
  CHECK(buf.readable_bytes() == 0);  // nothing from the bad frame was kept
}

TEST_CASE("RecvBuffer enforces the final size (RFC 9000 §4.5)", "[streams]") {
  const auto data = Pattern(200);
  SECTION("data beyond a known final size") {
    RecvBuffer buf;
    REQUIRE(buf.OnData(0, Slice(data, 0, 100), true).ok());
    CHECK(GetTransportErrorCode(buf.OnData(100, Slice(data, 100, 1), false)) ==
          TransportErrorCode::kFinalSizeError);
    CHECK(GetTransportErrorCode(buf.OnData(50, Slice(data, 50, 51), false)) ==
          TransportErrorCode::kFinalSizeError);
    CHECK(buf.OnData(50, Slice(data, 50, 50), true).ok());  // same FIN again is fine
  }
  SECTION("a second FIN at a different size") {
    RecvBuffer buf;
    REQUIRE(buf.OnData(0, Slice(data, 0, 100), true).ok());
    CHECK(GetTransportErrorCode(buf.OnData(0, Slice(data, 0, 90), true)) ==
          TransportErrorCode::kFinalSizeError);
  }
  SECTION("a FIN below data already received") {
    RecvBuffer buf;
    REQUIRE(buf.OnData(100, Slice(data, 100, 50), false).ok());
    CHECK(GetTransportErrorCode(buf.OnData(0, Slice(data, 0, 120), true)) ==
          TransportErrorCode::kFinalSizeError);
    CHECK_FALSE(buf.final_size().has_value());
  }
  SECTION("a reset final size is checked the same way") {
    RecvBuffer buf;
    REQUIRE(buf.OnData(0, Slice(data, 0, 100), false).ok());
    CHECK(GetTransportErrorCode(buf.OnFinalSize(99)) == TransportErrorCode::kFinalSizeError);
    REQUIRE(buf.OnFinalSize(150).ok());
    CHECK(GetTransportErrorCode(buf.OnFinalSize(151)) == TransportErrorCode::kFinalSizeError);
  }
  SECTION("offsets past 2^62-1") {
    RecvBuffer buf;
    CHECK(GetTransportErrorCode(buf.OnData(kMaxVarInt, Slice(data, 0, 1), false)) ==
          TransportErrorCode::kFlowControlError);
    CHECK(GetTransportErrorCode(buf.OnData(UINT64_MAX, Slice(data, 0, 1), false)) ==
          TransportErrorCode::kFlowControlError);
  }
}

TEST_CASE("RecvBuffer bounds the buffered span", "[streams]") {
  RecvBuffer buf(/*max_buffered_span=*/4096);
  const auto data = Pattern(100);
  CHECK(buf.OnData(3996, Slice(data, 0, 100), false).ok());
  CHECK(GetTransportErrorCode(buf.OnData(4000, Slice(data, 0, 100), false)) ==
        TransportErrorCode::kFlowControlError);
  CHECK(GetTransportErrorCode(buf.OnData(uint64_t{1} << 40, Slice(data, 0, 1), false)) ==
        TransportErrorCode::kFlowControlError);
  CHECK(buf.blocks_held() == 1);
}

TEST_CASE("RecvBuffer bounds a flood of tiny out-of-order fragments", "[streams]") {
  RecvBuffer buf(RecvBuffer::kDefaultMaxBufferedSpan, /*max_fragments=*/64);
  const uint8_t byte = 0x42;
  // Adjacent fragments coalesce and never hit the limit.
  for (uint64_t off = 1000; off < 3000; ++off) {
    REQUIRE(buf.OnData(off, absl::MakeConstSpan(&byte, 1), false).ok());
  }
  CHECK(buf.fragment_count() == 1);
  // Disjoint ones do: every other byte.
  uint64_t off = 5000;
  absl::Status s;
  for (int i = 0; i < 100 && s.ok(); ++i, off += 2) {
    s = buf.OnData(off, absl::MakeConstSpan(&byte, 1), false);
  }
  CHECK(GetTransportErrorCode(s) == TransportErrorCode::kProtocolViolation);
  CHECK(buf.fragment_count() == 64);
  // A frame that merges with existing fragments is still accepted at the limit.
  CHECK(buf.OnData(5001, absl::MakeConstSpan(&byte, 1), false).ok());
  CHECK(buf.fragment_count() == 63);
  // Filling the front makes everything readable and frees the state.
  std::vector<uint8_t> zeros(1000, 0x42);
  REQUIRE(buf.OnData(0, zeros, false).ok());
  CHECK(buf.readable_bytes() == 3000);
}

TEST_CASE("RecvBuffer Peek/Consume across block boundaries frees blocks", "[streams]") {
  RecvBuffer buf;
  const size_t n = 3 * RecvBuffer::kBlockSize + 10;
  const auto data = Pattern(n);
  REQUIRE(buf.OnData(0, data, true).ok());
  CHECK(buf.blocks_held() == 4);
  std::vector<uint8_t> out;
  while (true) {
    absl::Span<const uint8_t> s = buf.Peek();
    if (s.empty()) break;
    CHECK(s.size() <= RecvBuffer::kBlockSize);
    const size_t take = std::min<size_t>(s.size(), 5000);
    out.insert(out.end(), s.begin(), s.begin() + take);
    buf.Consume(take);
  }
  CHECK(out == data);
  CHECK(buf.IsFinished());
  CHECK(buf.blocks_held() <= 1);
}

TEST_CASE("RecvBuffer discard keeps final size checks but drops data", "[streams]") {
  RecvBuffer buf;
  const auto data = Pattern(100);
  REQUIRE(buf.OnData(0, Slice(data, 0, 50), false).ok());
  buf.Discard();
  CHECK(buf.readable_bytes() == 0);
  CHECK(buf.blocks_held() == 0);
  REQUIRE(buf.OnData(50, Slice(data, 50, 50), true).ok());
  CHECK(buf.AllDataReceived());
  CHECK(GetTransportErrorCode(buf.OnData(100, Slice(data, 0, 1), false)) ==
        TransportErrorCode::kFinalSizeError);
}

TEST_CASE("RecvBuffer delivers the exact stream under random fragmentation", "[streams]") {
  std::mt19937 rng(99);
  size_t frames = 0;
  for (int round = 0; round < 30; ++round) {
    const size_t total = 1 + rng() % 60000;
    const auto data = Pattern(total, round);
    RecvBuffer buf;
    std::vector<uint8_t> out;
    int guard = 0;
    while (!buf.IsFinished() && guard++ < 100000) {
      // Starts at or below 0 often enough that the front gets filled.
      const size_t off = static_cast<size_t>(
          std::max<int64_t>(0, static_cast<int64_t>(rng() % (total + 2000)) - 2000));
      if (off >= total) continue;
      const size_t len = std::min<size_t>(total - off, rng() % 3000);
      const bool fin = off + len == total;
      REQUIRE(buf.OnData(off, Slice(data, off, len), fin).ok());
      ++frames;
      if (rng() % 3 == 0) {
        std::vector<uint8_t> tmp(rng() % 5000);
        tmp.resize(buf.Read(tmp.data(), tmp.size()));
        out.insert(out.end(), tmp.begin(), tmp.end());
      }
      if (rng() % 50 == 0) REQUIRE(buf.OnData(total - 1, Slice(data, total - 1, 1), true).ok());
      if (buf.AllDataReceived()) {
        auto rest = ReadAll(buf);
        out.insert(out.end(), rest.begin(), rest.end());
      }
    }
    REQUIRE(buf.IsFinished());
    REQUIRE(out == data);
  }
  CHECK(frames > 30);
}

}  // namespace
}  // namespace kite::quic
