// Per-frame-type rules that do not depend on a frame's contents: which packet types may carry it
// (RFC 9000 §12.4 Table 3, RFC 9221 §4), whether it elicits an ACK (RFC 9000 §13.2), counts
// toward bytes in flight (RFC 9002 §2) or may probe a path (RFC 9000 §9.1).
#ifndef KITE_QUIC_CODEC_FRAME_RULES_H_
#define KITE_QUIC_CODEC_FRAME_RULES_H_

#include <cstdint>

#include "quic/codec/frames.h"
#include "quic/codec/packet_type.h"

namespace kite::quic {

// RFC 9000 §12.4 Table 3. False for unknown frame types and for packet types that carry no
// frames (Retry, Version Negotiation).
bool FrameAllowedInPacket(uint64_t frame_type, PacketType packet_type);

// RFC 9000 §13.2.1: every frame but ACK, PADDING and CONNECTION_CLOSE elicits an ACK.
bool IsAckElicitingFrameType(uint64_t frame_type);
bool IsAckEliciting(const Frame& frame);

// RFC 9002 §2: a packet is in flight if it is ack-eliciting or carries PADDING; so every frame but
// ACK and CONNECTION_CLOSE counts.
bool CountsInFlightFrameType(uint64_t frame_type);
bool CountsInFlight(const Frame& frame);

// RFC 9000 §9.1: PATH_CHALLENGE, PATH_RESPONSE, NEW_CONNECTION_ID and PADDING are probing frames.
bool IsProbingFrameType(uint64_t frame_type);
bool IsProbingFrame(const Frame& frame);

}  // namespace kite::quic

#endif  // KITE_QUIC_CODEC_FRAME_RULES_H_
