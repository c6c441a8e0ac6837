// RFC 9000 §12.4 Table 3 for every frame type and packet type, and the §13.2 / RFC 9002 §2 /
// §9.1 classifications.
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "quic/codec/data_reader.h"
#include "quic/codec/data_writer.h"
#include "quic/codec/frame_decoder.h"
#include "quic/codec/frame_rules.h"
#include "quic/codec/frame_type.h"
#include "quic/codec/frames.h"
#include "quic/codec/packet_type.h"
#include "quic/codec/transport_error.h"

namespace kite::quic {
namespace {

// Table 3's "Pkts" column, typed from the RFC: I = Initial, H = Handshake, 0 = 0-RTT, 1 = 1-RTT
// ("ih" for CONNECTION_CLOSE means only 0x1c may appear in Initial/Handshake). DATAGRAM from
// RFC 9221 §4: 0-RTT and 1-RTT.
const std::map<uint64_t, std::string>& PacketsColumn() {
  static const std::map<uint64_t, std::string> table = {
      {0x00, "IH01"}, {0x01, "IH01"}, {0x02, "IH_1"}, {0x03, "IH_1"}, {0x04, "__01"},
      {0x05, "__01"}, {0x06, "IH_1"}, {0x07, "___1"}, {0x08, "__01"}, {0x09, "__01"},
      {0x0a, "__01"}, {0x0b, "__01"}, {0x0c, "__01"}, {0x0d, "__01"}, {0x0e, "__01"},
      {0x0f, "__01"}, {0x10, "__01"}, {0x11, "__01"}, {0x12, "__01"}, {0x13, "__01"},
      {0x14, "__01"}, {0x15, "__01"}, {0x16, "__01"}, {0x17, "__01"}, {0x18, "__01"},
      {0x19, "__01"}, {0x1a, "__01"}, {0x1b, "___1"}, {0x1c, "IH01"}, {0x1d, "__01"},
      {0x1e, "___1"}, {0x30, "__01"}, {0x31, "__01"},
  };
  return table;
}

bool Expected(uint64_t type, PacketType pt) {
  const std::string& col = PacketsColumn().at(type);
  switch (pt) {
    case PacketType::kInitial: return col[0] == 'I';
    case PacketType::kHandshake: return col[1] == 'H';
    case PacketType::kZeroRtt: return col[2] == '0';
    case PacketType::kOneRtt: return col[3] == '1';
    default: return false;
  }
}

// A minimal valid encoding of each frame type.
std::vector<uint8_t> MinimalFrame(uint64_t type) {
  std::vector<uint8_t> buf(64);
  DataWriter w(absl::MakeSpan(buf));
  REQUIRE(w.WriteVarInt(type));
  if (IsStreamFrameType(type)) {
    REQUIRE(w.WriteVarInt(0));                                          // stream id
    if (type & kStreamFrameBitOff) REQUIRE(w.WriteVarInt(1));           // offset
    if (type & kStreamFrameBitLen) REQUIRE(w.WriteVarInt(0));           // length
  } else {
    switch (type) {
      case 0x00: case 0x01: case 0x1e: case 0x30: break;
      case 0x02: REQUIRE((w.WriteVarInt(0) && w.WriteVarInt(0) && w.WriteVarInt(0) &&
                          w.WriteVarInt(0))); break;
      case 0x03: REQUIRE((w.WriteVarInt(0) && w.WriteVarInt(0) && w.WriteVarInt(0) &&
                          w.WriteVarInt(0) && w.WriteVarInt(0) && w.WriteVarInt(0) &&
                          w.WriteVarInt(0))); break;
      case 0x04: REQUIRE((w.WriteVarInt(0) && w.WriteVarInt(0) && w.WriteVarInt(0))); break;
      case 0x05: case 0x11: case 0x15:
        REQUIRE((w.WriteVarInt(0) && w.WriteVarInt(0))); break;
      case 0x06: REQUIRE((w.WriteVarInt(0) && w.WriteVarInt(0))); break;
      case 0x07: REQUIRE((w.WriteVarInt(1) && w.WriteUInt8(9))); break;
      case 0x10: case 0x12: case 0x13: case 0x14: case 0x16: case 0x17: case 0x19:
        REQUIRE(w.WriteVarInt(0)); break;
      case 0x18: REQUIRE((w.WriteVarInt(0) && w.WriteVarInt(0) && w.WriteUInt8(1) &&
                          w.WriteUInt8(7) && w.WriteRepeated(1, 16))); break;
      case 0x1a: case 0x1b: REQUIRE(w.WriteRepeated(3, 8)); break;
      case 0x1c: REQUIRE((w.WriteVarInt(0) && w.WriteVarInt(0) && w.WriteVarInt(0))); break;
      case 0x1d: REQUIRE((w.WriteVarInt(0) && w.WriteVarInt(0))); break;
      case 0x31: REQUIRE(w.WriteVarInt(0)); break;
      default: FAIL("no sample for type " << type);
    }
  }
  buf.resize(w.length());
  return buf;
}

const PacketType kAllPacketTypes[] = {PacketType::kInitial,   PacketType::kZeroRtt,
                                      PacketType::kHandshake, PacketType::kRetry,
                                      PacketType::kOneRtt,    PacketType::kVersionNegotiation};

TEST_CASE("FrameAllowedInPacket matches RFC 9000 Table 3", "[frames][rules]") {
  for (const auto& [type, column] : PacketsColumn()) {
    for (PacketType pt : kAllPacketTypes) {
      INFO("type 0x" << std::hex << type << " packet type " << static_cast<int>(pt));
      CHECK(FrameAllowedInPacket(type, pt) == Expected(type, pt));
    }
  }
  // Unknown types are never allowed.
  for (uint64_t type : {uint64_t{0x1f}, uint64_t{0x20}, uint64_t{0x2f}, uint64_t{0x32},
                        uint64_t{0x4000}}) {
    for (PacketType pt : kAllPacketTypes) CHECK_FALSE(FrameAllowedInPacket(type, pt));
  }
}

TEST_CASE("DecodeFrames applies Table 3 to every frame type", "[frames][rules]") {
  for (const auto& [type, column] : PacketsColumn()) {
    const std::vector<uint8_t> frame = MinimalFrame(type);
    for (PacketType pt : kAllPacketTypes) {
      INFO("type 0x" << std::hex << type << " packet type " << static_cast<int>(pt));
      int frames = 0;
      absl::Status s = DecodeFrames(absl::MakeConstSpan(frame), pt, [&](const Frame&) {
        ++frames;
        return absl::OkStatus();
      });
      if (Expected(type, pt)) {
        CHECK(s.ok());
        CHECK(frames == 1);
      } else {
        CHECK(GetTransportErrorCode(s) == TransportErrorCode::kProtocolViolation);
        CHECK(GetTransportErrorFrameType(s) == type);
        CHECK(frames == 0);
      }
    }
  }
}

TEST_CASE("ack-eliciting, in-flight and probing classifications", "[frames][rules]") {
  struct Row {
    uint64_t type;
    bool ack_eliciting;
    bool in_flight;
    bool probing;
  };
  // §13.2.1 / Table 3 "N"; RFC 9002 §2 (ack-eliciting or PADDING); §9.1 / Table 3 "P".
  const std::vector<Row> rows = {
      {0x00, false, true, true},   {0x01, true, true, false},   {0x02, false, false, false},
      {0x03, false, false, false}, {0x04, true, true, false},   {0x05, true, true, false},
      {0x06, true, true, false},   {0x07, true, true, false},   {0x08, true, true, false},
      {0x0f, true, true, false},   {0x10, true, true, false},   {0x11, true, true, false},
      {0x12, true, true, false},   {0x13, true, true, false},   {0x14, true, true, false},
      {0x15, true, true, false},   {0x16, true, true, false},   {0x17, true, true, false},
      {0x18, true, true, true},    {0x19, true, true, false},   {0x1a, true, true, true},
      {0x1b, true, true, true},    {0x1c, false, false, false}, {0x1d, false, false, false},
      {0x1e, true, true, false},   {0x30, true, true, false},   {0x31, true, true, false},
  };
  for (const Row& row : rows) {
    INFO("type 0x" << std::hex << row.type);
    CHECK(IsAckElicitingFrameType(row.type) == row.ack_eliciting);
    CHECK(CountsInFlightFrameType(row.type) == row.in_flight);
    CHECK(IsProbingFrameType(row.type) == row.probing);
    // The Frame overloads agree with the type-based ones on a decoded frame.
    const std::vector<uint8_t> wire = MinimalFrame(row.type);
    DataReader r(wire.data(), wire.size());
    absl::StatusOr<Frame> f = DecodeFrame(r);
    REQUIRE(f.ok());
    CHECK(IsAckEliciting(*f) == row.ack_eliciting);
    CHECK(CountsInFlight(*f) == row.in_flight);
    CHECK(IsProbingFrame(*f) == row.probing);
  }
}

}  // namespace
}  // namespace kite::quic
