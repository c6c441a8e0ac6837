#include "quic/recovery/rtt_estimator.h"

#include <algorithm>

namespace kite::quic {

RttEstimator::RttEstimator(absl::Duration initial_rtt)
    : initial_rtt_(initial_rtt > absl::ZeroDuration() ? initial_rtt : kDefaultInitialRtt),
      smoothed_rtt_(initial_rtt_),
      rttvar_(initial_rtt_ / 2) {
  UpdatePtoBase();
}

void RttEstimator::UpdatePtoBase() {
  pto_base_ = smoothed_rtt_ + std::max(rttvar_ * 4, kTimerGranularity);
}

void RttEstimator::OnSample(absl::Duration latest_rtt, absl::Duration ack_delay,
                            bool handshake_confirmed, absl::Duration max_ack_delay) {
  // A clock that stepped backwards must not produce a negative RTT.
  latest_rtt = std::max(latest_rtt, absl::ZeroDuration());
  ack_delay = std::max(ack_delay, absl::ZeroDuration());
  latest_rtt_ = latest_rtt;
  if (!has_sample_) {
    // §5.3: the first sample resets the estimator; ack_delay is not used.
    has_sample_ = true;
    min_rtt_ = latest_rtt;
    smoothed_rtt_ = latest_rtt;
    rttvar_ = latest_rtt / 2;
    UpdatePtoBase();
    return;
  }
  // §5.2: min_rtt ignores acknowledgment delay.
  min_rtt_ = std::min(min_rtt_, latest_rtt);
  // §5.3: the peer's max_ack_delay bounds its reported delay only once the handshake is
  // confirmed.
  if (handshake_confirmed) ack_delay = std::min(ack_delay, max_ack_delay);
  absl::Duration adjusted_rtt = latest_rtt;
  // Never subtract a delay that would take the sample below min_rtt.
  if (latest_rtt >= min_rtt_ + ack_delay) adjusted_rtt = latest_rtt - ack_delay;
  // Appendix A.7 order: rttvar uses smoothed_rtt before this sample updates it.
  rttvar_ = rttvar_ * 3 / 4 + absl::AbsDuration(smoothed_rtt_ - adjusted_rtt) / 4;
  smoothed_rtt_ = smoothed_rtt_ * 7 / 8 + adjusted_rtt / 8;
  UpdatePtoBase();
}

void RttEstimator::ResetMinRttToLatest() {
  if (has_sample_) min_rtt_ = latest_rtt_;
}

absl::Duration RttEstimator::PtoDuration(bool include_max_ack_delay,
                                         absl::Duration max_ack_delay) const {
  absl::Duration pto = pto_base_;
  if (include_max_ack_delay) pto += std::max(max_ack_delay, absl::ZeroDuration());
  // §6.2.1: at least kGranularity.
  return std::max(pto, kTimerGranularity);
}

}  // namespace kite::quic
