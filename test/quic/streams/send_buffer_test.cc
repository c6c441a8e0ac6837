#include "quic/streams/send_buffer.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

namespace kite::quic {
namespace {

std::vector<uint8_t> Pattern(size_t n, uint64_t start = 0) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>((start + i) * 131 + 7);
  return v;
}

TEST_CASE("SendBuffer hands out new data in order and marks FIN on the last chunk",
          "[streams]") {
  SendBuffer buf;
  const auto data = Pattern(2500);
  buf.Append(data);
  buf.Finish();
  CHECK(buf.HasDataToSend());
  CHECK(buf.NextChunk(1000) == SendChunk{0, 1000, false, false});
  CHECK(buf.NextChunk(1000) == SendChunk{1000, 1000, false, false});
  CHECK(buf.NextChunk(1000) == SendChunk{2000, 500, true, false});
  CHECK_FALSE(buf.HasDataToSend());
  CHECK_FALSE(buf.NextChunk(1000).has_value());
  std::vector<uint8_t> out(2500);
  REQUIRE(buf.CopyData(0, 2500, out.data()));
  CHECK(out == data);
}

TEST_CASE("SendBuffer sends a FIN-only chunk when Finish comes after the data", "[streams]") {
  SendBuffer buf;
  buf.Append(Pattern(10));
  CHECK(buf.NextChunk(100) == SendChunk{0, 10, false, false});
  CHECK_FALSE(buf.HasDataToSend());
  buf.Finish();
  CHECK(buf.NextChunk(100) == SendChunk{10, 0, true, false});
  buf.OnAcked(0, 10, false);
  CHECK_FALSE(buf.AllDataAcked());
  buf.OnAcked(10, 0, true);
  CHECK(buf.AllDataAcked());
}

TEST_CASE("SendBuffer resends lost ranges before new data, exactly", "[streams]") {
  SendBuffer buf;
  buf.Append(Pattern(5000));
  CHECK(buf.NextChunk(1000) == SendChunk{0, 1000, false, false});
  CHECK(buf.NextChunk(1000) == SendChunk{1000, 1000, false, false});
  CHECK(buf.NextChunk(1000) == SendChunk{2000, 1000, false, false});
  buf.OnLost(1000, 1000, false);
  buf.OnLost(0, 1000, false);
  CHECK(buf.HasRetransmission());
  // Lowest offset first; a lost range may be split by max_len.
  CHECK(buf.NextChunk(600) == SendChunk{0, 600, false, true});
  CHECK(buf.NextChunk(5000) == SendChunk{600, 1400, false, true});
  CHECK(buf.NextChunk(1000) == SendChunk{3000, 1000, false, false});
}

TEST_CASE("SendBuffer does not resend data acknowledged after it was declared lost",
          "[streams]") {
  SendBuffer buf;
  buf.Append(Pattern(3000));
  REQUIRE(buf.NextChunk(3000).has_value());
  buf.OnAcked(1000, 500, false);           // a retransmission's ack (or reordering)
  buf.OnLost(0, 3000, false);              // original packet lost: only the rest is resent
  CHECK(buf.lost_ranges().TotalLength() == 2500);
  buf.OnAcked(2000, 200, false);           // late ack removes a lost range part
  CHECK(buf.NextChunk(5000) == SendChunk{0, 1000, false, true});
  CHECK(buf.NextChunk(5000) == SendChunk{1500, 500, false, true});
  CHECK(buf.NextChunk(5000) == SendChunk{2200, 800, false, true});
  CHECK_FALSE(buf.NextChunk(5000).has_value());
}

TEST_CASE("SendBuffer retransmits a lost FIN, with or without data", "[streams]") {
  SendBuffer buf;
  buf.Append(Pattern(100));
  buf.Finish();
  CHECK(buf.NextChunk(1000) == SendChunk{0, 100, true, false});
  buf.OnAcked(0, 60, false);
  buf.OnLost(0, 100, true);
  CHECK(buf.NextChunk(1000) == SendChunk{60, 40, true, true});
  buf.OnAcked(60, 40, false);  // data acked in a packet whose FIN flag we pretend lost
  buf.OnLost(60, 40, true);
  CHECK(buf.NextChunk(1000) == SendChunk{100, 0, true, true});
  buf.OnAcked(100, 0, true);
  CHECK(buf.AllDataAcked());
  buf.OnLost(100, 0, true);  // stale loss after the ack: nothing to resend
  CHECK_FALSE(buf.HasDataToSend());
}

TEST_CASE("SendBuffer respects the new-data limit but not for retransmissions", "[streams]") {
  SendBuffer buf;
  buf.Append(Pattern(1000));
  CHECK(buf.NextChunk(1000, 300) == SendChunk{0, 300, false, false});
  CHECK_FALSE(buf.NextChunk(1000, 300).has_value());
  buf.OnLost(0, 300, false);
  CHECK(buf.NextChunk(1000, 300) == SendChunk{0, 300, false, true});
}

TEST_CASE("SendBuffer frees blocks as the acknowledged prefix advances", "[streams]") {
  SendBuffer buf;
  const size_t kTotal = 4 * SendBuffer::kBlockSize + 100;
  buf.Append(Pattern(kTotal));
  CHECK(buf.blocks_held() == 5);
  CHECK(buf.bytes_buffered() == kTotal);
  while (buf.NextChunk(1200).has_value()) {
  }
  // Acking out of order frees nothing until the prefix is contiguous.
  buf.OnAcked(SendBuffer::kBlockSize, 2 * SendBuffer::kBlockSize, false);
  CHECK(buf.blocks_held() == 5);
  buf.OnAcked(0, SendBuffer::kBlockSize - 1, false);
  CHECK(buf.blocks_held() == 5);
  buf.OnAcked(SendBuffer::kBlockSize - 1, 1, false);
  CHECK(buf.blocks_held() == 2);
  CHECK(buf.bytes_buffered() == kTotal - 3 * SendBuffer::kBlockSize);
  std::vector<uint8_t> out(10);
  CHECK_FALSE(buf.CopyData(0, 10, out.data()));  // freed
  REQUIRE(buf.CopyData(3 * SendBuffer::kBlockSize, 10, out.data()));
  CHECK(out == Pattern(10, 3 * SendBuffer::kBlockSize));
  // Appending after the front was freed keeps offsets right.
  buf.Append(Pattern(50, kTotal));
  REQUIRE(buf.CopyData(kTotal - 20, 70, std::vector<uint8_t>(70).data()));
  std::vector<uint8_t> tail(70);
  REQUIRE(buf.CopyData(kTotal - 20, 70, tail.data()));
  CHECK(tail == Pattern(70, kTotal - 20));
}

TEST_CASE("SendBuffer mixes in-order and out-of-order acknowledgements, reusing blocks",
          "[streams]") {
  SendBuffer buf;
  constexpr size_t kBlock = SendBuffer::kBlockSize;
  const auto data = Pattern(6 * kBlock);
  // Written in two halves so that blocks freed by the first acks are reused by the second.
  buf.Append(absl::MakeConstSpan(data.data(), 3 * kBlock));
  std::vector<SendChunk> chunks;
  while (auto c = buf.NextChunk(1000)) chunks.push_back(*c);
  // In order for the first half of the chunks, then the rest out of order.
  const size_t half = chunks.size() / 2;
  for (size_t i = 0; i < half; ++i) buf.OnAcked(chunks[i].offset, chunks[i].length, false);
  CHECK(buf.bytes_buffered() == 3 * kBlock - (chunks[half].offset));
  buf.OnAcked(chunks[half + 1].offset, chunks[half + 1].length, false);
  CHECK(buf.bytes_buffered() == 3 * kBlock - (chunks[half].offset));
  // A duplicate acknowledgement below the prefix changes nothing.
  buf.OnAcked(chunks[0].offset, chunks[0].length, false);
  CHECK(buf.bytes_buffered() == 3 * kBlock - (chunks[half].offset));
  buf.OnAcked(chunks[half].offset, chunks[half].length, false);
  CHECK(buf.bytes_buffered() == 3 * kBlock - (chunks[half + 2].offset));
  buf.Append(absl::MakeConstSpan(data.data() + 3 * kBlock, 3 * kBlock));
  buf.Finish();
  while (auto c = buf.NextChunk(1000)) chunks.push_back(*c);
  // Every unacknowledged byte still reads back exactly.
  for (size_t i = half + 2; i < chunks.size(); ++i) {
    std::vector<uint8_t> out(chunks[i].length);
    REQUIRE(buf.CopyData(chunks[i].offset, chunks[i].length, out.data()));
    CHECK(std::equal(out.begin(), out.end(), data.begin() + chunks[i].offset));
  }
  for (size_t i = half + 2; i < chunks.size(); ++i) {
    buf.OnAcked(chunks[i].offset, chunks[i].length, chunks[i].fin);
  }
  CHECK(buf.AllDataAcked());
  CHECK(buf.blocks_held() == 0);
}

TEST_CASE("SendBuffer rejects copies of ranges it does not hold", "[streams]") {
  SendBuffer buf;
  buf.Append(Pattern(100));
  uint8_t out[200];
  CHECK_FALSE(buf.CopyData(50, 51, out));
  CHECK_FALSE(buf.CopyData(UINT64_MAX - 1, 5, out));
  CHECK(buf.CopyData(50, 50, out));
}

TEST_CASE("SendBuffer matches a reference model under random sends, acks and losses",
          "[streams]") {
  std::mt19937 rng(12345);
  for (int round = 0; round < 20; ++round) {
    SendBuffer buf;
    const size_t total = 20000 + rng() % 50000;
    const auto data = Pattern(total);
    size_t appended = 0;
    // Reference: per byte, 0 = unsent, 1 = in flight, 2 = acked, 3 = lost.
    std::vector<int> state(total, 0);
    std::vector<SendChunk> in_flight;
    bool fin_acked = false;
    int steps = 0;
    while (!buf.AllDataAcked() && steps++ < 100000) {
      if (appended < total && rng() % 4 == 0) {
        const size_t n = std::min<size_t>(total - appended, 1 + rng() % 7000);
        buf.Append(absl::MakeConstSpan(data.data() + appended, n));
        appended += n;
        if (appended == total) buf.Finish();
      }
      if (auto chunk = buf.NextChunk(1 + rng() % 1500)) {
        for (size_t i = 0; i < chunk->length; ++i) {
          const int s = state[chunk->offset + i];
          // Never resend acked data; new data only once; retransmissions only of lost data.
          REQUIRE(s == (chunk->retransmission ? 3 : 0));
          state[chunk->offset + i] = 1;
        }
        std::vector<uint8_t> copy(chunk->length);
        REQUIRE(buf.CopyData(chunk->offset, chunk->length, copy.data()));
        REQUIRE(std::equal(copy.begin(), copy.end(), data.begin() + chunk->offset));
        if (chunk->fin) REQUIRE(chunk->offset + chunk->length == total);
        in_flight.push_back(*chunk);
      }
      if (!in_flight.empty() && rng() % 2 == 0) {
        const size_t k = rng() % in_flight.size();
        const SendChunk c = in_flight[k];
        in_flight.erase(in_flight.begin() + k);
        if (rng() % 4 == 0) {
          buf.OnLost(c.offset, c.length, c.fin);
          for (size_t i = 0; i < c.length; ++i) {
            if (state[c.offset + i] != 2) state[c.offset + i] = 3;
          }
        } else {
          buf.OnAcked(c.offset, c.length, c.fin);
          for (size_t i = 0; i < c.length; ++i) state[c.offset + i] = 2;
          if (c.fin) fin_acked = true;
        }
      }
      // Lost bytes in the model are exactly the buffer's lost ranges (minus those resent).
      if (steps % 32 == 0) {
        uint64_t model_lost = 0;
        for (int s : state) model_lost += s == 3;
        REQUIRE(buf.lost_ranges().TotalLength() == model_lost);
      }
    }
    REQUIRE(buf.AllDataAcked());
    CHECK(fin_acked);
    for (int s : state) REQUIRE(s == 2);
    CHECK(buf.blocks_held() <= 1);
    CHECK(buf.bytes_buffered() == 0);
  }
}

}  // namespace
}  // namespace kite::quic
