// DecodeFrame's out-of-range and malformed cases (RFC 9000 §12.4, §19) and DecodeFrames' walk.
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "quic/codec/data_reader.h"
#include "quic/codec/data_writer.h"
#include "quic/codec/frame_decoder.h"
#include "quic/codec/frame_type.h"
#include "quic/codec/frames.h"
#include "quic/codec/transport_error.h"

namespace kite::quic {
namespace {

// Builds frame bytes field by field: varints, raw bytes, single bytes.
class Wire {
 public:
  Wire& V(uint64_t v) {
    uint8_t buf[8];
    DataWriter w(buf, sizeof(buf));
    REQUIRE(w.WriteVarInt(v));
    bytes_.insert(bytes_.end(), buf, buf + w.length());
    return *this;
  }
  Wire& VWithLength(uint64_t v, size_t len) {
    uint8_t buf[8];
    DataWriter w(buf, sizeof(buf));
    REQUIRE(w.WriteVarIntWithLength(v, len));
    bytes_.insert(bytes_.end(), buf, buf + w.length());
    return *this;
  }
  Wire& B(uint8_t b) {
    bytes_.push_back(b);
    return *this;
  }
  Wire& Fill(size_t n, uint8_t b = 0xab) {
    bytes_.insert(bytes_.end(), n, b);
    return *this;
  }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

absl::StatusOr<Frame> DecodeAll(const Wire& wire) {
  DataReader r(wire.bytes().data(), wire.bytes().size());
  absl::StatusOr<Frame> f = DecodeFrame(r);
  if (f.ok()) CHECK(r.empty());
  return f;
}

void ExpectError(const Wire& wire, TransportErrorCode code, uint64_t frame_type) {
  absl::StatusOr<Frame> f = DecodeAll(wire);
  REQUIRE_FALSE(f.ok());
  CHECK(GetTransportErrorCode(f.status()) == code);
  CHECK(GetTransportErrorFrameType(f.status()) == frame_type);
}

void ExpectFrameEncodingError(const Wire& wire, uint64_t frame_type) {
  ExpectError(wire, TransportErrorCode::kFrameEncodingError, frame_type);
}

TEST_CASE("frame type encoding", "[frames][malformed]") {
  // §12.4: frame types use the shortest encoding; kite answers PROTOCOL_VIOLATION.
  ExpectError(Wire().VWithLength(kFrameTypePing, 2), TransportErrorCode::kProtocolViolation,
              kFrameTypePing);
  ExpectError(Wire().VWithLength(kFrameTypePadding, 4), TransportErrorCode::kProtocolViolation,
              kFrameTypePadding);
  ExpectError(Wire().VWithLength(kFrameTypeMaxData, 8).V(1),
              TransportErrorCode::kProtocolViolation, kFrameTypeMaxData);
  // Unknown types, one- and two-byte, are FRAME_ENCODING_ERROR (§12.4).
  for (uint64_t t : {uint64_t{0x1f}, uint64_t{0x20}, uint64_t{0x2f}, uint64_t{0x32},
                     uint64_t{0x3f}, uint64_t{0x40}, uint64_t{0x3fff}, uint64_t{0x4000},
                     kMaxVarInt}) {
    INFO(t);
    ExpectFrameEncodingError(Wire().V(t), t);
  }
  // A truncated frame type, and no frame at all.
  absl::StatusOr<Frame> f = DecodeAll(Wire().B(0x40));
  CHECK(GetTransportErrorCode(f.status()) == TransportErrorCode::kFrameEncodingError);
  f = DecodeAll(Wire());
  CHECK(GetTransportErrorCode(f.status()) == TransportErrorCode::kFrameEncodingError);
}

TEST_CASE("PADDING collapses a run and stops at the next frame", "[frames]") {
  const Wire wire = Wire().Fill(10, 0x00).V(kFrameTypePing).Fill(3, 0x00);
  DataReader r(wire.bytes().data(), wire.bytes().size());
  absl::StatusOr<Frame> a = DecodeFrame(r);
  REQUIRE(a.ok());
  CHECK(std::get<PaddingFrame>(*a).length == 10);
  absl::StatusOr<Frame> b = DecodeFrame(r);
  REQUIRE(b.ok());
  CHECK(std::holds_alternative<PingFrame>(*b));
  absl::StatusOr<Frame> c = DecodeFrame(r);
  REQUIRE(c.ok());
  CHECK(std::get<PaddingFrame>(*c).length == 3);
  CHECK(r.empty());
}

TEST_CASE("ACK ranges that go below zero", "[frames][malformed][ack]") {
  // First ACK Range may reach packet 0 but not below (§19.3.1).
  absl::StatusOr<Frame> ok = DecodeAll(Wire().V(kFrameTypeAck).V(5).V(0).V(0).V(5));
  REQUIRE(ok.ok());
  CHECK(std::get<AckFrame>(*ok).ranges == AckRangeList({{0, 5}}));
  ExpectFrameEncodingError(Wire().V(kFrameTypeAck).V(5).V(0).V(0).V(6), kFrameTypeAck);
  ExpectFrameEncodingError(Wire().V(kFrameTypeAckEcn).V(0).V(0).V(0).V(kMaxVarInt).V(0).V(0).V(0),
                           kFrameTypeAckEcn);

  // smallest 2; gap 0 gives largest 0 (= 2 - 0 - 2), length 0: packet 0 acked.
  ok = DecodeAll(Wire().V(kFrameTypeAck).V(5).V(0).V(1).V(3).V(0).V(0));
  REQUIRE(ok.ok());
  CHECK(std::get<AckFrame>(*ok).ranges == AckRangeList({{2, 5}, {0, 0}}));
  // gap 1 would give largest -1.
  ExpectFrameEncodingError(Wire().V(kFrameTypeAck).V(5).V(0).V(1).V(3).V(1).V(0), kFrameTypeAck);
  // gap 0 gives largest 0, then length 1 would give smallest -1.
  ExpectFrameEncodingError(Wire().V(kFrameTypeAck).V(5).V(0).V(1).V(3).V(0).V(1), kFrameTypeAck);
  // A huge gap near 2^62 must not wrap around.
  ExpectFrameEncodingError(Wire().V(kFrameTypeAck).V(5).V(0).V(1).V(3).V(kMaxVarInt).V(0),
                           kFrameTypeAck);
}

TEST_CASE("ACK range counts the packet cannot hold fail fast", "[frames][malformed][ack]") {
  ExpectFrameEncodingError(Wire().V(kFrameTypeAck).V(100).V(0).V(kMaxVarInt).V(0),
                           kFrameTypeAck);
  ExpectFrameEncodingError(Wire().V(kFrameTypeAck).V(100).V(0).V(3).V(0).V(0).V(0).V(0).V(0),
                           kFrameTypeAck);
}

TEST_CASE("an ACK with more than kMaxAckRanges ranges keeps the highest", "[frames][ack]") {
  // 300 ranges, each one packet, separated by one missing packet: largest 1000, then 998, ...
  const size_t kRanges = 300;
  Wire wire;
  wire.V(kFrameTypeAckEcn).V(1000).V(25).V(kRanges - 1).V(0);
  for (size_t i = 1; i < kRanges; ++i) wire.V(0).V(0);
  wire.V(7).V(8).V(9);
  absl::StatusOr<Frame> f = DecodeAll(wire);
  REQUIRE(f.ok());
  const AckFrame& ack = std::get<AckFrame>(*f);
  REQUIRE(ack.ranges.size() == kMaxAckRanges);
  CHECK(ack.largest_acknowledged() == 1000);
  for (size_t i = 0; i < kMaxAckRanges; ++i) {
    CHECK(ack.ranges[i].largest == 1000 - 2 * i);
    CHECK(ack.ranges[i].smallest == 1000 - 2 * i);
  }
  CHECK(ack.ack_delay == 25);
  REQUIRE(ack.ecn.has_value());
  CHECK(ack.ecn->ect0 == 7);
  CHECK(ack.ecn->ect1 == 8);
  CHECK(ack.ecn->ecn_ce == 9);

  // The dropped ranges are still validated: make the 300th go below zero.
  Wire bad;
  bad.V(kFrameTypeAck).V(2 * (kRanges - 1) - 1).V(0).V(kRanges - 1).V(0);
  for (size_t i = 1; i < kRanges; ++i) bad.V(0).V(0);
  ExpectFrameEncodingError(bad, kFrameTypeAck);
}

TEST_CASE("STREAM and CRYPTO data may not end beyond 2^62-1", "[frames][malformed]") {
  // §19.8: offset + length <= 2^62-1; exactly at the limit is fine.
  absl::StatusOr<Frame> ok = DecodeAll(Wire().V(0x0e).V(4).V(kMaxVarInt - 2).V(2).Fill(2));
  REQUIRE(ok.ok());
  CHECK(std::get<StreamFrame>(*ok).offset == kMaxVarInt - 2);
  ExpectFrameEncodingError(Wire().V(0x0e).V(4).V(kMaxVarInt - 2).V(3).Fill(3), 0x0e);
  ExpectFrameEncodingError(Wire().V(0x0f).V(4).V(kMaxVarInt).V(1).Fill(1), 0x0f);
  // Without LEN the data runs to the end and the same limit applies.
  ExpectFrameEncodingError(Wire().V(0x0c).V(4).V(kMaxVarInt).Fill(1), 0x0c);
  ok = DecodeAll(Wire().V(0x0c).V(4).V(kMaxVarInt));  // empty data at the limit
  REQUIRE(ok.ok());
  // §19.6 for CRYPTO.
  ok = DecodeAll(Wire().V(kFrameTypeCrypto).V(kMaxVarInt - 1).V(1).Fill(1));
  REQUIRE(ok.ok());
  ExpectFrameEncodingError(Wire().V(kFrameTypeCrypto).V(kMaxVarInt - 1).V(2).Fill(2),
                           kFrameTypeCrypto);
}

TEST_CASE("STREAM with the OFF bit and a zero offset is accepted", "[frames]") {
  absl::StatusOr<Frame> f = DecodeAll(Wire().V(0x0d).V(8).V(0).Fill(4));
  REQUIRE(f.ok());
  const StreamFrame& s = std::get<StreamFrame>(*f);
  CHECK(s.offset == 0);
  CHECK(s.fin);
  CHECK(s.data.size() == 4);
}

TEST_CASE("length fields larger than the packet", "[frames][malformed]") {
  ExpectFrameEncodingError(Wire().V(kFrameTypeCrypto).V(0).V(5).Fill(4), kFrameTypeCrypto);
  ExpectFrameEncodingError(Wire().V(kFrameTypeNewToken).V(5).Fill(4), kFrameTypeNewToken);
  ExpectFrameEncodingError(Wire().V(0x0a).V(0).V(kMaxVarInt).Fill(4), 0x0a);
  ExpectFrameEncodingError(Wire().V(0x1c).V(0).V(0).V(100).Fill(99), 0x1c);
  ExpectFrameEncodingError(Wire().V(0x1d).V(0).V(1).Fill(0), 0x1d);
  ExpectFrameEncodingError(Wire().V(0x31).V(1u << 20).Fill(1000), 0x31);
}

TEST_CASE("NEW_TOKEN must not be empty", "[frames][malformed]") {
  ExpectFrameEncodingError(Wire().V(kFrameTypeNewToken).V(0), kFrameTypeNewToken);
}

TEST_CASE("stream counts above 2^60", "[frames][malformed]") {
  for (uint64_t type : {kFrameTypeMaxStreamsBidi, kFrameTypeMaxStreamsUni,
                        kFrameTypeStreamsBlockedBidi, kFrameTypeStreamsBlockedUni}) {
    INFO(type);
    REQUIRE(DecodeAll(Wire().V(type).V(kMaxStreamCount)).ok());
    ExpectFrameEncodingError(Wire().V(type).V(kMaxStreamCount + 1), type);
    ExpectFrameEncodingError(Wire().V(type).V(kMaxVarInt), type);
  }
  absl::StatusOr<Frame> f = DecodeAll(Wire().V(kFrameTypeMaxStreamsUni).V(7));
  REQUIRE(f.ok());
  CHECK_FALSE(std::get<MaxStreamsFrame>(*f).bidirectional);
  f = DecodeAll(Wire().V(kFrameTypeStreamsBlockedBidi).V(7));
  REQUIRE(f.ok());
  CHECK(std::get<StreamsBlockedFrame>(*f).bidirectional);
}

TEST_CASE("NEW_CONNECTION_ID length and Retire Prior To", "[frames][malformed]") {
  const uint64_t t = kFrameTypeNewConnectionId;
  ExpectFrameEncodingError(Wire().V(t).V(1).V(0).B(0).Fill(16), t);
  ExpectFrameEncodingError(Wire().V(t).V(1).V(0).B(21).Fill(21).Fill(16), t);
  ExpectFrameEncodingError(Wire().V(t).V(1).V(0).B(255).Fill(255).Fill(16), t);
  absl::StatusOr<Frame> f = DecodeAll(Wire().V(t).V(1).V(0).B(20).Fill(20, 0x11).Fill(16, 0x22));
  REQUIRE(f.ok());
  const auto& ncid = std::get<NewConnectionIdFrame>(*f);
  CHECK(ncid.connection_id.length() == 20);
  CHECK(ncid.stateless_reset_token[15] == 0x22);
  // §19.15: Retire Prior To > Sequence Number.
  ExpectFrameEncodingError(Wire().V(t).V(4).V(5).B(8).Fill(8).Fill(16), t);
  REQUIRE(DecodeAll(Wire().V(t).V(5).V(5).B(8).Fill(8).Fill(16)).ok());
}

TEST_CASE("CONNECTION_CLOSE variants", "[frames]") {
  absl::StatusOr<Frame> f = DecodeAll(Wire().V(0x1c).V(0x0a).V(0x08).V(2).B('h').B('i'));
  REQUIRE(f.ok());
  const auto& transport = std::get<ConnectionCloseFrame>(*f);
  CHECK_FALSE(transport.is_application);
  CHECK(transport.error_code == 0x0a);
  CHECK(transport.frame_type == 0x08);
  CHECK(transport.reason_phrase.size() == 2);
  f = DecodeAll(Wire().V(0x1d).V(0x1234).V(0));
  REQUIRE(f.ok());
  const auto& app = std::get<ConnectionCloseFrame>(*f);
  CHECK(app.is_application);
  CHECK(app.error_code == 0x1234);
  CHECK(app.reason_phrase.empty());
}

std::vector<uint64_t> Types(absl::Span<const uint8_t> payload, PacketType pt, absl::Status* s) {
  std::vector<uint64_t> types;
  *s = DecodeFrames(payload, pt, [&](const Frame& f) {
    if (std::holds_alternative<PaddingFrame>(f)) types.push_back(kFrameTypePadding);
    else if (std::holds_alternative<PingFrame>(f)) types.push_back(kFrameTypePing);
    else if (std::holds_alternative<CryptoFrame>(f)) types.push_back(kFrameTypeCrypto);
    else if (std::holds_alternative<StreamFrame>(f)) types.push_back(kFrameTypeStream);
    else types.push_back(0xff);
    return absl::OkStatus();
  });
  return types;
}

TEST_CASE("DecodeFrames walks a payload in order", "[frames][packet]") {
  const Wire wire = Wire().V(kFrameTypePing).V(kFrameTypeCrypto).V(0).V(2).Fill(2).Fill(5, 0);
  absl::Status s;
  const std::vector<uint64_t> types =
      Types(absl::MakeConstSpan(wire.bytes()), PacketType::kHandshake, &s);
  REQUIRE(s.ok());
  CHECK(types == std::vector<uint64_t>{kFrameTypePing, kFrameTypeCrypto, kFrameTypePadding});
}

TEST_CASE("DecodeFrames hands each frame over whole, with nothing left from the previous one",
          "[frames][packet][ack]") {
  // Two ACKs and two STREAM frames in one payload: the second of each kind has fewer ranges,
  // no ECN counts, no offset, which must not carry over from the first.
  const Wire wire = Wire()
                        .V(kFrameTypeAckEcn).V(100).V(7).V(2).V(3)  // 97..100
                        .V(1).V(4)                                  // 90..94
                        .V(0).V(2)                                  // 86..88
                        .V(1).V(2).V(3)                             // ECN counts
                        .V(kFrameTypeStream | kStreamFrameBitOff | kStreamFrameBitLen | 1)
                        .V(4).V(1000).V(3).Fill(3, 0x11)
                        .V(kFrameTypeAck).V(50).V(0).V(0).V(0)  // 50 only
                        .V(kFrameTypeStream | kStreamFrameBitLen).V(8).V(2).Fill(2, 0x22);
  std::vector<Frame> frames;
  absl::Status s = DecodeFrames(absl::MakeConstSpan(wire.bytes()), PacketType::kOneRtt,
                                [&](const Frame& f) {
                                  frames.push_back(f);
                                  return absl::OkStatus();
                                });
  REQUIRE(s.ok());
  REQUIRE(frames.size() == 4);
  const auto& ack1 = std::get<AckFrame>(frames[0]);
  CHECK(ack1.ranges == AckRangeList{{97, 100}, {90, 94}, {86, 88}});
  CHECK(ack1.ack_delay == 7);
  CHECK(ack1.ecn == EcnCounts{1, 2, 3});
  const auto& stream1 = std::get<StreamFrame>(frames[1]);
  CHECK(stream1.stream_id == 4);
  CHECK(stream1.offset == 1000);
  CHECK(stream1.fin);
  CHECK(stream1.data.size() == 3);
  const auto& ack2 = std::get<AckFrame>(frames[2]);
  CHECK(ack2.ranges == AckRangeList{{50, 50}});
  CHECK(ack2.ack_delay == 0);
  CHECK_FALSE(ack2.ecn.has_value());
  const auto& stream2 = std::get<StreamFrame>(frames[3]);
  CHECK(stream2.stream_id == 8);
  CHECK(stream2.offset == 0);
  CHECK_FALSE(stream2.fin);
  CHECK(stream2.data.size() == 2);
  CHECK(stream2.data[0] == 0x22);
}

TEST_CASE("DecodeFrames rejects an empty payload", "[frames][packet]") {
  absl::Status s = DecodeFrames({}, PacketType::kOneRtt,
                                [](const Frame&) { return absl::OkStatus(); });
  CHECK(GetTransportErrorCode(s) == TransportErrorCode::kProtocolViolation);
}

TEST_CASE("DecodeFrames enforces the packet type before parsing the body", "[frames][packet]") {
  // A STREAM frame in an Initial packet, even a malformed one, is a PROTOCOL_VIOLATION.
  const Wire wire = Wire().V(kFrameTypePing).V(0x0a).V(0).V(100);
  absl::Status s;
  std::vector<uint64_t> types = Types(absl::MakeConstSpan(wire.bytes()), PacketType::kInitial, &s);
  CHECK(GetTransportErrorCode(s) == TransportErrorCode::kProtocolViolation);
  CHECK(GetTransportErrorFrameType(s) == 0x0a);
  CHECK(types == std::vector<uint64_t>{kFrameTypePing});
  // In 1-RTT the same bytes are a truncated STREAM frame.
  types = Types(absl::MakeConstSpan(wire.bytes()), PacketType::kOneRtt, &s);
  CHECK(GetTransportErrorCode(s) == TransportErrorCode::kFrameEncodingError);
  CHECK(GetTransportErrorFrameType(s) == 0x0a);
  // An unknown type stays a FRAME_ENCODING_ERROR in every packet type.
  const Wire unknown = Wire().V(0x21);
  for (PacketType pt : {PacketType::kInitial, PacketType::kHandshake, PacketType::kZeroRtt,
                        PacketType::kOneRtt}) {
    Types(absl::MakeConstSpan(unknown.bytes()), pt, &s);
    CHECK(GetTransportErrorCode(s) == TransportErrorCode::kFrameEncodingError);
  }
  // Non-minimal type encoding.
  const Wire long_ping = Wire().VWithLength(kFrameTypePing, 2);
  Types(absl::MakeConstSpan(long_ping.bytes()), PacketType::kOneRtt, &s);
  CHECK(GetTransportErrorCode(s) == TransportErrorCode::kProtocolViolation);
}

TEST_CASE("DecodeFrames stops at the first callback error", "[frames][packet]") {
  const Wire wire = Wire().V(kFrameTypePing).V(kFrameTypePing).V(kFrameTypePing);
  int calls = 0;
  absl::Status s = DecodeFrames(absl::MakeConstSpan(wire.bytes()), PacketType::kOneRtt,
                                [&](const Frame&) {
                                  ++calls;
                                  return calls == 2 ? TransportErrorStatus(
                                                          TransportErrorCode::kStreamStateError,
                                                          "test", kFrameTypePing)
                                                    : absl::OkStatus();
                                });
  CHECK(calls == 2);
  CHECK(GetTransportErrorCode(s) == TransportErrorCode::kStreamStateError);
}

// Deterministic random and mutated payloads: decoding returns frames or a FRAME_ENCODING_ERROR /
// PROTOCOL_VIOLATION, never anything else (and, under ASan, never reads out of bounds).
TEST_CASE("random and bit-flipped payloads never crash", "[frames][malformed]") {
  uint64_t x = 0x243f6a8885a308d3ull;
  auto next = [&x]() {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  const Wire seed = Wire()
                        .V(kFrameTypeAckEcn).V(1000).V(3).V(2).V(5).V(1).V(2).V(3).V(4).V(1).V(2).V(3)
                        .V(0x0f).V(4).V(100).V(3).Fill(3)
                        .V(kFrameTypeNewConnectionId).V(3).V(1).B(4).Fill(4).Fill(16)
                        .V(0x1c).V(7).V(6).V(2).Fill(2)
                        .V(kFrameTypeCrypto).V(10).V(4).Fill(4)
                        .V(kFrameTypeMaxStreamsUni).V(9);
  size_t frames_seen = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> payload;
    if (iter % 2 == 0) {
      payload.resize(next() % 64);
      for (uint8_t& b : payload) {
        // Bias towards small values so that known frame types and short varints are common.
        const uint64_t r = next();
        b = static_cast<uint8_t>((r & 3) == 0 ? r >> 8 : (r >> 8) % 0x20);
      }
    } else {
      payload = seed.bytes();
      for (int flips = 1 + next() % 3; flips > 0; --flips) {
        payload[next() % payload.size()] ^= static_cast<uint8_t>(1u << (next() % 8));
      }
      payload.resize(payload.size() - next() % 4);
    }
    const PacketType pt = (iter % 3 == 0) ? PacketType::kInitial : PacketType::kOneRtt;
    absl::Status s = DecodeFrames(absl::MakeConstSpan(payload), pt, [&](const Frame&) {
      ++frames_seen;
      return absl::OkStatus();
    });
    if (!s.ok()) {
      const TransportErrorCode code = GetTransportErrorCode(s);
      CHECK((code == TransportErrorCode::kFrameEncodingError ||
             code == TransportErrorCode::kProtocolViolation));
    }
  }
  CHECK(frames_seen > 1000);  // the generator does reach valid frames
}

}  // namespace
}  // namespace kite::quic
