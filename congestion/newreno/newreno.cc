#include "congestion/newreno/newreno.h"

#include <algorithm>
#include <memory>

#include "congestion/registry.h"

namespace kite::congestion {
namespace {

const ControllerRegistrar kNewRenoRegistrar(std::string(NewReno::kName),
                                            [](const ControllerParams& params) {
                                              return std::make_unique<NewReno>(params);
                                            });

}  // namespace

NewReno::NewReno(const ControllerParams& params)
    : max_datagram_size_(std::max<size_t>(params.max_datagram_size, 1)),
      minimum_window_(std::max<size_t>(MinimumWindowBytes(params), max_datagram_size_)),
      congestion_window_(std::max(InitialWindowBytes(params), minimum_window_)) {}

void NewReno::OnPacketSent(absl::Time sent_time, uint64_t packet_number, size_t bytes,
                           size_t bytes_in_flight_before, bool is_retransmittable) {
  (void)sent_time;
  (void)packet_number;
  (void)is_retransmittable;
  max_bytes_in_flight_ = std::max(max_bytes_in_flight_, bytes_in_flight_before + bytes);
  app_limited_ = false;
}

void NewReno::OnAppLimited(size_t bytes_in_flight) {
  (void)bytes_in_flight;
  app_limited_ = true;
}

bool NewReno::WasWindowLimited() const {
  if (app_limited_) return false;
  // Within three datagrams of the window counts as full: the sender may not have had a packet
  // that fit exactly. In slow start, half a window in flight suffices, since the window doubles
  // each round and the ACK clock cannot keep it full (as TCP implementations do).
  size_t slack = 3 * max_datagram_size_;
  if (max_bytes_in_flight_ + slack >= congestion_window_) return true;
  return InSlowStart() && 2 * max_bytes_in_flight_ >= congestion_window_;
}

void NewReno::MaybeEnterRecovery(absl::Time sent_time, absl::Time now) {
  // RFC 9002 §7.3.2: one reduction per recovery period.
  if (SentDuringRecoveryPeriod(sent_time)) return;
  recovery_start_time_ = now;
  ssthresh_ = congestion_window_ * kLossReductionNumerator / kLossReductionDenominator;
  congestion_window_ = std::max(ssthresh_, minimum_window_);
  bytes_acked_in_avoidance_ = 0;
}

void NewReno::OnPacketAcked(const AckedPacket& packet) {
  if (SentDuringRecoveryPeriod(packet.sent_time)) return;
  // §7.3.2: a packet sent during the recovery period was acknowledged; recovery ends.
  recovery_start_time_.reset();
  if (!WasWindowLimited()) return;
  if (congestion_window_ < ssthresh_) {
    // §7.3.1 slow start: grow by the bytes acknowledged.
    congestion_window_ += packet.bytes;
    return;
  }
  // §7.3.3 congestion avoidance: at most one datagram per window acknowledged.
  bytes_acked_in_avoidance_ += packet.bytes;
  if (bytes_acked_in_avoidance_ >= congestion_window_) {
    bytes_acked_in_avoidance_ -= congestion_window_;
    congestion_window_ += max_datagram_size_;
  }
}

void NewReno::OnCongestionEvent(const AckEvent& ev) {
  // Appendix B: ECN (ProcessECN) and losses (OnPacketsLost) are handled before the newly
  // acknowledged packets (OnPacketsAcked), so acknowledgments of packets sent before the new
  // recovery period do not grow the reduced window.
  if (ev.ecn_ce_delta > 0) MaybeEnterRecovery(ev.largest_acked_sent_time, ev.now);
  if (!ev.lost.empty()) {
    absl::Time last_loss_sent = ev.lost.front().sent_time;
    for (const LostPacket& p : ev.lost) last_loss_sent = std::max(last_loss_sent, p.sent_time);
    MaybeEnterRecovery(last_loss_sent, ev.now);
  }
  for (const AckedPacket& p : ev.acked) OnPacketAcked(p);
  max_bytes_in_flight_ = ev.bytes_in_flight;
}

void NewReno::OnPersistentCongestion(absl::Time now) {
  (void)now;
  // RFC 9002 §7.6.2 and Appendix B.8: collapse to the minimum window and leave recovery, so the
  // sender re-enters slow start (the window is now below ssthresh).
  congestion_window_ = minimum_window_;
  recovery_start_time_.reset();
  bytes_acked_in_avoidance_ = 0;
}

std::string_view NewReno::StateName() const {
  if (recovery_start_time_.has_value()) return "recovery";
  if (app_limited_) return "application_limited";
  if (congestion_window_ < ssthresh_) return "slow_start";
  return "congestion_avoidance";
}

}  // namespace kite::congestion
