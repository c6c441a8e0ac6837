// RTT estimation per RFC 9002 §5: latest_rtt, min_rtt, smoothed_rtt and rttvar, and the PTO
// period of §6.2.1 built from them.
#ifndef KITE_QUIC_RECOVERY_RTT_ESTIMATOR_H_
#define KITE_QUIC_RECOVERY_RTT_ESTIMATOR_H_

#include <cstdint>

#include "absl/time/time.h"

namespace kite::quic {

// RFC 9002 §6.1.2 kGranularity.
inline constexpr absl::Duration kTimerGranularity = absl::Milliseconds(1);
// RFC 9002 §6.2.2 kInitialRtt.
inline constexpr absl::Duration kDefaultInitialRtt = absl::Milliseconds(333);

class RttEstimator {
 public:
  explicit RttEstimator(absl::Duration initial_rtt = kDefaultInitialRtt);

  // One RTT sample (§5.1): `latest_rtt` is ack time minus send time of the largest newly
  // acknowledged packet; `ack_delay` is the peer-reported delay, already decoded.
  void OnSample(absl::Duration latest_rtt, absl::Duration ack_delay, bool handshake_confirmed,
                absl::Duration max_ack_delay);

  // §5.2: after persistent congestion, min_rtt restarts from the newest sample.
  void ResetMinRttToLatest();

  absl::Duration latest_rtt() const { return latest_rtt_; }
  absl::Duration smoothed_rtt() const { return smoothed_rtt_; }
  absl::Duration rttvar() const { return rttvar_; }
  // Zero before the first sample.
  absl::Duration min_rtt() const { return min_rtt_; }
  bool has_sample() const { return has_sample_; }
  absl::Duration initial_rtt() const { return initial_rtt_; }

  // §6.2.1: smoothed_rtt + max(4 * rttvar, kGranularity) [+ max_ack_delay], without backoff.
  // max_ack_delay is included only for the Application Data space once the handshake is
  // confirmed; the caller decides.
  absl::Duration PtoDuration(bool include_max_ack_delay, absl::Duration max_ack_delay) const;

 private:
  absl::Duration initial_rtt_;
  bool has_sample_ = false;
  absl::Duration latest_rtt_ = absl::ZeroDuration();
  absl::Duration smoothed_rtt_;
  absl::Duration rttvar_;
  absl::Duration min_rtt_ = absl::ZeroDuration();
  // smoothed_rtt + max(4 * rttvar, kGranularity), updated with them (PtoDuration is asked for
  // far more often than samples arrive).
  absl::Duration pto_base_;

  // The estimator's arithmetic runs on integers: the same values in absl::Duration's own unit, a
  // quarter nanosecond, where absl's exact multiplication and truncating division of
  // non-negative durations are plain int64 arithmetic (absl's out-of-line operators cost far
  // more). Valid while every value stays within kMaxTicks; beyond, absl arithmetic is used.
  bool ticks_valid_ = false;
  int64_t smoothed_ticks_ = 0;
  int64_t rttvar_ticks_ = 0;
  int64_t min_ticks_ = 0;

  void UpdatePtoBase();
  // Recomputes the tick mirrors from the absl::Duration state.
  void SyncTicks();
  // Sets the absl::Duration state from the tick mirrors.
  void SyncDurations();
};

}  // namespace kite::quic

#endif  // KITE_QUIC_RECOVERY_RTT_ESTIMATOR_H_
