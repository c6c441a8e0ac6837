#include "quic/codec/packet_number.h"

namespace kite::quic {
namespace {

// Number of significant bits in `v` (0 for 0).
size_t BitWidth(uint64_t v) {
  size_t bits = 0;
  while (v != 0) {
    ++bits;
    v >>= 1;
  }
  return bits;
}

}  // namespace

size_t PacketNumberLengthForSend(uint64_t full_pn, std::optional<uint64_t> largest_acked) {
  // RFC 9000 Appendix A.2: num_unacked counts the new packet too.
  uint64_t num_unacked;
  if (!largest_acked.has_value()) {
    num_unacked = full_pn + 1;
  } else if (*largest_acked >= full_pn) {
    // Not a state a correct sender reaches; the smallest encoding is still decodable.
    num_unacked = 1;
  } else {
    num_unacked = full_pn - *largest_acked;
  }
  // "At least twice this range": the field must hold 2 * num_unacked distinct values, i.e.
  // one bit more than num_unacked needs.
  size_t bits = BitWidth(num_unacked) + 1;
  size_t bytes = (bits + 7) / 8;
  if (bytes < kMinPacketNumberLength) return kMinPacketNumberLength;
  if (bytes > kMaxPacketNumberLength) return kMaxPacketNumberLength;
  return bytes;
}

uint64_t DecodePacketNumber(std::optional<uint64_t> largest_pn, uint64_t truncated_pn,
                            size_t pn_nbits) {
  if (pn_nbits < 1) pn_nbits = 1;
  if (pn_nbits > 32) pn_nbits = 32;
  // With nothing received yet, behave as if largest_pn were -1 (expected_pn 0): the field
  // value is taken as is, which is what the first packet of a space always carries.
  const uint64_t expected_pn = largest_pn.has_value() ? *largest_pn + 1 : 0;
  const uint64_t pn_win = uint64_t{1} << pn_nbits;
  const uint64_t pn_hwin = pn_win / 2;
  const uint64_t pn_mask = pn_win - 1;
  truncated_pn &= pn_mask;

  const uint64_t candidate_pn = (expected_pn & ~pn_mask) | truncated_pn;
  // RFC 9000 A.3: "candidate_pn <= expected_pn - pn_hwin"; when expected_pn < pn_hwin the
  // right-hand side is negative and the condition is false.
  if (expected_pn >= pn_hwin && candidate_pn <= expected_pn - pn_hwin &&
      candidate_pn < (uint64_t{1} << 62) - pn_win) {
    return candidate_pn + pn_win;
  }
  // expected_pn <= 2^62 + 1 and pn_hwin <= 2^31, so the sum cannot wrap.
  if (candidate_pn > expected_pn + pn_hwin && candidate_pn >= pn_win) {
    return candidate_pn - pn_win;
  }
  return candidate_pn;
}

}  // namespace kite::quic
