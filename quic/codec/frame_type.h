// Frame type values (RFC 9000 §12.4 Table 3, §19; RFC 9221 §4) and their names for logs and qlog.
#ifndef KITE_QUIC_CODEC_FRAME_TYPE_H_
#define KITE_QUIC_CODEC_FRAME_TYPE_H_

#include <cstdint>
#include <string_view>

namespace kite::quic {

inline constexpr uint64_t kFrameTypePadding = 0x00;
inline constexpr uint64_t kFrameTypePing = 0x01;
inline constexpr uint64_t kFrameTypeAck = 0x02;
inline constexpr uint64_t kFrameTypeAckEcn = 0x03;
inline constexpr uint64_t kFrameTypeResetStream = 0x04;
inline constexpr uint64_t kFrameTypeStopSending = 0x05;
inline constexpr uint64_t kFrameTypeCrypto = 0x06;
inline constexpr uint64_t kFrameTypeNewToken = 0x07;
// STREAM is 0x08..0x0f; the low three bits are flags (RFC 9000 §19.8).
inline constexpr uint64_t kFrameTypeStream = 0x08;
inline constexpr uint64_t kFrameTypeStreamLast = 0x0f;
inline constexpr uint64_t kStreamFrameBitFin = 0x01;
inline constexpr uint64_t kStreamFrameBitLen = 0x02;
inline constexpr uint64_t kStreamFrameBitOff = 0x04;
inline constexpr uint64_t kFrameTypeMaxData = 0x10;
inline constexpr uint64_t kFrameTypeMaxStreamData = 0x11;
inline constexpr uint64_t kFrameTypeMaxStreamsBidi = 0x12;
inline constexpr uint64_t kFrameTypeMaxStreamsUni = 0x13;
inline constexpr uint64_t kFrameTypeDataBlocked = 0x14;
inline constexpr uint64_t kFrameTypeStreamDataBlocked = 0x15;
inline constexpr uint64_t kFrameTypeStreamsBlockedBidi = 0x16;
inline constexpr uint64_t kFrameTypeStreamsBlockedUni = 0x17;
inline constexpr uint64_t kFrameTypeNewConnectionId = 0x18;
inline constexpr uint64_t kFrameTypeRetireConnectionId = 0x19;
inline constexpr uint64_t kFrameTypePathChallenge = 0x1a;
inline constexpr uint64_t kFrameTypePathResponse = 0x1b;
inline constexpr uint64_t kFrameTypeConnectionCloseTransport = 0x1c;
inline constexpr uint64_t kFrameTypeConnectionCloseApplication = 0x1d;
inline constexpr uint64_t kFrameTypeHandshakeDone = 0x1e;
// RFC 9221 §4: 0x30 runs to the end of the packet, 0x31 carries a Length.
inline constexpr uint64_t kFrameTypeDatagram = 0x30;
inline constexpr uint64_t kFrameTypeDatagramWithLength = 0x31;

constexpr bool IsStreamFrameType(uint64_t type) {
  return type >= kFrameTypeStream && type <= kFrameTypeStreamLast;
}

// True for every frame type kite can decode.
constexpr bool IsKnownFrameType(uint64_t type) {
  return type <= kFrameTypeHandshakeDone || type == kFrameTypeDatagram ||
         type == kFrameTypeDatagramWithLength;
}

// The qlog name of a frame type (draft-ietf-quic-qlog-quic-events, QuicFrame): "padding", "ack",
// "stream", ...; "unknown" for a type kite does not know.
std::string_view FrameTypeName(uint64_t type);

}  // namespace kite::quic

#endif  // KITE_QUIC_CODEC_FRAME_TYPE_H_
