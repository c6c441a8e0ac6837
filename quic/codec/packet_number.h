// Packet number truncation and recovery (RFC 9000 §17.1, Appendix A.2 and A.3).
#ifndef KITE_QUIC_CODEC_PACKET_NUMBER_H_
#define KITE_QUIC_CODEC_PACKET_NUMBER_H_

#include <cstddef>
#include <cstdint>
#include <optional>

namespace kite::quic {

// RFC 9000 §12.3: packet numbers are in the range 0 to 2^62-1.
inline constexpr uint64_t kMaxPacketNumber = (uint64_t{1} << 62) - 1;

// The packet number field is 1 to 4 bytes long (RFC 9000 §17.1).
inline constexpr size_t kMinPacketNumberLength = 1;
inline constexpr size_t kMaxPacketNumberLength = 4;

// Number of bytes (1..4) to encode `full_pn` so that a peer that has seen at least
// `largest_acked` (nullopt: nothing acknowledged yet in this packet number space) decodes it
// unambiguously: the field covers at least twice the range of unacknowledged packet numbers
// (RFC 9000 §17.1, Appendix A.2). Returns 4 if even 32 bits cannot cover that range; a sender
// must never let that many packets go unacknowledged.
size_t PacketNumberLengthForSend(uint64_t full_pn, std::optional<uint64_t> largest_acked);

// The low `pn_length` bytes of `full_pn`, as carried in the packet number field.
constexpr uint64_t TruncatePacketNumber(uint64_t full_pn, size_t pn_length) {
  return pn_length >= 8 ? full_pn : full_pn & ((uint64_t{1} << (8 * pn_length)) - 1);
}

// Recovers the full packet number from the `pn_nbits`-bit field value `truncated_pn`, given
// the largest packet number successfully processed in this space (nullopt: none yet, in which
// case the window is centred on packet number 0). Exactly RFC 9000 Appendix A.3, with the
// subtractions guarded against unsigned wrap-around. `pn_nbits` is 8, 16, 24 or 32 (any value
// in 1..32 works; others are clamped into that range); bits of `truncated_pn` above `pn_nbits`
// are ignored.
//
// The result can exceed kMaxPacketNumber only when `largest_pn` is within half a window of
// it; the caller treats such a packet as a protocol violation (RFC 9000 §12.3).
uint64_t DecodePacketNumber(std::optional<uint64_t> largest_pn, uint64_t truncated_pn,
                            size_t pn_nbits);

}  // namespace kite::quic

#endif  // KITE_QUIC_CODEC_PACKET_NUMBER_H_
