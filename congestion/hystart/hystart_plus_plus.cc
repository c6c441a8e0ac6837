#include "congestion/hystart/hystart_plus_plus.h"

#include <algorithm>
#include <limits>

namespace kite::congestion {

void HyStartPlusPlus::OnPacketSent(uint64_t packet_number) {
  next_packet_number_ = std::max(next_packet_number_, packet_number + 1);
}

absl::Duration HyStartPlusPlus::RttThreshold(absl::Duration last_round_min_rtt) {
  return std::max(kMinRttThresh, std::min(last_round_min_rtt / kMinRttDivisor, kMaxRttThresh));
}

void HyStartPlusPlus::StartRound() {
  // RFC 9406 §4.2: at the start of each round in slow start and CSS.
  window_end_ = next_packet_number_;
  ++rounds_;
  last_round_min_rtt_ = current_round_min_rtt_;
  current_round_min_rtt_.reset();
  rtt_sample_count_ = 0;
}

bool HyStartPlusPlus::OnAck(uint64_t largest_acked, std::optional<absl::Duration> rtt_sample) {
  if (phase_ == Phase::kDone) return false;
  if (!window_end_.has_value() || largest_acked >= *window_end_) {
    if (phase_ == Phase::kConservativeSlowStart) {
      // §4.2: after CSS_ROUNDS rounds in CSS, congestion avoidance. The round in which CSS
      // began counts as the first.
      ++css_rounds_;
      if (css_rounds_ >= kCssRounds) {
        phase_ = Phase::kDone;
        return true;
      }
    }
    StartRound();
  }
  if (!rtt_sample.has_value()) return false;
  current_round_min_rtt_ = current_round_min_rtt_.has_value()
                               ? std::min(*current_round_min_rtt_, *rtt_sample)
                               : *rtt_sample;
  ++rtt_sample_count_;
  if (rtt_sample_count_ < kNRttSample || !current_round_min_rtt_.has_value()) return false;
  if (phase_ == Phase::kSlowStart) {
    if (!last_round_min_rtt_.has_value()) return false;
    absl::Duration thresh = RttThreshold(*last_round_min_rtt_);
    if (*current_round_min_rtt_ >= *last_round_min_rtt_ + thresh) {
      // The delay rose: leave slow start for CSS.
      css_baseline_min_rtt_ = current_round_min_rtt_;
      css_rounds_ = 0;
      phase_ = Phase::kConservativeSlowStart;
    }
    return false;
  }
  // CSS: an RTT below the baseline means the exit was spurious (§4.2); resume slow start.
  if (css_baseline_min_rtt_.has_value() && *current_round_min_rtt_ < *css_baseline_min_rtt_) {
    css_baseline_min_rtt_.reset();
    css_rounds_ = 0;
    phase_ = Phase::kSlowStart;
  }
  return false;
}

size_t HyStartPlusPlus::Growth(size_t newly_acked, size_t max_datagram_size) const {
  if (phase_ == Phase::kDone) return 0;
  size_t cap =
      paced_ ? std::numeric_limits<size_t>::max() : kUnpacedGrowthCapPackets * max_datagram_size;
  size_t growth = std::min(newly_acked, cap);
  if (phase_ == Phase::kConservativeSlowStart) growth /= kCssGrowthDivisor;
  return growth;
}

std::string_view HyStartPlusPlus::PhaseName() const {
  switch (phase_) {
    case Phase::kSlowStart:
      return "slow_start";
    case Phase::kConservativeSlowStart:
      return "conservative_slow_start";
    case Phase::kDone:
      return "done";
  }
  return "done";
}

}  // namespace kite::congestion
