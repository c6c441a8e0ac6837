// CUBIC congestion control (RFC 9438) for QUIC, with HyStart++ (RFC 9406) as its slow start.
// Registered as "cubic".
//
// Window arithmetic is in bytes (cwnd is kept as a double so sub-byte per-ACK increments of the
// cubic function are not lost); the RFC's formulas are in segments and are evaluated with
// segments = bytes / max_datagram_size. The recovery period follows RFC 9002 §7.3.2: one
// reduction per period, which starts at the congestion event and ends when a packet sent after
// its start is acknowledged. ECN-CE is a congestion event like loss (RFC 9002 §7.1, RFC 9438
// §4.6). cwnd grows only while it limits sending (RFC 9438 §5.8, RFC 9002 §7.8), and the time
// spent application-limited is excluded from t (RFC 9438 §4.2).
#ifndef KITE_CONGESTION_CUBIC_CUBIC_H_
#define KITE_CONGESTION_CUBIC_CUBIC_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "congestion/congestion_controller.h"
#include "congestion/hystart/hystart_plus_plus.h"

namespace kite::congestion {

class Cubic : public CongestionController {
 public:
  static constexpr std::string_view kName = "cubic";
  // RFC 9438 §4.1, §4.6, §4.3.
  static constexpr double kC = 0.4;
  static constexpr double kBeta = 0.7;
  static constexpr double kAlpha = 3.0 * (1.0 - kBeta) / (1.0 + kBeta);

  struct Options {
    // RFC 9438 §4.7: SHOULD be on where flows share a bottleneck.
    bool fast_convergence = true;
    // RFC 9438 §4.10: HyStart++ for the first slow start (else standard slow start).
    bool hystart = true;
    // Whether the sender paces (HyStart++'s L = infinity); kite's sender always does.
    bool paced = true;
  };

  explicit Cubic(const ControllerParams& params) : Cubic(params, Options()) {}
  Cubic(const ControllerParams& params, Options options);

  void OnPacketSent(absl::Time sent_time, uint64_t packet_number, size_t bytes,
                    size_t bytes_in_flight_before, bool is_retransmittable) override;
  void OnCongestionEvent(const AckEvent& ev) override;
  void OnPersistentCongestion(absl::Time now) override;
  void OnAppLimited(size_t bytes_in_flight) override;
  void OnSpuriousLoss(uint64_t packet_number, absl::Time sent_time, absl::Time now) override;

  size_t CongestionWindow() const override { return static_cast<size_t>(cwnd_); }
  std::string_view StateName() const override;
  bool InSlowStart() const override { return !InRecovery() && cwnd_ < ssthresh_; }
  size_t SlowStartThreshold() const override;

  // RFC 9438 §4.2 eq. 1 and eq. 2, in segments and seconds.
  static double CubicWindow(double t_seconds, double k_seconds, double w_max_segments);
  static double ComputeK(double w_max_segments, double cwnd_epoch_segments);

  // Inspection (tests, qlog).
  bool InRecovery() const { return in_recovery_; }
  double w_max_segments() const { return w_max_; }
  double k_seconds() const { return k_; }
  double w_est_segments() const { return w_est_; }
  double cwnd_prior_segments() const { return cwnd_prior_; }
  double cwnd_epoch_segments() const { return cwnd_epoch_; }
  double alpha() const { return alpha_; }
  std::optional<absl::Time> epoch_start() const { return epoch_start_; }
  // True when the last congestion-avoidance ACK set cwnd from W_est (RFC 9438 §4.3).
  bool in_reno_friendly_region() const { return reno_friendly_; }
  const HyStartPlusPlus& hystart() const { return hystart_; }
  size_t max_datagram_size() const { return max_datagram_size_; }

 private:
  struct UndoState {
    double cwnd = 0;
    double cwnd_prior = 0;
    double ssthresh = 0;
    double w_max = 0;
    double k = 0;
    std::optional<absl::Time> epoch_start;
    double w_est = 0;
    double alpha = 0;
    std::optional<absl::Time> app_limited_since;
  };

  double Segments(double bytes) const { return bytes / static_cast<double>(max_datagram_size_); }
  bool WasWindowLimited() const;
  // RFC 9438 §4.6-§4.7 on loss (is_loss) or ECN-CE.
  void OnCongestion(absl::Time sent_time, absl::Time now, bool is_loss);
  void SlowStartAck(const AckEvent& ev, size_t acked_bytes, uint64_t largest_acked);
  void CongestionAvoidanceAck(absl::Time now, size_t acked_bytes, absl::Duration rtt);
  // Starts a congestion avoidance stage (RFC 9438 §4.2, §4.8, §4.10).
  void StartEpoch(absl::Time now);

  const Options options_;
  const size_t max_datagram_size_;
  const double minimum_window_;  // bytes
  double cwnd_;                  // bytes
  double ssthresh_;              // bytes; infinity before the first reduction

  // RFC 9438 §4.1.2 variables, in segments and seconds.
  double cwnd_prior_ = 0;
  double w_max_ = 0;  // 0: none yet (CA after HyStart++ or a timeout starts with K = 0)
  double k_ = 0;
  double cwnd_epoch_ = 0;
  double w_est_ = 0;
  double alpha_ = kAlpha;
  std::optional<absl::Time> epoch_start_;
  bool reno_friendly_ = false;

  // Start of the latest recovery period. Kept after recovery ends: a later loss of a packet sent
  // before it belongs to the same congestion event (RFC 9002 Appendix B.5).
  std::optional<absl::Time> recovery_start_time_;
  bool in_recovery_ = false;
  HyStartPlusPlus hystart_;

  // Window-limited tracking (RFC 9002 §7.8).
  size_t max_bytes_in_flight_ = 0;
  bool app_limited_ = false;
  // Start of an application-limited spell inside congestion avoidance, to shift t_epoch.
  std::optional<absl::Time> app_limited_since_;

  // RFC 9438 §4.9.2: state before the latest loss-triggered reduction, and the packets whose
  // loss belongs to that recovery episode; undone once all of them proved spurious.
  std::optional<UndoState> undo_;
  std::vector<std::pair<uint64_t, absl::Time>> episode_lost_;
  bool episode_undo_possible_ = false;
};

}  // namespace kite::congestion

#endif  // KITE_CONGESTION_CUBIC_CUBIC_H_
