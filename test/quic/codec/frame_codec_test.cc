// Round trips, exact sizes and wire bytes of every frame type, RFC 9001 Appendix A payloads, and
// truncation of every encoding at every byte.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "quic/codec/data_reader.h"
#include "quic/codec/data_writer.h"
#include "quic/codec/frame_decoder.h"
#include "quic/codec/frame_encoder.h"
#include "quic/codec/frame_type.h"
#include "quic/codec/frames.h"
#include "quic/codec/transport_error.h"

namespace kite::quic {
namespace {

std::vector<uint8_t> FromHex(const std::string& hex) {
  std::vector<uint8_t> out;
  int hi = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else continue;  // spaces and line breaks in the RFC's dumps
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  return out;
}

std::vector<uint8_t> Bytes(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

std::vector<uint8_t> Encode(const Frame& frame) {
  std::vector<uint8_t> buf(EncodedSize(frame));
  DataWriter w(absl::MakeSpan(buf));
  REQUIRE(EncodeFrame(frame, w));
  REQUIRE(w.length() == buf.size());
  return buf;
}

// Payload bytes the sample frames point into; static so the views stay valid.
const std::vector<uint8_t>& Data(size_t n) {
  static std::vector<std::vector<uint8_t>> pool;
  static bool init = false;
  if (!init) {
    for (size_t len : {0, 1, 2, 5, 63, 64, 300, 16384}) {
      std::vector<uint8_t> v(len);
      for (size_t i = 0; i < len; ++i) v[i] = static_cast<uint8_t>(i * 7 + 3);
      pool.push_back(std::move(v));
    }
    init = true;
  }
  for (const auto& v : pool) {
    if (v.size() == n) return v;
  }
  FAIL("no sample data of that size");
  return pool[0];
}

absl::Span<const uint8_t> D(size_t n) { return absl::MakeConstSpan(Data(n)); }

AckFrame MakeAck(std::initializer_list<AckRange> ranges, uint64_t delay,
                 std::optional<EcnCounts> ecn) {
  AckFrame f;
  f.ranges = AckRangeList(ranges);
  f.ack_delay = delay;
  f.ecn = ecn;
  return f;
}

NewConnectionIdFrame MakeNewCid(uint64_t seq, uint64_t rpt, size_t len) {
  NewConnectionIdFrame f;
  f.sequence_number = seq;
  f.retire_prior_to = rpt;
  std::vector<uint8_t> id(len);
  for (size_t i = 0; i < len; ++i) id[i] = static_cast<uint8_t>(0xa0 + i);
  f.connection_id = ConnectionId(id.data(), id.size());
  for (size_t i = 0; i < f.stateless_reset_token.size(); ++i) {
    f.stateless_reset_token[i] = static_cast<uint8_t>(i);
  }
  return f;
}

// Every frame type and variant, with small and large field values.
std::vector<Frame> SampleFrames() {
  std::vector<Frame> frames;
  frames.push_back(PaddingFrame{1});
  frames.push_back(PaddingFrame{37});
  frames.push_back(PingFrame{});
  frames.push_back(MakeAck({{0, 0}}, 0, std::nullopt));
  frames.push_back(MakeAck({{100, 200}, {50, 97}, {3, 3}, {0, 1}}, 1000, std::nullopt));
  frames.push_back(MakeAck({{kMaxVarInt - 5, kMaxVarInt}}, kMaxVarInt, std::nullopt));
  frames.push_back(MakeAck({{10, 12}, {5, 7}}, 3, EcnCounts{1, 2, 3}));
  frames.push_back(MakeAck({{1 << 20, 1 << 30}}, 0, EcnCounts{0, 0, kMaxVarInt}));
  frames.push_back(ResetStreamFrame{4, 0x10c, 1234567});
  frames.push_back(ResetStreamFrame{kMaxVarInt, kMaxVarInt, kMaxVarInt});
  frames.push_back(StopSendingFrame{3, 0});
  frames.push_back(StopSendingFrame{1 << 14, (1ull << 30) + 1});
  frames.push_back(CryptoFrame{0, D(5)});
  frames.push_back(CryptoFrame{0, D(0)});
  frames.push_back(CryptoFrame{70000, D(300)});
  frames.push_back(NewTokenFrame{D(1)});
  frames.push_back(NewTokenFrame{D(64)});
  // STREAM: all combinations of OFF, LEN, FIN (types 0x08..0x0f).
  for (uint64_t offset : {uint64_t{0}, uint64_t{1} << 40}) {
    for (bool has_length : {false, true}) {
      for (bool fin : {false, true}) {
        frames.push_back(StreamFrame{8, offset, D(63), fin, has_length});
      }
    }
  }
  frames.push_back(StreamFrame{0, 0, D(0), true, true});
  frames.push_back(StreamFrame{kMaxVarInt, 0, D(16384), false, true});
  frames.push_back(StreamFrame{2, kMaxVarInt - 2, D(2), true, true});
  frames.push_back(MaxDataFrame{0});
  frames.push_back(MaxDataFrame{kMaxVarInt});
  frames.push_back(MaxStreamDataFrame{7, 65536});
  frames.push_back(MaxStreamsFrame{true, 100});
  frames.push_back(MaxStreamsFrame{false, kMaxStreamCount});
  frames.push_back(DataBlockedFrame{1 << 20});
  frames.push_back(StreamDataBlockedFrame{11, 0});
  frames.push_back(StreamsBlockedFrame{true, kMaxStreamCount});
  frames.push_back(StreamsBlockedFrame{false, 0});
  frames.push_back(MakeNewCid(1, 0, 8));
  frames.push_back(MakeNewCid(1 << 20, 1 << 20, 1));
  frames.push_back(MakeNewCid(kMaxVarInt, 3, 20));
  frames.push_back(RetireConnectionIdFrame{0});
  frames.push_back(RetireConnectionIdFrame{99999});
  frames.push_back(PathChallengeFrame{{1, 2, 3, 4, 5, 6, 7, 8}});
  frames.push_back(PathResponseFrame{{8, 7, 6, 5, 4, 3, 2, 1}});
  frames.push_back(ConnectionCloseFrame{false, 0x0a, 0x08, D(5)});
  frames.push_back(ConnectionCloseFrame{false, 0x100 + 40, 0x06, D(0)});
  frames.push_back(ConnectionCloseFrame{true, 0x101, 0, D(64)});
  frames.push_back(HandshakeDoneFrame{});
  frames.push_back(DatagramFrame{D(300), true});
  frames.push_back(DatagramFrame{D(0), true});
  frames.push_back(DatagramFrame{D(5), false});
  frames.push_back(DatagramFrame{D(0), false});
  return frames;
}

// Frames whose data runs to the end of the packet (or, for PADDING, whose run does): a shorter
// input can still be a valid, shorter frame.
bool RunsToEnd(const Frame& f) {
  if (std::holds_alternative<PaddingFrame>(f)) return true;
  if (const auto* s = std::get_if<StreamFrame>(&f)) return !s->has_length;
  if (const auto* d = std::get_if<DatagramFrame>(&f)) return !d->has_length;
  return false;
}

TEST_CASE("every frame round-trips with an exact EncodedSize", "[frames]") {
  const std::vector<Frame> frames = SampleFrames();
  std::vector<bool> seen_alternative(std::variant_size_v<Frame>, false);
  for (const Frame& frame : frames) {
    INFO("frame " << FrameTypeName(FrameTypeOf(frame)) << " type 0x" << std::hex
                  << FrameTypeOf(frame));
    seen_alternative[frame.index()] = true;
    const size_t size = EncodedSize(frame);
    REQUIRE(size > 0);
    std::vector<uint8_t> wire = Encode(frame);
    CHECK(wire.size() == size);
    if (!std::holds_alternative<PaddingFrame>(frame)) {
      CHECK(wire[0] == FrameTypeOf(frame));
    }

    DataReader r(wire.data(), wire.size());
    absl::StatusOr<Frame> decoded = DecodeFrame(r);
    REQUIRE(decoded.ok());
    CHECK(r.empty());
    CHECK(*decoded == frame);
    CHECK(FrameTypeOf(*decoded) == FrameTypeOf(frame));

    // One byte short: nothing written.
    std::vector<uint8_t> small(size - 1, 0xee);
    DataWriter w(absl::MakeSpan(small));
    CHECK_FALSE(EncodeFrame(frame, w));
    CHECK(w.length() == 0);
  }
  for (size_t i = 0; i < seen_alternative.size(); ++i) {
    INFO("variant alternative " << i);
    CHECK(seen_alternative[i]);
  }
}

TEST_CASE("all eight STREAM type values are produced and decoded", "[frames]") {
  std::vector<bool> seen(8, false);
  for (const Frame& frame : SampleFrames()) {
    if (!std::holds_alternative<StreamFrame>(frame)) continue;
    const uint64_t type = FrameTypeOf(frame);
    REQUIRE(IsStreamFrameType(type));
    seen[type - kFrameTypeStream] = true;
  }
  for (size_t i = 0; i < 8; ++i) CHECK(seen[i]);
}

TEST_CASE("several frames back to back decode in order", "[frames]") {
  const std::vector<Frame> frames = SampleFrames();
  std::vector<uint8_t> packet;
  std::vector<Frame> expected;
  for (const Frame& f : frames) {
    // Frames that run to the end of the packet can only be last; adjacent PADDING would merge.
    if (RunsToEnd(f)) continue;
    std::vector<uint8_t> wire = Encode(f);
    packet.insert(packet.end(), wire.begin(), wire.end());
    expected.push_back(f);
  }
  DataReader r(packet.data(), packet.size());
  for (const Frame& f : expected) {
    absl::StatusOr<Frame> decoded = DecodeFrame(r);
    REQUIRE(decoded.ok());
    CHECK(*decoded == f);
  }
  CHECK(r.empty());
}

TEST_CASE("hand-computed wire bytes", "[frames]") {
  const std::vector<uint8_t> hi = Bytes("hi");
  const std::vector<uint8_t> x = Bytes("x");
  const std::vector<uint8_t> bad = Bytes("bad");
  const std::vector<uint8_t> ab = Bytes("ab");
  struct Case {
    Frame frame;
    std::string hex;
  };
  const std::vector<Case> cases = {
      {PingFrame{}, "01"},
      {PaddingFrame{3}, "000000"},
      {HandshakeDoneFrame{}, "1e"},
      // §19.8: type 0x0b = LEN|FIN, stream 4, length 2.
      {StreamFrame{4, 0, absl::MakeConstSpan(hi), true, true}, "0b04026869"},
      // type 0x0c = OFF, offset 64 needs two bytes (0x4040).
      {StreamFrame{4, 64, absl::MakeConstSpan(x), false, false}, "0c044040" "78"},
      // ACK: largest 12, delay 3, 1 extra range, first range 2, gap 10-7-2 = 1, length 2.
      {MakeAck({{10, 12}, {5, 7}}, 3, std::nullopt), "020c0301020102"},
      {MakeAck({{10, 12}, {5, 7}}, 3, EcnCounts{1, 2, 3}), "030c0301020102010203"},
      {ConnectionCloseFrame{false, 0x0a, 0x08, absl::MakeConstSpan(bad)}, "1c0a0803626164"},
      {ConnectionCloseFrame{true, 0x0a, 0, absl::MakeConstSpan(bad)}, "1d0a03626164"},
      {MaxStreamsFrame{false, kMaxStreamCount}, "13d000000000000000"},
      {StreamsBlockedFrame{true, 3}, "1603"},
      {MaxStreamDataFrame{1, 16384}, "110180004000"},
      {DatagramFrame{absl::MakeConstSpan(ab), false}, "306162"},
      {DatagramFrame{absl::MakeConstSpan(ab), true}, "31026162"},
      {MakeNewCid(1, 0, 2), "18010002a0a1000102030405060708090a0b0c0d0e0f"},
      {RetireConnectionIdFrame{63}, "193f"},
      {ResetStreamFrame{1, 2, 64}, "0401024040"},
  };
  for (const Case& c : cases) {
    INFO(c.hex);
    CHECK(Encode(c.frame) == FromHex(c.hex));
    CHECK(EncodedSize(c.frame) == FromHex(c.hex).size());
  }
}

// RFC 9001 Appendix A.2: the client's Initial payload is one CRYPTO frame (offset 0, length 241)
// padded to 1162 bytes.
TEST_CASE("RFC 9001 A.2 client Initial payload", "[frames][rfc9001]") {
  std::vector<uint8_t> payload = FromHex(
      "060040f1010000ed0303ebf8fa56f129 39b9584a3896472ec40bb863cfd3e868"
      "04fe3a47f06a2b69484c000004130113 02010000c000000010000e00000b6578"
      "616d706c652e636f6dff01000100000a 00080006001d00170018001000070005"
      "04616c706e0005000501000000000033 00260024001d00209370b2c9caa47fba"
      "baf4559fedba753de171fa71f50f1ce1 5d43e994ec74d748002b000302030400"
      "0d0010000e0403050306030203080408 050806002d00020101001c0002400100"
      "3900320408ffffffffffffffff050480 00ffff07048000ffff08011001048000"
      "75300901100f088394c8f03e51570806 048000ffff");
  REQUIRE(payload.size() == 4 + 241);
  payload.resize(1162, 0x00);

  std::vector<Frame> frames;
  absl::Status s = DecodeFrames(absl::MakeConstSpan(payload), PacketType::kInitial,
                                [&](const Frame& f) {
                                  frames.push_back(f);
                                  return absl::OkStatus();
                                });
  REQUIRE(s.ok());
  REQUIRE(frames.size() == 2);
  const auto* crypto = std::get_if<CryptoFrame>(&frames[0]);
  REQUIRE(crypto != nullptr);
  CHECK(crypto->offset == 0);
  CHECK(crypto->data.size() == 241);
  CHECK(crypto->data.data() == payload.data() + 4);  // a view, not a copy
  CHECK(crypto->data[0] == 0x01);                     // ClientHello
  const auto* padding = std::get_if<PaddingFrame>(&frames[1]);
  REQUIRE(padding != nullptr);
  CHECK(padding->length == 1162 - 245);

  // Re-encoding the CRYPTO header gives the RFC's bytes (a 2-byte length for 241).
  std::vector<uint8_t> header(8);
  DataWriter w(absl::MakeSpan(header));
  REQUIRE(CryptoFrameHeaderSize(0, 241) == 4);
  REQUIRE(WriteCryptoFrameHeader(w, 0, 241) == false);  // no room for the 241 data bytes
  std::vector<uint8_t> full(245);
  DataWriter w2(absl::MakeSpan(full));
  REQUIRE(WriteCryptoFrameHeader(w2, 0, 241));
  CHECK(std::vector<uint8_t>(full.begin(), full.begin() + 4) == FromHex("060040f1"));
  CHECK(Encode(frames[0]) == std::vector<uint8_t>(payload.begin(), payload.begin() + 245));
}

// RFC 9001 Appendix A.3: the server's Initial payload is an ACK of packet 0 and a CRYPTO frame.
TEST_CASE("RFC 9001 A.3 server Initial payload", "[frames][rfc9001]") {
  const std::vector<uint8_t> payload = FromHex(
      "02000000000600405a020000560303ee fce7f7b37ba1d1632e96677825ddf739"
      "88cfc79825df566dc5430b9a045a1200 130100002e00330024001d00209d3c94"
      "0d89690b84d08a60993c144eca684d10 81287c834d5311bcf32bb9da1a002b00"
      "020304");
  std::vector<Frame> frames;
  REQUIRE(DecodeFrames(absl::MakeConstSpan(payload), PacketType::kInitial, [&](const Frame& f) {
            frames.push_back(f);
            return absl::OkStatus();
          }).ok());
  REQUIRE(frames.size() == 2);
  const auto* ack = std::get_if<AckFrame>(&frames[0]);
  REQUIRE(ack != nullptr);
  CHECK(ack->largest_acknowledged() == 0);
  CHECK(ack->ack_delay == 0);
  CHECK(ack->ranges == AckRangeList({{0, 0}}));
  CHECK_FALSE(ack->ecn.has_value());
  const auto* crypto = std::get_if<CryptoFrame>(&frames[1]);
  REQUIRE(crypto != nullptr);
  CHECK(crypto->offset == 0);
  CHECK(crypto->data.size() == 90);
  CHECK(crypto->data[0] == 0x02);  // ServerHello

  std::vector<uint8_t> reencoded = Encode(frames[0]);
  const std::vector<uint8_t> crypto_wire = Encode(frames[1]);
  reencoded.insert(reencoded.end(), crypto_wire.begin(), crypto_wire.end());
  CHECK(reencoded == payload);
}

TEST_CASE("every encoding truncated at every byte fails cleanly", "[frames][malformed]") {
  for (const Frame& frame : SampleFrames()) {
    const std::vector<uint8_t> wire = Encode(frame);
    const uint64_t type = wire[0];
    INFO("frame type 0x" << std::hex << type);
    for (size_t len = 0; len < wire.size(); ++len) {
      INFO("prefix length " << std::dec << len);
      // An exactly sized heap copy, so ASan flags any read past the prefix.
      std::vector<uint8_t> prefix(wire.begin(), wire.begin() + len);
      DataReader r(prefix.data(), prefix.size());
      absl::StatusOr<Frame> decoded = DecodeFrame(r);
      if (decoded.ok()) {
        // Only a frame that runs to the packet's end can be cut and stay valid.
        CHECK(RunsToEnd(frame));
        CHECK(r.empty());
        CHECK(FrameTypeOf(*decoded) == FrameTypeOf(frame));
        continue;
      }
      CHECK(GetTransportErrorCode(decoded.status()) == TransportErrorCode::kFrameEncodingError);
      if (len > 0) CHECK(GetTransportErrorFrameType(decoded.status()) == type);
    }
  }
}

TEST_CASE("frames that run to the end of the packet take all of it", "[frames]") {
  // STREAM 0x08 (no OFF, no LEN): stream 5, then "abcde" up to the end.
  const std::vector<uint8_t> no_len = FromHex("0805 6162636465");
  DataReader r(no_len.data(), no_len.size());
  absl::StatusOr<Frame> f = DecodeFrame(r);
  REQUIRE(f.ok());
  const auto& s = std::get<StreamFrame>(*f);
  CHECK(s.stream_id == 5);
  CHECK(s.data.size() == 5);
  CHECK_FALSE(s.has_length);
  CHECK(r.empty());

  // The same bytes as 0x0a (LEN): 0x61 0x62 is a 2-byte Length of 0x2162, beyond the input.
  std::vector<uint8_t> with_len = no_len;
  with_len[0] = 0x0a;
  DataReader r2(with_len.data(), with_len.size());
  absl::StatusOr<Frame> g = DecodeFrame(r2);
  CHECK(GetTransportErrorCode(g.status()) == TransportErrorCode::kFrameEncodingError);
}

TEST_CASE("frame type names follow qlog", "[frames]") {
  CHECK(FrameTypeName(kFrameTypePadding) == "padding");
  CHECK(FrameTypeName(kFrameTypeAckEcn) == "ack");
  CHECK(FrameTypeName(0x0d) == "stream");
  CHECK(FrameTypeName(kFrameTypeStreamsBlockedUni) == "streams_blocked");
  CHECK(FrameTypeName(kFrameTypeConnectionCloseApplication) == "connection_close");
  CHECK(FrameTypeName(kFrameTypeDatagram) == "datagram");
  CHECK(FrameTypeName(0x1f) == "unknown");
  CHECK(FrameTypeName(0x2f) == "unknown");
  for (uint64_t t = 0; t <= 0x40; ++t) {
    CHECK((FrameTypeName(t) != "unknown") == IsKnownFrameType(t));
  }
}

}  // namespace
}  // namespace kite::quic
