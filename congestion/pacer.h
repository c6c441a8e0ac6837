// Pacing (RFC 9002 §7.7), independent of any controller: a token bucket of at most
// `burst_packets` datagrams refilled at the pacing rate. The rate is the controller's own
// (PacingRateBytesPerSecond) or, for window-based controllers, 1.25 * cwnd / smoothed_rtt. A
// full bucket after idle allows a burst of the initial window (10 packets), which §7.7 permits.
// Pure ACK packets are not paced (§7.7); the caller does not report them here.
#ifndef KITE_CONGESTION_PACER_H_
#define KITE_CONGESTION_PACER_H_

#include <cstddef>
#include <cstdint>

#include "absl/time/time.h"

namespace kite::congestion {

class Pacer {
 public:
  static constexpr size_t kDefaultBurstPackets = 10;
  // RFC 9002 §7.7 "N": a little above 1 so RTT variation does not leave the window unused.
  static constexpr double kWindowRateMultiplier = 1.25;

  explicit Pacer(size_t max_datagram_size = 1200, size_t burst_packets = kDefaultBurstPackets);

  // 1.25 * cwnd / srtt in bytes per second; a zero or negative srtt is treated as 1 ms.
  static uint64_t WindowBasedRate(size_t congestion_window, absl::Duration smoothed_rtt);

  // Changes the refill rate from `now` on; 0 disables pacing.
  void SetRate(absl::Time now, uint64_t bytes_per_second);
  void SetMaxDatagramSize(size_t max_datagram_size);
  void SetBurstPackets(size_t burst_packets);

  void OnPacketSent(absl::Time now, size_t bytes);

  // The earliest time a full-sized datagram may leave; `now` if it may leave now.
  absl::Time NextSendTime(absl::Time now) const;

  uint64_t rate() const { return rate_; }
  size_t burst_bytes() const { return burst_packets_ * max_datagram_size_; }

 private:
  double TokensAt(absl::Time now) const;

  size_t max_datagram_size_;
  size_t burst_packets_;
  uint64_t rate_ = 0;
  // Bytes that may be sent without waiting; negative after packets that bypassed pacing (PTO
  // probes), bounded below by -burst_bytes().
  double tokens_;
  absl::Time last_update_ = absl::InfinitePast();
};

}  // namespace kite::congestion

#endif  // KITE_CONGESTION_PACER_H_
