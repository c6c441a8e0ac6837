#include "quic/sim/flow_recorder.h"

namespace kite::quic::sim {

void FlowRecorder::OnPacketSent(absl::Time /*now*/, const PacketInfo& packet) {
  ++packets_sent_;
  bytes_sent_ += packet.size;
}

void FlowRecorder::OnPacketLost(absl::Time /*now*/, PacketType /*type*/, uint64_t /*pn*/,
                                size_t bytes) {
  ++packets_lost_;
  bytes_lost_ += bytes;
}

void FlowRecorder::OnRecoveryMetrics(absl::Time now, uint64_t cwnd, uint64_t bytes_in_flight,
                                     absl::Duration smoothed_rtt, absl::Duration min_rtt,
                                     absl::Duration latest_rtt, absl::Duration /*rttvar*/,
                                     uint32_t /*pto_count*/) {
  cwnd_ = cwnd;
  bytes_in_flight_ = bytes_in_flight;
  smoothed_rtt_ = smoothed_rtt;
  min_rtt_ = min_rtt;
  // One ACK frame yields at most one RTT sample (RFC 9002 §5.1); an ACK that acknowledged
  // nothing new repeats the previous latest_rtt, so a sample is kept only when the metrics moved
  // in time and the value is set.
  if (keep_rtt_samples_ && latest_rtt > absl::ZeroDuration() && now != last_metrics_ &&
      rtt_samples_ms_.size() < kMaxRecordedRttSamples) {
    rtt_samples_ms_.push_back(static_cast<float>(absl::ToDoubleMilliseconds(latest_rtt)));
  }
  latest_rtt_ = latest_rtt;
  last_metrics_ = now;
}

void FlowRecorder::OnCongestionStateChanged(absl::Time /*now*/, std::string_view state) {
  congestion_state_.assign(state.data(), state.size());
}

}  // namespace kite::quic::sim
