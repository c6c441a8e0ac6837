// A ConnectionObserver that keeps what the congestion simulator reports about one flow's sender:
// packet and loss counts, the latest recovery metrics (RFC 9002 §5 RTT state, cwnd, bytes in
// flight) and, optionally, every RTT sample, from which the report takes percentiles.
#ifndef KITE_QUIC_SIM_FLOW_RECORDER_H_
#define KITE_QUIC_SIM_FLOW_RECORDER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "quic/connection/connection_observer.h"

namespace kite::quic::sim {

// Upper bound on stored RTT samples per flow (about one per ACK frame): a 60 s, 1 Gbit/s run
// stays far below it, and a runaway run cannot exhaust memory.
inline constexpr size_t kMaxRecordedRttSamples = size_t{1} << 24;

class FlowRecorder : public ConnectionObserver {
 public:
  explicit FlowRecorder(bool keep_rtt_samples) : keep_rtt_samples_(keep_rtt_samples) {}

  void OnPacketSent(absl::Time now, const PacketInfo& packet) override;
  void OnPacketLost(absl::Time now, PacketType type, uint64_t pn, size_t bytes) override;
  void OnRecoveryMetrics(absl::Time now, uint64_t cwnd, uint64_t bytes_in_flight,
                         absl::Duration smoothed_rtt, absl::Duration min_rtt,
                         absl::Duration latest_rtt, absl::Duration rttvar,
                         uint32_t pto_count) override;
  void OnCongestionStateChanged(absl::Time now, std::string_view state) override;

  uint64_t packets_sent() const { return packets_sent_; }
  uint64_t bytes_sent() const { return bytes_sent_; }
  uint64_t packets_lost() const { return packets_lost_; }
  uint64_t bytes_lost() const { return bytes_lost_; }
  uint64_t cwnd() const { return cwnd_; }
  uint64_t bytes_in_flight() const { return bytes_in_flight_; }
  absl::Duration smoothed_rtt() const { return smoothed_rtt_; }
  absl::Duration min_rtt() const { return min_rtt_; }
  absl::Duration latest_rtt() const { return latest_rtt_; }
  const std::string& congestion_state() const { return congestion_state_; }
  // Latest RTT of every ACK that produced a new sample, in milliseconds.
  std::vector<float>& rtt_samples_ms() { return rtt_samples_ms_; }

 private:
  const bool keep_rtt_samples_;
  uint64_t packets_sent_ = 0;
  uint64_t bytes_sent_ = 0;
  uint64_t packets_lost_ = 0;
  uint64_t bytes_lost_ = 0;
  uint64_t cwnd_ = 0;
  uint64_t bytes_in_flight_ = 0;
  absl::Duration smoothed_rtt_ = absl::ZeroDuration();
  absl::Duration min_rtt_ = absl::ZeroDuration();
  absl::Duration latest_rtt_ = absl::ZeroDuration();
  absl::Time last_metrics_ = absl::InfinitePast();
  std::string congestion_state_;
  std::vector<float> rtt_samples_ms_;
};

}  // namespace kite::quic::sim

#endif  // KITE_QUIC_SIM_FLOW_RECORDER_H_
