// Persistent congestion (RFC 9002 §7.6), as a pure function over the packets one ACK (or one
// loss timeout) declared lost in one packet number space.
#ifndef KITE_QUIC_RECOVERY_PERSISTENT_CONGESTION_H_
#define KITE_QUIC_RECOVERY_PERSISTENT_CONGESTION_H_

#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "quic/recovery/sent_packet.h"

namespace kite::quic {

// RFC 9002 §7.6.1 kPersistentCongestionThreshold.
inline constexpr int kPersistentCongestionThreshold = 3;

// True when two ack-eliciting packets in `lost` (ascending packet numbers, one space), both sent
// after `first_rtt_sample_time`, were sent more than `duration` apart with every packet number
// between them also in `lost` (so none of the packets sent in between was acknowledged,
// §7.6.2). Contiguity is judged by packet number, so a sender that skips packet numbers only
// ever under-detects. Only the acknowledged space is considered, which §7.6.2 permits.
bool EstablishesPersistentCongestion(absl::Span<const SentPacket> lost, absl::Duration duration,
                                     std::optional<absl::Time> first_rtt_sample_time);

}  // namespace kite::quic

#endif  // KITE_QUIC_RECOVERY_PERSISTENT_CONGESTION_H_
