#include "congestion/cubic/cubic.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "congestion/registry.h"

namespace kite::congestion {
namespace {

const ControllerRegistrar kCubicRegistrar(std::string(Cubic::kName),
                                          [](const ControllerParams& params) {
                                            return std::make_unique<Cubic>(params);
                                          });

// Losses remembered per recovery episode for the spurious-loss undo; a longer episode is simply
// not undone.
constexpr size_t kMaxEpisodeLosses = 1024;

constexpr double kInfinity = std::numeric_limits<double>::infinity();

}  // namespace

Cubic::Cubic(const ControllerParams& params, Options options)
    : options_(options),
      max_datagram_size_(std::max<size_t>(params.max_datagram_size, 1)),
      minimum_window_(
          static_cast<double>(std::max<size_t>(MinimumWindowBytes(params), max_datagram_size_))),
      cwnd_(std::max(static_cast<double>(InitialWindowBytes(params)), minimum_window_)),
      ssthresh_(kInfinity),
      hystart_(options.paced) {
  if (!options_.hystart) hystart_.OnCongestion();
}

double Cubic::CubicWindow(double t_seconds, double k_seconds, double w_max_segments) {
  double d = t_seconds - k_seconds;
  return kC * d * d * d + w_max_segments;
}

double Cubic::ComputeK(double w_max_segments, double cwnd_epoch_segments) {
  // std::cbrt keeps the sign, so W_cubic(0) = cwnd_epoch even above W_max.
  return std::cbrt((w_max_segments - cwnd_epoch_segments) / kC);
}

size_t Cubic::SlowStartThreshold() const {
  if (ssthresh_ == kInfinity) return SIZE_MAX;
  return static_cast<size_t>(ssthresh_);
}

void Cubic::OnPacketSent(absl::Time sent_time, uint64_t packet_number, size_t bytes,
                         size_t bytes_in_flight_before, bool is_retransmittable) {
  (void)sent_time;
  (void)is_retransmittable;
  max_bytes_in_flight_ = std::max(max_bytes_in_flight_, bytes_in_flight_before + bytes);
  app_limited_ = false;
  hystart_.OnPacketSent(packet_number);
}

void Cubic::OnAppLimited(size_t bytes_in_flight) {
  (void)bytes_in_flight;
  app_limited_ = true;
}

bool Cubic::WasWindowLimited() const {
  if (app_limited_) return false;
  // As NewReno: within three datagrams of the window counts as full; in slow start half the
  // window suffices, since the window doubles each round.
  double in_flight = static_cast<double>(max_bytes_in_flight_);
  double slack = 3.0 * static_cast<double>(max_datagram_size_);
  if (in_flight + slack >= cwnd_) return true;
  return InSlowStart() && 2.0 * in_flight >= cwnd_;
}

void Cubic::OnCongestion(absl::Time sent_time, absl::Time now, bool is_loss) {
  // RFC 9002 §7.3.2 / Appendix B.5: one reduction per recovery period, judged by send time.
  if (recovery_start_time_.has_value() && sent_time <= *recovery_start_time_) return;
  // RFC 9406 §4.2: loss or CE ends slow start and CSS.
  hystart_.OnCongestion();
  if (is_loss) {
    // RFC 9438 §4.9.2: save what a spurious loss would restore.
    UndoState u;
    u.cwnd = cwnd_;
    u.cwnd_prior = cwnd_prior_;
    u.ssthresh = ssthresh_;
    u.w_max = w_max_;
    u.k = k_;
    u.epoch_start = epoch_start_;
    u.w_est = w_est_;
    u.alpha = alpha_;
    u.app_limited_since = app_limited_since_;
    undo_ = u;
    episode_undo_possible_ = true;
  } else {
    // A CE mark is not a loss that can prove spurious.
    undo_.reset();
    episode_undo_possible_ = false;
  }
  episode_lost_.clear();

  double cwnd_segments = Segments(cwnd_);
  // RFC 9438 §4.7 fast convergence: a flow whose saturation point fell releases more.
  if (options_.fast_convergence && cwnd_segments < w_max_) {
    w_max_ = cwnd_segments * (1.0 + kBeta) / 2.0;
  } else {
    w_max_ = cwnd_segments;
  }
  cwnd_prior_ = cwnd_segments;
  // RFC 9438 §4.6 with cwnd in place of flight_size, which RFC 9438 allows when cwnd cannot grow
  // while unused (WasWindowLimited).
  ssthresh_ = std::max(cwnd_ * kBeta, minimum_window_);
  cwnd_ = ssthresh_;
  k_ = ComputeK(w_max_, Segments(cwnd_));
  recovery_start_time_ = now;
  in_recovery_ = true;
  epoch_start_.reset();
  app_limited_since_.reset();
  reno_friendly_ = false;
}

void Cubic::StartEpoch(absl::Time now) {
  epoch_start_ = now;
  cwnd_epoch_ = Segments(cwnd_);
  if (w_max_ <= 0) {
    // RFC 9438 §4.8 (after a timeout) and §4.10 (after HyStart++ ended slow start without a
    // loss): W_max is the window at the start of the stage and K = 0.
    w_max_ = cwnd_epoch_;
    k_ = 0;
  } else {
    k_ = ComputeK(w_max_, cwnd_epoch_);
  }
  // RFC 9438 §4.3: W_est starts at cwnd_epoch.
  w_est_ = cwnd_epoch_;
  alpha_ = w_est_ >= cwnd_prior_ ? 1.0 : kAlpha;
}

void Cubic::SlowStartAck(const AckEvent& ev, size_t acked_bytes, uint64_t largest_acked) {
  const bool window_limited = WasWindowLimited();
  if (!hystart_.done()) {
    std::optional<absl::Duration> sample;
    if (ev.rtt.has_sample) sample = ev.rtt.latest_rtt;
    if (hystart_.OnAck(largest_acked, sample)) {
      // RFC 9406 §4.2: CSS_ROUNDS done; RFC 9438 §4.10: cwnd_prior = cwnd, W_max undefined.
      ssthresh_ = cwnd_;
      cwnd_prior_ = Segments(cwnd_);
      w_max_ = 0;
      return;
    }
    if (window_limited)
      cwnd_ += static_cast<double>(hystart_.Growth(acked_bytes, max_datagram_size_));
    return;
  }
  // Standard slow start (RFC 9002 §7.3.1), used after persistent congestion.
  if (window_limited) cwnd_ += static_cast<double>(acked_bytes);
}

void Cubic::CongestionAvoidanceAck(absl::Time now, size_t acked_bytes, absl::Duration rtt) {
  if (!WasWindowLimited()) {
    // RFC 9438 §5.8: no growth, and the time does not count toward t.
    if (!app_limited_since_.has_value()) app_limited_since_ = now;
    return;
  }
  if (!epoch_start_.has_value()) StartEpoch(now);
  if (app_limited_since_.has_value()) {
    *epoch_start_ += now - *app_limited_since_;
    app_limited_since_.reset();
  }
  const double cwnd_segments = Segments(cwnd_);
  const double segments_acked = Segments(static_cast<double>(acked_bytes));
  const double t = absl::ToDoubleSeconds(now - *epoch_start_);

  // RFC 9438 §4.3, eq. 4.
  w_est_ += alpha_ * segments_acked / cwnd_segments;
  if (w_est_ >= cwnd_prior_) alpha_ = 1.0;

  if (CubicWindow(t, k_, w_max_) < w_est_) {
    // Reno-friendly region: cwnd follows W_est.
    reno_friendly_ = true;
    cwnd_ = std::max(cwnd_, w_est_ * static_cast<double>(max_datagram_size_));
    return;
  }
  reno_friendly_ = false;
  // RFC 9438 §4.2: target = W_cubic(t + RTT) bounded to [cwnd, 1.5 cwnd]; §4.4-§4.5: grow by
  // (target - cwnd) / cwnd per segment acknowledged, here per acknowledged byte.
  double target = CubicWindow(t + absl::ToDoubleSeconds(rtt), k_, w_max_);
  target = std::clamp(target, cwnd_segments, 1.5 * cwnd_segments);
  cwnd_ += (target - cwnd_segments) / cwnd_segments * static_cast<double>(acked_bytes);
}

void Cubic::OnCongestionEvent(const AckEvent& ev) {
  // RFC 9002 Appendix B: ECN and losses before the acknowledgments, so acknowledgments of packets
  // sent before a new recovery period do not grow the reduced window.
  if (ev.ecn_ce_delta > 0) OnCongestion(ev.largest_acked_sent_time, ev.now, /*is_loss=*/false);
  if (!ev.lost.empty()) {
    absl::Time last_loss_sent = ev.lost.front().sent_time;
    for (const LostPacket& p : ev.lost) last_loss_sent = std::max(last_loss_sent, p.sent_time);
    OnCongestion(last_loss_sent, ev.now, /*is_loss=*/true);
    if (episode_undo_possible_) {
      for (const LostPacket& p : ev.lost) {
        if (!recovery_start_time_.has_value() || p.sent_time > *recovery_start_time_) continue;
        if (episode_lost_.size() == kMaxEpisodeLosses) {
          episode_undo_possible_ = false;
          break;
        }
        episode_lost_.emplace_back(p.packet_number, p.sent_time);
      }
    }
  }

  size_t acked_bytes = 0;
  uint64_t largest_acked = 0;
  for (const AckedPacket& p : ev.acked) {
    largest_acked = std::max(largest_acked, p.packet_number);
    if (recovery_start_time_.has_value() && p.sent_time <= *recovery_start_time_) continue;
    // RFC 9002 §7.3.2: a packet sent after the period began was acknowledged; recovery ends.
    in_recovery_ = false;
    acked_bytes += p.bytes;
  }
  if (acked_bytes > 0) {
    if (cwnd_ < ssthresh_) {
      SlowStartAck(ev, acked_bytes, largest_acked);
    } else {
      absl::Duration rtt = ev.rtt.has_sample ? ev.rtt.smoothed_rtt : absl::ZeroDuration();
      CongestionAvoidanceAck(ev.now, acked_bytes, rtt);
    }
  }
  max_bytes_in_flight_ = ev.bytes_in_flight;
}

void Cubic::OnPersistentCongestion(absl::Time now) {
  (void)now;
  // RFC 9002 §7.6.2: the minimum window, then slow start up to the ssthresh the preceding loss
  // set. RFC 9438 §4.8: the next stage starts with K = 0 and W_max = cwnd_epoch. Later slow
  // starts are standard ones (RFC 9406 §4.2 applies HyStart++ to the first only).
  cwnd_ = minimum_window_;
  in_recovery_ = false;
  epoch_start_.reset();
  app_limited_since_.reset();
  w_max_ = 0;
  k_ = 0;
  reno_friendly_ = false;
  hystart_.OnCongestion();
  undo_.reset();
  episode_undo_possible_ = false;
  episode_lost_.clear();
}

void Cubic::OnSpuriousLoss(uint64_t packet_number, absl::Time sent_time, absl::Time now) {
  (void)now;
  if (!undo_.has_value() || !episode_undo_possible_) return;
  auto it = std::find(episode_lost_.begin(), episode_lost_.end(),
                      std::make_pair(packet_number, sent_time));
  if (it == episode_lost_.end()) return;
  episode_lost_.erase(it);
  // RFC 9438 §4.9.2: restore once the loss that caused the reduction proved spurious, and only
  // while cwnd is still below cwnd_prior.
  if (!episode_lost_.empty()) return;
  if (Segments(cwnd_) < cwnd_prior_) {
    const UndoState& u = *undo_;
    cwnd_ = u.cwnd;
    cwnd_prior_ = u.cwnd_prior;
    ssthresh_ = u.ssthresh;
    w_max_ = u.w_max;
    k_ = u.k;
    epoch_start_ = u.epoch_start;
    w_est_ = u.w_est;
    alpha_ = u.alpha;
    app_limited_since_ = u.app_limited_since;
    in_recovery_ = false;
  }
  undo_.reset();
  episode_undo_possible_ = false;
}

std::string_view Cubic::StateName() const {
  if (in_recovery_) return "recovery";
  if (app_limited_) return "application_limited";
  if (cwnd_ < ssthresh_) return "slow_start";
  return "congestion_avoidance";
}

}  // namespace kite::congestion
