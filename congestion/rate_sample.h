// Delivery-rate sampling types (draft-cheng-iccrg-delivery-rate-estimation; the BBR draft,
// draft-ietf-ccwg-bbr §4.1 "Delivery Rate Samples"). Shared by the sampler, which fills them,
// and by every controller, which only reads them.
#ifndef KITE_CONGESTION_RATE_SAMPLE_H_
#define KITE_CONGESTION_RATE_SAMPLE_H_

#include <cstdint>

#include "absl/time/time.h"

namespace kite::congestion {

// Per-packet state ("P.*" in the BBR draft) snapshotted when a packet is sent and stored with
// the sent packet until it is acknowledged or declared lost.
struct DeliverySnapshot {
  uint64_t delivered = 0;                            // P.delivered: C.delivered at send
  absl::Time delivered_time = absl::InfinitePast();  // P.delivered_time
  absl::Time first_sent_time = absl::InfinitePast(); // P.first_send_time
  bool is_app_limited = false;                       // P.is_app_limited
  uint64_t tx_in_flight = 0;                         // P.tx_in_flight, includes this packet
  uint64_t lost = 0;                                 // P.lost: C.lost at send
};

// The per-ACK rate sample ("RS.*"). Computed once per ACK by the connection's sampler.
struct RateSample {
  // True when the fields below describe at least one newly delivered packet.
  bool has_data = false;
  // True when delivery_rate_bytes_per_second is a usable bandwidth sample: something was
  // delivered and the interval was not shorter than min_rtt (BBR draft GenerateRateSample).
  bool has_rate = false;
  uint64_t delivered = 0;  // bytes delivered over `interval`
  absl::Duration interval = absl::ZeroDuration();
  uint64_t delivery_rate_bytes_per_second = 0;
  bool is_app_limited = false;
  uint64_t prior_delivered = 0;  // P.delivered of the most recently sent acked packet
  absl::Time prior_time = absl::InfinitePast();
  absl::Duration send_elapsed = absl::ZeroDuration();
  absl::Duration ack_elapsed = absl::ZeroDuration();
  uint64_t tx_in_flight = 0;  // bytes in flight when that packet was sent
  uint64_t lost = 0;          // bytes declared lost between its send and its ack
  uint64_t newly_acked = 0;   // bytes newly acknowledged by this ACK
  uint64_t newly_lost = 0;    // bytes newly declared lost by this ACK
  uint64_t last_acked_packet_number = 0;
};

}  // namespace kite::congestion

#endif  // KITE_CONGESTION_RATE_SAMPLE_H_
