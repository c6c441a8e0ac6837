// What the sender remembers about each packet until it is acknowledged or declared lost
// (RFC 9002 Appendix A.1.1), plus the delivery-rate snapshot (BBR draft §4.1.2.2).
#ifndef KITE_QUIC_RECOVERY_SENT_PACKET_H_
#define KITE_QUIC_RECOVERY_SENT_PACKET_H_

#include <cstddef>
#include <cstdint>

#include "absl/time/time.h"
#include "congestion/rate_sample.h"
#include "quic/recovery/ack_ranges.h"

namespace kite::quic {

struct SentPacket {
  uint64_t packet_number = 0;
  absl::Time time_sent;
  // Bytes of the QUIC packet, excluding UDP/IP headers (RFC 9002 A.1.1 sent_bytes).
  size_t bytes = 0;
  bool ack_eliciting = false;
  // Counts toward bytes in flight: ack-eliciting or PADDING-carrying (RFC 9002 §2).
  bool in_flight = false;
  // The IP ECN codepoint the packet was sent with, for ECN validation (RFC 9000 §13.4.2).
  EcnCodepoint ecn = EcnCodepoint::kNotEct;
  // Filled in by LossDetection::OnPacketSent; whatever the caller puts here is overwritten.
  congestion::DeliverySnapshot delivery;
};

}  // namespace kite::quic

#endif  // KITE_QUIC_RECOVERY_SENT_PACKET_H_
