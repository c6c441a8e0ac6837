#include "quic/recovery/persistent_congestion.h"

namespace kite::quic {

bool EstablishesPersistentCongestion(absl::Span<const SentPacket> lost, absl::Duration duration,
                                     std::optional<absl::Time> first_rtt_sample_time) {
  // §7.6.2: the period starts only once there is an RTT sample.
  if (!first_rtt_sample_time.has_value()) return false;
  std::optional<absl::Time> run_start;  // send time of the run's first ack-eliciting packet
  std::optional<uint64_t> previous_pn;
  for (const SentPacket& p : lost) {
    bool contiguous = previous_pn.has_value() && p.packet_number == *previous_pn + 1;
    previous_pn = p.packet_number;
    if (!contiguous) run_start.reset();
    if (p.time_sent <= *first_rtt_sample_time) {
      run_start.reset();
      continue;
    }
    // Both ends must be ack-eliciting; a non-ack-eliciting loss in between does not break the
    // run, since it was not acknowledged either.
    if (!p.ack_eliciting) continue;
    if (!run_start.has_value()) {
      run_start = p.time_sent;
    } else if (p.time_sent - *run_start > duration) {
      return true;
    }
  }
  return false;
}

}  // namespace kite::quic
