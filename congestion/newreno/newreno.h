// NewReno congestion control as specified in RFC 9002 §7 and Appendix B: slow start, a recovery
// period keyed on the send time of packets (one reduction per round trip), congestion avoidance
// with one datagram per window acknowledged, ECN-CE as a congestion signal and persistent
// congestion collapsing the window to the minimum. Registered as "newreno".
#ifndef KITE_CONGESTION_NEWRENO_NEWRENO_H_
#define KITE_CONGESTION_NEWRENO_NEWRENO_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/time/time.h"
#include "congestion/congestion_controller.h"

namespace kite::congestion {

class NewReno : public CongestionController {
 public:
  static constexpr std::string_view kName = "newreno";
  // RFC 9002 §7.3.2 / Appendix B.1 kLossReductionFactor, as a ratio.
  static constexpr size_t kLossReductionNumerator = 1;
  static constexpr size_t kLossReductionDenominator = 2;

  explicit NewReno(const ControllerParams& params);

  void OnPacketSent(absl::Time sent_time, uint64_t packet_number, size_t bytes,
                    size_t bytes_in_flight_before, bool is_retransmittable) override;
  void OnCongestionEvent(const AckEvent& ev) override;
  void OnPersistentCongestion(absl::Time now) override;
  void OnAppLimited(size_t bytes_in_flight) override;

  size_t CongestionWindow() const override { return congestion_window_; }
  std::string_view StateName() const override;
  bool InSlowStart() const override {
    return !recovery_start_time_.has_value() && congestion_window_ < ssthresh_;
  }
  size_t SlowStartThreshold() const override { return ssthresh_; }

  bool InRecovery() const { return recovery_start_time_.has_value(); }

 private:
  // RFC 9002 Appendix B.5 InCongestionRecovery.
  bool SentDuringRecoveryPeriod(absl::Time sent_time) const {
    return recovery_start_time_.has_value() && sent_time <= *recovery_start_time_;
  }
  // Appendix B.6 OnCongestionEvent.
  void MaybeEnterRecovery(absl::Time sent_time, absl::Time now);
  void OnPacketAcked(const AckedPacket& packet);
  // RFC 9002 §7.8: the window grows only while it is the limit on sending.
  bool WasWindowLimited() const;

  size_t max_datagram_size_;
  size_t minimum_window_;
  size_t congestion_window_;
  size_t ssthresh_ = SIZE_MAX;
  // Start of the current recovery period; cleared when a packet sent after it is acknowledged.
  std::optional<absl::Time> recovery_start_time_;
  // Congestion avoidance byte counter (RFC 3465 §2.1, suggested by RFC 9002 Appendix B.5).
  size_t bytes_acked_in_avoidance_ = 0;
  // Most bytes in flight seen since the previous ACK event; tells whether the window limited
  // sending during the round the ACK reports on.
  size_t max_bytes_in_flight_ = 0;
  bool app_limited_ = false;
};

}  // namespace kite::congestion

#endif  // KITE_CONGESTION_NEWRENO_NEWRENO_H_
