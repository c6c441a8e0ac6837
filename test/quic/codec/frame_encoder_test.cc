// The packet builder's and ACK generator's size arithmetic: STREAM/CRYPTO headers and how much
// data fits, ACK sizes and budget-limited ACK encoding, and refusal of unencodable frames.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "quic/codec/data_reader.h"
#include "quic/codec/data_writer.h"
#include "quic/codec/frame_decoder.h"
#include "quic/codec/frame_encoder.h"
#include "quic/codec/frames.h"
#include "quic/codec/varint.h"

namespace kite::quic {
namespace {

size_t VL(uint64_t v) { return VarIntLength(v); }

// The STREAM frame size for n data bytes, computed independently of the encoder.
size_t StreamSize(uint64_t id, uint64_t offset, size_t n, bool with_length) {
  return 1 + VL(id) + (offset ? VL(offset) : 0) + (with_length ? VL(n) : 0) + n;
}

TEST_CASE("StreamFrameHeaderSize", "[frames][encoder]") {
  CHECK(StreamFrameHeaderSize(0, 0, 0, false) == 2);
  CHECK(StreamFrameHeaderSize(0, 0, 0, true) == 3);
  CHECK(StreamFrameHeaderSize(64, 0, 100, true) == 1 + 2 + 2);
  CHECK(StreamFrameHeaderSize(4, 1 << 30, 1200, true) == 1 + 1 + 8 + 2);
  CHECK(StreamFrameHeaderSize(kMaxVarInt + 1, 0, 0, true) == 0);
  CHECK(StreamFrameHeaderSize(0, kMaxVarInt, 1, true) == 0);  // end beyond 2^62-1
  CHECK(StreamFrameHeaderSize(0, kMaxVarInt, 0, true) == 1 + 1 + 8 + 1);
}

TEST_CASE("MaxStreamDataThatFits is the largest n that fits", "[frames][encoder]") {
  const uint64_t ids[] = {0, 63, 64, 16383, 16384, kMaxVarInt};
  const uint64_t offsets[] = {0, 1, 16384, uint64_t{1} << 40};
  for (uint64_t id : ids) {
    for (uint64_t offset : offsets) {
      for (bool with_length : {false, true}) {
        for (size_t budget = 0; budget <= 17000; budget += (budget < 100 ? 1 : 37)) {
          INFO("id " << id << " offset " << offset << " len " << with_length << " budget "
                     << budget);
          const size_t n = MaxStreamDataThatFits(id, offset, budget, with_length);
          if (n == 0) {
            CHECK(StreamSize(id, offset, 1, with_length) > budget);
            continue;
          }
          CHECK(StreamSize(id, offset, n, with_length) <= budget);
          CHECK(StreamSize(id, offset, n + 1, with_length) > budget);
          CHECK(StreamFrameHeaderSize(id, offset, n, with_length) + n ==
                StreamSize(id, offset, n, with_length));
        }
      }
    }
  }
  // Around the Length field's 1->2 byte boundary: budget 66 with id 0, offset 0 is 63 + 1 + 1 + 1.
  CHECK(MaxStreamDataThatFits(0, 0, 66, true) == 63);
  CHECK(MaxStreamDataThatFits(0, 0, 67, true) == 63);  // 64 would need a 2-byte length: 68
  CHECK(MaxStreamDataThatFits(0, 0, 68, true) == 64);
  // Near the 2^62-1 end limit.
  CHECK(MaxStreamDataThatFits(0, kMaxVarInt - 3, 1000, true) == 3);
  CHECK(MaxStreamDataThatFits(0, kMaxVarInt, 1000, true) == 0);
}

TEST_CASE("WriteStreamFrameHeader then the data gives a decodable frame", "[frames][encoder]") {
  std::vector<uint8_t> data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i);
  for (bool with_length : {false, true}) {
    for (bool fin : {false, true}) {
      std::vector<uint8_t> packet(1200);
      DataWriter w(absl::MakeSpan(packet));
      const uint64_t id = 9, offset = 5000;
      const size_t n = MaxStreamDataThatFits(id, offset, w.remaining(), with_length);
      REQUIRE(n == 1200 - 1 - 1 - 2 - (with_length ? 2 : 0));
      const size_t take = std::min(n, data.size());
      REQUIRE(WriteStreamFrameHeader(w, id, offset, take, fin, with_length));
      CHECK(w.length() == StreamFrameHeaderSize(id, offset, take, with_length));
      REQUIRE(w.WriteBytes(data.data(), take));
      DataReader r(packet.data(), w.length());
      absl::StatusOr<Frame> f = DecodeFrame(r);
      REQUIRE(f.ok());
      const StreamFrame& s = std::get<StreamFrame>(*f);
      CHECK(s.stream_id == id);
      CHECK(s.offset == offset);
      CHECK(s.fin == fin);
      CHECK(s.has_length == with_length);
      CHECK(std::vector<uint8_t>(s.data.begin(), s.data.end()) ==
            std::vector<uint8_t>(data.begin(), data.begin() + take));
    }
  }
  // Refused, with nothing written, when header plus data do not fit.
  std::vector<uint8_t> small(10);
  DataWriter w(absl::MakeSpan(small));
  CHECK_FALSE(WriteStreamFrameHeader(w, 0, 0, 8, false, true));
  CHECK(w.length() == 0);
  CHECK(WriteStreamFrameHeader(w, 0, 0, 7, false, true));
  CHECK_FALSE(WriteStreamFrameHeader(w, 0, kMaxVarInt, 1, false, true));
}

TEST_CASE("MaxCryptoDataThatFits and the CRYPTO header", "[frames][encoder]") {
  for (uint64_t offset : {uint64_t{0}, uint64_t{63}, uint64_t{64}, uint64_t{1} << 31}) {
    for (size_t budget = 0; budget <= 20000; budget += (budget < 100 ? 1 : 41)) {
      INFO("offset " << offset << " budget " << budget);
      const size_t n = MaxCryptoDataThatFits(offset, budget);
      auto size = [&](size_t k) { return 1 + VL(offset) + VL(k) + k; };
      if (n == 0) {
        CHECK(size(1) > budget);
        continue;
      }
      CHECK(size(n) <= budget);
      CHECK(size(n + 1) > budget);
      CHECK(CryptoFrameHeaderSize(offset, n) + n == size(n));
    }
  }
  CHECK(MaxCryptoDataThatFits(kMaxVarInt - 1, 100) == 1);
  CHECK(CryptoFrameHeaderSize(kMaxVarInt, 1) == 0);
}

// Descending single-packet ranges: 10000, 9998, ... (gaps of one packet).
std::vector<AckRange> SpacedRanges(size_t n, uint64_t top = 10000) {
  std::vector<AckRange> ranges;
  for (size_t i = 0; i < n; ++i) ranges.push_back({top - 2 * i, top - 2 * i});
  return ranges;
}

TEST_CASE("AckFrameSizeForRanges is exact", "[frames][encoder][ack]") {
  for (size_t n : {1, 2, 63, 64, 65, 256}) {
    for (std::optional<EcnCounts> ecn : {std::optional<EcnCounts>(),
                                         std::optional<EcnCounts>(EcnCounts{1, 100, 100000})}) {
      const std::vector<AckRange> ranges = SpacedRanges(n);
      const size_t size = AckFrameSizeForRanges(ranges, 1234, ecn);
      std::vector<uint8_t> buf(size);
      DataWriter w(absl::MakeSpan(buf));
      REQUIRE(WriteAckFrame(w, ranges, 1234, ecn));
      CHECK(w.length() == size);
      DataReader r(buf.data(), buf.size());
      absl::StatusOr<Frame> f = DecodeFrame(r);
      REQUIRE(f.ok());
      const AckFrame& ack = std::get<AckFrame>(*f);
      CHECK(std::vector<AckRange>(ack.ranges.begin(), ack.ranges.end()) == ranges);
      CHECK(ack.ecn.has_value() == ecn.has_value());
      // The size grows by exactly 2 bytes per range here, plus one when the count needs 2 bytes.
      CHECK(size == 1 + 2 + 2 + VL(n - 1) + 1 + 2 * (n - 1) + (ecn ? 1 + 2 + 4 : 0));
    }
  }
}

TEST_CASE("invalid ACK ranges are refused", "[frames][encoder][ack]") {
  std::vector<uint8_t> buf(100);
  DataWriter w(absl::MakeSpan(buf));
  const std::vector<std::vector<AckRange>> bad = {
      {},                          // empty
      {{5, 4}},                    // smallest > largest
      {{10, 12}, {9, 9}},          // adjacent: no gap between 9 and 10
      {{10, 12}, {11, 15}},        // ascending / overlapping
      {{0, kMaxVarInt + 1}},       // beyond 2^62-1
      {{10, 12}, {0, ~uint64_t{0}}},
  };
  for (const auto& ranges : bad) {
    CHECK(AckFrameSizeForRanges(ranges, 0, std::nullopt) == 0);
    CHECK_FALSE(WriteAckFrame(w, ranges, 0, std::nullopt));
    CHECK(WriteAckFrameWithinBudget(w, ranges, 0, std::nullopt, 100) == 0);
    CHECK(w.length() == 0);
  }
  CHECK(AckFrameSizeForRanges(SpacedRanges(1), kMaxVarInt + 1, std::nullopt) == 0);
  CHECK(AckFrameSizeForRanges(SpacedRanges(1), 0, EcnCounts{0, kMaxVarInt + 1, 0}) == 0);
  // The smallest valid gap: next.largest = prev.smallest - 2.
  CHECK(AckFrameSizeForRanges(std::vector<AckRange>{{10, 12}, {8, 8}}, 0, std::nullopt) == 7);
}

TEST_CASE("ACKs within a byte budget keep the highest ranges", "[frames][encoder][ack]") {
  const std::vector<AckRange> ranges = SpacedRanges(300);
  for (size_t budget = 0; budget <= 700; ++budget) {
    INFO("budget " << budget);
    const size_t k = AckRangesThatFit(ranges, 25, std::nullopt, budget);
    const absl::Span<const AckRange> all(ranges);
    if (k == 0) {
      CHECK(AckFrameSizeForRanges(all.subspan(0, 1), 25, std::nullopt) > budget);
      continue;
    }
    CHECK(AckFrameSizeForRanges(all.subspan(0, k), 25, std::nullopt) <= budget);
    if (k < ranges.size()) {
      CHECK(AckFrameSizeForRanges(all.subspan(0, k + 1), 25, std::nullopt) > budget);
    }
    std::vector<uint8_t> buf(1000);
    DataWriter w(absl::MakeSpan(buf));
    REQUIRE(WriteAckFrameWithinBudget(w, ranges, 25, std::nullopt, budget) == k);
    CHECK(w.length() <= budget);
    DataReader r(buf.data(), w.length());
    absl::StatusOr<Frame> f = DecodeFrame(r);
    REQUIRE(f.ok());
    const AckFrame& ack = std::get<AckFrame>(*f);
    // The decoder keeps at most kMaxAckRanges of them.
    const size_t kept = std::min(k, kMaxAckRanges);
    REQUIRE(ack.ranges.size() == kept);
    CHECK(ack.largest_acknowledged() == 10000);
    CHECK(ack.ranges[kept - 1] == ranges[kept - 1]);
  }
  // The writer's room limits too.
  std::vector<uint8_t> tiny(4);
  DataWriter w(absl::MakeSpan(tiny));
  CHECK(WriteAckFrameWithinBudget(w, ranges, 25, std::nullopt, 1000) == 0);
  CHECK(w.length() == 0);
}

TEST_CASE("unencodable frames have size 0 and are not written", "[frames][encoder]") {
  const std::vector<uint8_t> one = {1};
  NewConnectionIdFrame empty_cid;
  empty_cid.sequence_number = 1;
  NewConnectionIdFrame bad_retire;
  bad_retire.sequence_number = 1;
  bad_retire.retire_prior_to = 2;
  bad_retire.connection_id = ConnectionId(one.data(), one.size());
  const std::vector<Frame> frames = {
      PaddingFrame{0},
      AckFrame{},
      ResetStreamFrame{kMaxVarInt + 1, 0, 0},
      StopSendingFrame{0, kMaxVarInt + 1},
      CryptoFrame{kMaxVarInt, absl::MakeConstSpan(one)},
      NewTokenFrame{},
      StreamFrame{kMaxVarInt + 1, 0, {}, false, true},
      StreamFrame{0, kMaxVarInt, absl::MakeConstSpan(one), false, true},
      MaxDataFrame{kMaxVarInt + 1},
      MaxStreamDataFrame{0, kMaxVarInt + 1},
      MaxStreamsFrame{true, kMaxStreamCount + 1},
      DataBlockedFrame{kMaxVarInt + 1},
      StreamDataBlockedFrame{kMaxVarInt + 1, 0},
      StreamsBlockedFrame{false, kMaxStreamCount + 1},
      empty_cid,
      bad_retire,
      RetireConnectionIdFrame{kMaxVarInt + 1},
      ConnectionCloseFrame{false, 0, kMaxVarInt + 1, {}},
      ConnectionCloseFrame{true, kMaxVarInt + 1, 0, {}},
  };
  std::vector<uint8_t> buf(100, 0xee);
  for (const Frame& f : frames) {
    INFO("variant " << f.index());
    CHECK(EncodedSize(f) == 0);
    DataWriter w(absl::MakeSpan(buf));
    CHECK_FALSE(EncodeFrame(f, w));
    CHECK(w.length() == 0);
  }
}

}  // namespace
}  // namespace kite::quic
