// The congestion-controller interface (RFC 9002 §7 for the signals; the BBR draft for the rate
// sample). A controller sees one call per packet sent and one per ACK frame (or per loss timer
// expiry); it owns the congestion window and, optionally, a pacing rate. It never reads a clock
// and knows nothing of frames or packet number spaces.
#ifndef KITE_CONGESTION_CONGESTION_CONTROLLER_H_
#define KITE_CONGESTION_CONGESTION_CONTROLLER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "congestion/rate_sample.h"

namespace kite::congestion {

struct ControllerParams {
  size_t max_datagram_size = 1200;
  size_t initial_window_packets = 10;  // RFC 9002 §7.2
  size_t minimum_window_packets = 2;   // RFC 9002 §7.2 kMinimumWindow
  // Seeds a controller's randomized choices (BBR's bandwidth-probe wait, BBRv1's starting gain
  // phase). A connection draws it from its injected randomness, so flows sharing a bottleneck do
  // not probe in lockstep and a seeded simulation still replays exactly.
  uint64_t random_seed = 0x6b697465;  // "kite"
};

// RFC 9002 §7.2: ten datagrams, limited to max(14720, 2 * max_datagram_size) bytes.
inline size_t InitialWindowBytes(const ControllerParams& p) {
  size_t window = p.initial_window_packets * p.max_datagram_size;
  size_t limit = 14720 > 2 * p.max_datagram_size ? 14720 : 2 * p.max_datagram_size;
  return window < limit ? window : limit;
}

inline size_t MinimumWindowBytes(const ControllerParams& p) {
  return p.minimum_window_packets * p.max_datagram_size;
}

// A newly acknowledged packet that counted toward bytes in flight.
struct AckedPacket {
  uint64_t packet_number = 0;
  size_t bytes = 0;
  absl::Time sent_time;
};

// A packet newly declared lost that counted toward bytes in flight.
struct LostPacket {
  uint64_t packet_number = 0;
  size_t bytes = 0;
  absl::Time sent_time;
};

// RTT state after this event was processed (RFC 9002 §5).
struct RttState {
  bool has_sample = false;
  absl::Duration latest_rtt = absl::ZeroDuration();
  absl::Duration smoothed_rtt = absl::ZeroDuration();
  absl::Duration min_rtt = absl::ZeroDuration();
  absl::Duration rttvar = absl::ZeroDuration();
};

// Everything one ACK frame (or one time-threshold loss timeout, then with `acked` empty) told
// the sender. Lists hold only packets that were in flight, in ascending packet number order.
struct AckEvent {
  absl::Time now;
  std::vector<AckedPacket> acked;
  std::vector<LostPacket> lost;
  size_t prior_bytes_in_flight = 0;
  size_t bytes_in_flight = 0;
  // Increase of the peer-reported ECN-CE count in the acknowledged space (RFC 9002 §7.1,
  // RFC 9000 §13.4.2); zero when ECN is not in use or validation failed.
  uint64_t ecn_ce_delta = 0;
  // Send time of the largest newly acknowledged packet: RFC 9002 Appendix B.7 keys the
  // recovery period that an ECN-CE increase starts on it.
  absl::Time largest_acked_sent_time = absl::InfinitePast();
  RttState rtt;
  RateSample rate_sample;
};

class CongestionController {
 public:
  virtual ~CongestionController() = default;

  // Called for every packet that counts toward bytes in flight, before it is added.
  virtual void OnPacketSent(absl::Time sent_time, uint64_t packet_number, size_t bytes,
                            size_t bytes_in_flight_before, bool is_retransmittable) = 0;

  // One call per received ACK frame that newly acknowledged or declared lost something, and one
  // per time-threshold loss detected by the loss timer.
  virtual void OnCongestionEvent(const AckEvent& ev) = 0;

  // RFC 9002 §7.6: called after the OnCongestionEvent carrying the losses that established it.
  virtual void OnPersistentCongestion(absl::Time now) = 0;

  // The sender had nothing to send while the window allowed it (RFC 9002 §7.8).
  virtual void OnAppLimited(size_t bytes_in_flight) { (void)bytes_in_flight; }

  // A packet previously declared lost was acknowledged after all; controllers that can undo a
  // reduction (BBR, CUBIC) override this.
  virtual void OnSpuriousLoss(uint64_t packet_number, absl::Time sent_time, absl::Time now) {
    (void)packet_number;
    (void)sent_time;
    (void)now;
  }

  // A packet number space was discarded (RFC 9002 §6.4): `bytes` left flight with neither an
  // acknowledgment nor a loss.
  virtual void OnPacketsDiscarded(size_t bytes) { (void)bytes; }

  virtual size_t CongestionWindow() const = 0;
  // nullopt: the pacer falls back to 1.25 * cwnd / smoothed_rtt (RFC 9002 §7.7).
  virtual std::optional<uint64_t> PacingRateBytesPerSecond() const { return std::nullopt; }
  // The qlog recovery:congestion_state_updated name of the current state, e.g. "slow_start",
  // "congestion_avoidance", "recovery", "application_limited".
  virtual std::string_view StateName() const = 0;
  virtual bool InSlowStart() const { return false; }
  virtual size_t SlowStartThreshold() const { return SIZE_MAX; }
};

}  // namespace kite::congestion

#endif  // KITE_CONGESTION_CONGESTION_CONTROLLER_H_
