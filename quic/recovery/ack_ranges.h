// Plain ACK content shared by the receive side (AckTracker builds it) and the send side
// (LossDetection consumes it). Deliberately independent of the frame codec: the connection
// converts between these and the wire ACK frame (RFC 9000 §19.3).
#ifndef KITE_QUIC_RECOVERY_ACK_RANGES_H_
#define KITE_QUIC_RECOVERY_ACK_RANGES_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include "absl/container/inlined_vector.h"
#include "absl/time/time.h"

namespace kite::quic {

// Most ranges an AckTracker remembers and reports. Older ranges are dropped first; packets
// below the oldest remembered range are treated as duplicates (RFC 9000 §13.2.3 permits
// limiting ACK ranges; §12.3 permits a minimum packet number for duplicate detection).
inline constexpr size_t kMaxTrackedAckRanges = 64;

// Inclusive range of packet numbers.
struct PacketRange {
  uint64_t smallest = 0;
  uint64_t largest = 0;

  bool Contains(uint64_t pn) const { return pn >= smallest && pn <= largest; }
  friend bool operator==(const PacketRange& a, const PacketRange& b) {
    return a.smallest == b.smallest && a.largest == b.largest;
  }
};

// The ECN codepoint of a received IP packet (RFC 3168 §5).
enum class EcnCodepoint : uint8_t {
  kNotEct = 0b00,
  kEct1 = 0b01,
  kEct0 = 0b10,
  kCe = 0b11,
};

// RFC 9000 §19.3.2.
struct AckEcnCounts {
  uint64_t ect0 = 0;
  uint64_t ect1 = 0;
  uint64_t ce = 0;

  friend bool operator==(const AckEcnCounts& a, const AckEcnCounts& b) {
    return a.ect0 == b.ect0 && a.ect1 == b.ect1 && a.ce == b.ce;
  }
};

// Ranges of one ACK. An ACK is built or received for nearly every packet and usually holds a few
// ranges, so they are stored inline up to that many.
inline constexpr size_t kInlineAckRanges = 4;
using PacketRangeList = absl::InlinedVector<PacketRange, kInlineAckRanges>;

struct AckRanges {
  // Descending: ranges[0] holds the largest acknowledged; ranges are disjoint and not adjacent.
  PacketRangeList ranges;
  // Time between receipt of the largest acknowledged and sending the ACK (RFC 9000 §13.2.5),
  // unscaled; the codec applies the ack_delay_exponent.
  absl::Duration ack_delay = absl::ZeroDuration();
  std::optional<AckEcnCounts> ecn;

  bool empty() const { return ranges.empty(); }
  uint64_t largest() const { return ranges.empty() ? 0 : ranges.front().largest; }
};

}  // namespace kite::quic

#endif  // KITE_QUIC_RECOVERY_ACK_RANGES_H_
