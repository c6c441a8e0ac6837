#include "quic/recovery/rtt_estimator.h"

#include <algorithm>

namespace kite::quic {
namespace {

// absl::Duration resolves a quarter of a nanosecond.
constexpr int64_t kTicksPerNanosecond = 4;
// Bound on the tick values the integer path works with (about 13 days): far below overflow even
// when multiplied by 7, and exact in a double.
constexpr int64_t kMaxTicks = int64_t{1} << 52;
constexpr int64_t kGranularityTicks = 1000000 * kTicksPerNanosecond;
static_assert(kTimerGranularity == absl::Nanoseconds(kGranularityTicks / kTicksPerNanosecond));

// `d` in quarter nanoseconds, if 0 <= d <= kMaxTicks.
bool ToTicks(absl::Duration d, int64_t* ticks) {
  if (d < absl::ZeroDuration()) return false;
  const int64_t ns = absl::ToInt64Nanoseconds(d);  // truncates
  if (ns > kMaxTicks / kTicksPerNanosecond) return false;
  const absl::Duration whole = absl::Nanoseconds(ns);
  int64_t quarters = 0;
  // Rare: only durations produced by division carry a fraction of a nanosecond.
  if (whole != d) quarters = (d - whole) / (absl::Nanoseconds(1) / kTicksPerNanosecond);
  *ticks = ns * kTicksPerNanosecond + quarters;
  return *ticks <= kMaxTicks;
}

// 0 <= ticks.
absl::Duration FromTicks(int64_t ticks) {
  // The fractions of a nanosecond, built once (absl::Duration division is not constexpr).
  static const absl::Duration kQuarters[kTicksPerNanosecond] = {
      absl::ZeroDuration(), absl::Nanoseconds(1) / 4, absl::Nanoseconds(2) / 4,
      absl::Nanoseconds(3) / 4};
  absl::Duration d = absl::Nanoseconds(ticks / kTicksPerNanosecond);
  const int64_t quarters = ticks % kTicksPerNanosecond;
  if (quarters != 0) d += kQuarters[quarters];
  return d;
}

}  // namespace

RttEstimator::RttEstimator(absl::Duration initial_rtt)
    : initial_rtt_(initial_rtt > absl::ZeroDuration() ? initial_rtt : kDefaultInitialRtt),
      smoothed_rtt_(initial_rtt_),
      rttvar_(initial_rtt_ / 2) {
  UpdatePtoBase();
  SyncTicks();
}

void RttEstimator::UpdatePtoBase() {
  pto_base_ = smoothed_rtt_ + std::max(rttvar_ * 4, kTimerGranularity);
}

void RttEstimator::SyncTicks() {
  ticks_valid_ = ToTicks(smoothed_rtt_, &smoothed_ticks_) && ToTicks(rttvar_, &rttvar_ticks_) &&
                 ToTicks(min_rtt_, &min_ticks_);
}

void RttEstimator::SyncDurations() {
  smoothed_rtt_ = FromTicks(smoothed_ticks_);
  rttvar_ = FromTicks(rttvar_ticks_);
  pto_base_ = FromTicks(smoothed_ticks_ + std::max(rttvar_ticks_ * 4, kGranularityTicks));
}

void RttEstimator::OnSample(absl::Duration latest_rtt, absl::Duration ack_delay,
                            bool handshake_confirmed, absl::Duration max_ack_delay) {
  // A clock that stepped backwards must not produce a negative RTT.
  latest_rtt = std::max(latest_rtt, absl::ZeroDuration());
  ack_delay = std::max(ack_delay, absl::ZeroDuration());
  latest_rtt_ = latest_rtt;
  // §5.3: the peer's max_ack_delay bounds its reported delay only once the handshake is
  // confirmed (the first sample ignores the delay anyway).
  if (handshake_confirmed) ack_delay = std::min(ack_delay, max_ack_delay);

  int64_t latest = 0;
  int64_t delay = 0;
  if (ticks_valid_ && ToTicks(latest_rtt, &latest) && ToTicks(ack_delay, &delay)) {
    // The same steps as below, in quarter nanoseconds.
    if (!has_sample_) {
      has_sample_ = true;
      min_rtt_ = latest_rtt;
      min_ticks_ = latest;
      smoothed_ticks_ = latest;
      rttvar_ticks_ = latest / 2;
    } else {
      min_rtt_ = std::min(min_rtt_, latest_rtt);
      min_ticks_ = std::min(min_ticks_, latest);
      int64_t adjusted = latest;
      if (latest >= min_ticks_ + delay) adjusted = latest - delay;
      const int64_t deviation =
          smoothed_ticks_ > adjusted ? smoothed_ticks_ - adjusted : adjusted - smoothed_ticks_;
      rttvar_ticks_ = rttvar_ticks_ * 3 / 4 + deviation / 4;
      smoothed_ticks_ = smoothed_ticks_ * 7 / 8 + adjusted / 8;
    }
    SyncDurations();
    return;
  }

  if (!has_sample_) {
    // §5.3: the first sample resets the estimator; ack_delay is not used.
    has_sample_ = true;
    min_rtt_ = latest_rtt;
    smoothed_rtt_ = latest_rtt;
    rttvar_ = latest_rtt / 2;
    UpdatePtoBase();
    SyncTicks();
    return;
  }
  // §5.2: min_rtt ignores acknowledgment delay.
  min_rtt_ = std::min(min_rtt_, latest_rtt);
  absl::Duration adjusted_rtt = latest_rtt;
  // Never subtract a delay that would take the sample below min_rtt.
  if (latest_rtt >= min_rtt_ + ack_delay) adjusted_rtt = latest_rtt - ack_delay;
  // Appendix A.7 order: rttvar uses smoothed_rtt before this sample updates it.
  rttvar_ = rttvar_ * 3 / 4 + absl::AbsDuration(smoothed_rtt_ - adjusted_rtt) / 4;
  smoothed_rtt_ = smoothed_rtt_ * 7 / 8 + adjusted_rtt / 8;
  UpdatePtoBase();
  SyncTicks();
}

void RttEstimator::ResetMinRttToLatest() {
  if (!has_sample_) return;
  min_rtt_ = latest_rtt_;
  SyncTicks();
}

absl::Duration RttEstimator::PtoDuration(bool include_max_ack_delay,
                                         absl::Duration max_ack_delay) const {
  absl::Duration pto = pto_base_;
  if (include_max_ack_delay) pto += std::max(max_ack_delay, absl::ZeroDuration());
  // §6.2.1: at least kGranularity.
  return std::max(pto, kTimerGranularity);
}

}  // namespace kite::quic
