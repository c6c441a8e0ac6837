// Stream identifiers, RFC 9000 §2.1: the low bit names the initiator (0 client, 1 server), the
// next bit the direction (0 bidirectional, 1 unidirectional); the rest is the stream's index
// among streams of its type.
#ifndef KITE_QUIC_STREAMS_STREAM_ID_H_
#define KITE_QUIC_STREAMS_STREAM_ID_H_

#include <cstdint>

#include "quic/codec/varint.h"
#include "quic/streams/perspective.h"

namespace kite::quic {

enum class Direction { kBidirectional, kUnidirectional };

inline constexpr uint64_t kStreamIdInitiatorBit = 0x01;
inline constexpr uint64_t kStreamIdDirectionBit = 0x02;

// Stream ids are varints (§2.1), so at most 2^60 streams of each type exist (§4.6).
inline constexpr uint64_t kMaxStreamId = kMaxVarInt;

constexpr bool IsClientInitiated(uint64_t id) { return (id & kStreamIdInitiatorBit) == 0; }
constexpr bool IsServerInitiated(uint64_t id) { return !IsClientInitiated(id); }
constexpr bool IsBidirectional(uint64_t id) { return (id & kStreamIdDirectionBit) == 0; }
constexpr bool IsUnidirectional(uint64_t id) { return !IsBidirectional(id); }

constexpr Perspective StreamInitiator(uint64_t id) {
  return IsClientInitiated(id) ? Perspective::kClient : Perspective::kServer;
}
constexpr Direction StreamDirection(uint64_t id) {
  return IsBidirectional(id) ? Direction::kBidirectional : Direction::kUnidirectional;
}
constexpr bool IsLocallyInitiated(uint64_t id, Perspective local) {
  return StreamInitiator(id) == local;
}

// The index of `id` among the streams of its type: 0 for the first stream of each type.
constexpr uint64_t StreamIndex(uint64_t id) { return id >> 2; }

// The id of the `index`-th stream of the given initiator and direction. `index` must be below
// kMaxStreamCount for the id to be a valid varint.
constexpr uint64_t StreamIdFor(Perspective initiator, Direction direction, uint64_t index) {
  return (index << 2) | (direction == Direction::kUnidirectional ? kStreamIdDirectionBit : 0) |
         (initiator == Perspective::kServer ? kStreamIdInitiatorBit : 0);
}

// Whether an endpoint with perspective `local` sends / receives on stream `id` (§2.1: a
// unidirectional stream only carries data from its initiator).
constexpr bool HasSendSide(uint64_t id, Perspective local) {
  return IsBidirectional(id) || IsLocallyInitiated(id, local);
}
constexpr bool HasReceiveSide(uint64_t id, Perspective local) {
  return IsBidirectional(id) || !IsLocallyInitiated(id, local);
}

}  // namespace kite::quic

#endif  // KITE_QUIC_STREAMS_STREAM_ID_H_
