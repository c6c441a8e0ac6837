#include "quic/codec/frame_rules.h"

#include <variant>

#include "quic/codec/frame_type.h"

namespace kite::quic {

bool FrameAllowedInPacket(uint64_t frame_type, PacketType packet_type) {
  if (!IsKnownFrameType(frame_type)) return false;
  switch (packet_type) {
    case PacketType::kOneRtt:
      // "Note that all frames can appear in 1-RTT packets."
      return true;
    case PacketType::kInitial:
    case PacketType::kHandshake:
      // "IH" in Table 3; of CONNECTION_CLOSE only the transport variant 0x1c ("ih").
      return frame_type == kFrameTypePadding || frame_type == kFrameTypePing ||
             frame_type == kFrameTypeAck || frame_type == kFrameTypeAckEcn ||
             frame_type == kFrameTypeCrypto ||
             frame_type == kFrameTypeConnectionCloseTransport;
    case PacketType::kZeroRtt:
      // Table 3's "0" column excludes ACK, CRYPTO, NEW_TOKEN, PATH_RESPONSE and HANDSHAKE_DONE
      // (see also §17.2.3). RFC 9221 §4 allows DATAGRAM in 0-RTT.
      return frame_type != kFrameTypeAck && frame_type != kFrameTypeAckEcn &&
             frame_type != kFrameTypeCrypto && frame_type != kFrameTypeNewToken &&
             frame_type != kFrameTypePathResponse && frame_type != kFrameTypeHandshakeDone;
    case PacketType::kRetry:
    case PacketType::kVersionNegotiation:
      return false;
  }
  return false;
}

bool IsAckElicitingFrameType(uint64_t frame_type) {
  return frame_type != kFrameTypePadding && frame_type != kFrameTypeAck &&
         frame_type != kFrameTypeAckEcn && frame_type != kFrameTypeConnectionCloseTransport &&
         frame_type != kFrameTypeConnectionCloseApplication;
}

bool IsAckEliciting(const Frame& frame) {
  return !std::holds_alternative<PaddingFrame>(frame) &&
         !std::holds_alternative<AckFrame>(frame) &&
         !std::holds_alternative<ConnectionCloseFrame>(frame);
}

bool CountsInFlightFrameType(uint64_t frame_type) {
  return frame_type != kFrameTypeAck && frame_type != kFrameTypeAckEcn &&
         frame_type != kFrameTypeConnectionCloseTransport &&
         frame_type != kFrameTypeConnectionCloseApplication;
}

bool CountsInFlight(const Frame& frame) {
  return !std::holds_alternative<AckFrame>(frame) &&
         !std::holds_alternative<ConnectionCloseFrame>(frame);
}

bool IsProbingFrameType(uint64_t frame_type) {
  return frame_type == kFrameTypePathChallenge || frame_type == kFrameTypePathResponse ||
         frame_type == kFrameTypeNewConnectionId || frame_type == kFrameTypePadding;
}

bool IsProbingFrame(const Frame& frame) {
  return std::holds_alternative<PathChallengeFrame>(frame) ||
         std::holds_alternative<PathResponseFrame>(frame) ||
         std::holds_alternative<NewConnectionIdFrame>(frame) ||
         std::holds_alternative<PaddingFrame>(frame);
}

}  // namespace kite::quic
