// What loss recovery reports to observers (qlog's recovery events, tests, ccbench). Every method
// has an empty default so an observer overrides only what it records.
#ifndef KITE_QUIC_RECOVERY_RECOVERY_OBSERVER_H_
#define KITE_QUIC_RECOVERY_RECOVERY_OBSERVER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/time/time.h"
#include "tls/encryption_level.h"

namespace kite::quic {

// Why a packet was declared lost (qlog recovery:packet_lost trigger).
enum class LossTrigger : uint8_t {
  kPacketThreshold,  // qlog "reordering_threshold", RFC 9002 §6.1.1
  kTimeThreshold,    // qlog "time_threshold", RFC 9002 §6.1.2
};

constexpr std::string_view LossTriggerName(LossTrigger t) {
  return t == LossTrigger::kPacketThreshold ? "reordering_threshold" : "time_threshold";
}

// qlog recovery:metrics_updated.
struct RecoveryMetrics {
  size_t congestion_window = 0;
  size_t bytes_in_flight = 0;
  absl::Duration smoothed_rtt = absl::ZeroDuration();
  absl::Duration min_rtt = absl::ZeroDuration();
  absl::Duration latest_rtt = absl::ZeroDuration();
  absl::Duration rttvar = absl::ZeroDuration();
  uint64_t pacing_rate_bytes_per_second = 0;
  uint32_t pto_count = 0;
};

class RecoveryObserver {
 public:
  virtual ~RecoveryObserver() = default;
  virtual void OnMetricsUpdated(const RecoveryMetrics& metrics) { (void)metrics; }
  virtual void OnPacketLost(tls::PacketNumberSpace space, uint64_t packet_number, size_t bytes,
                            LossTrigger trigger) {
    (void)space;
    (void)packet_number;
    (void)bytes;
    (void)trigger;
  }
  // The controller's StateName() changed (qlog recovery:congestion_state_updated).
  virtual void OnCongestionStateChanged(std::string_view new_state) { (void)new_state; }
};

}  // namespace kite::quic

#endif  // KITE_QUIC_RECOVERY_RECOVERY_OBSERVER_H_
