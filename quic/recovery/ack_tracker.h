// The receive side of one packet number space: which packet numbers arrived (for duplicate
// detection and ACK ranges), ECN counts, and when an ACK is due (RFC 9000 §13.2).
#ifndef KITE_QUIC_RECOVERY_ACK_TRACKER_H_
#define KITE_QUIC_RECOVERY_ACK_TRACKER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "quic/recovery/ack_ranges.h"
#include "tls/encryption_level.h"

namespace kite::quic {

using tls::PacketNumberSpace;

struct AckPolicy {
  // Our own max_ack_delay transport parameter (RFC 9000 §18.2, default 25 ms). Applies to the
  // Application Data space only; Initial and Handshake are acknowledged at once (§13.2.1).
  absl::Duration max_ack_delay = absl::Milliseconds(25);
  // §13.2.2: acknowledge at least every second ack-eliciting packet.
  size_t ack_eliciting_threshold = 2;
  // Ranges remembered and reported; at most kMaxTrackedAckRanges.
  size_t max_ack_ranges = kMaxTrackedAckRanges;
};

class AckTracker {
 public:
  // ACK frames whose acknowledgment we remember for ACK-of-ACK pruning (§13.2.4). When all are
  // in use, the newest slot is reused: the remembered ACKs then span from the oldest one still
  // unacknowledged to the latest. (Keeping only the newest would forget every ACK before the
  // peer could acknowledge it whenever more than this many are sent per round trip.)
  static constexpr size_t kMaxTrackedAckFrames = 32;

  explicit AckTracker(PacketNumberSpace space, AckPolicy policy = AckPolicy());

  // §12.3: a packet number already received, or below everything still remembered.
  bool IsDuplicate(uint64_t pn) const;

  // Records a packet that was successfully processed. Duplicates are ignored.
  void OnPacketReceived(uint64_t pn, absl::Time now, bool ack_eliciting, EcnCodepoint ecn);

  // When an ACK must be sent; nullopt while no ack-eliciting packet awaits acknowledgment.
  // Immediate (the receipt time) for Initial/Handshake, out-of-order arrival, a CE mark or the
  // ack-eliciting threshold; otherwise the first unacknowledged ack-eliciting receipt plus
  // max_ack_delay (§13.2.1).
  std::optional<absl::Time> AckDeadline() const;

  // Something arrived since the last ACK was sent (an ACK may ride along on any packet).
  bool HasNewAckToSend() const;

  // Ranges descending (largest first), at most policy.max_ack_ranges, excluding what ACK-of-ACK
  // pruning has retired; ack_delay is `now` minus the receipt time of the largest; ECN counts
  // once any ECN-marked packet arrived. Empty ranges when there is nothing to acknowledge.
  AckRanges BuildAck(absl::Time now) const;

  // The connection sent `ack` in packet `packet_number` of this space.
  void OnAckSent(uint64_t packet_number, const AckRanges& ack);

  // A packet of ours in this space was acknowledged; if it carried an ACK, the peer knows
  // everything up to that ACK's largest, which need not be reported again (§13.2.4).
  void OnPacketAcked(uint64_t packet_number);
  // A packet of ours in this space was declared lost; an ACK it carried is forgotten, so that
  // lost ACKs do not occupy the remembered slots.
  void OnPacketLost(uint64_t packet_number);

  // nullopt before any packet arrived.
  std::optional<uint64_t> largest_received() const { return largest_received_; }
  const AckEcnCounts& ecn_counts() const { return ecn_counts_; }
  PacketNumberSpace space() const { return space_; }
  size_t range_count() const { return received_.size(); }

 private:
  void InsertPacketNumber(uint64_t pn);

  PacketNumberSpace space_;
  AckPolicy policy_;
  // Received packet numbers as disjoint, non-adjacent ranges in ascending order.
  std::deque<PacketRange> received_;
  // Everything below this is treated as a duplicate (older ranges were dropped).
  uint64_t duplicate_floor_ = 0;
  // Packet numbers below this were acknowledged in an ACK the peer has acknowledged.
  uint64_t report_floor_ = 0;

  std::optional<uint64_t> largest_received_;
  absl::Time largest_received_time_ = absl::InfinitePast();
  std::optional<uint64_t> largest_ack_eliciting_;

  // State since the last ACK sent.
  bool new_packets_ = false;
  size_t unacked_ack_eliciting_ = 0;
  std::optional<absl::Time> first_unacked_ack_eliciting_time_;
  std::optional<absl::Time> immediate_since_;

  AckEcnCounts ecn_counts_;
  bool ecn_seen_ = false;

  struct SentAck {
    uint64_t packet_number;
    uint64_t largest_acked;
  };
  std::deque<SentAck> sent_acks_;
};

}  // namespace kite::quic

#endif  // KITE_QUIC_RECOVERY_ACK_TRACKER_H_
