// Per-connection delivery-rate estimation (draft-cheng-iccrg-delivery-rate-estimation, as
// restated in draft-ietf-ccwg-bbr §4.1.1-§4.1.2). The loss-recovery layer calls it once per
// in-flight packet sent, acknowledged or lost, and once per ACK to produce the RateSample handed
// to every controller, so no controller needs a private sampler.
#ifndef KITE_CONGESTION_DELIVERY_RATE_SAMPLER_H_
#define KITE_CONGESTION_DELIVERY_RATE_SAMPLER_H_

#include <cstddef>
#include <cstdint>

#include "absl/time/time.h"
#include "congestion/rate_sample.h"

namespace kite::congestion {

class DeliveryRateSampler {
 public:
  DeliveryRateSampler() = default;

  // Snapshot to store with the packet ("Transmitting a data packet"). `bytes_in_flight_before`
  // excludes the packet being sent.
  DeliverySnapshot OnPacketSent(absl::Time sent_time, size_t bytes_in_flight_before,
                                size_t bytes);

  // One call per newly acknowledged in-flight packet of the ACK being processed
  // ("UpdateRateSample").
  void OnPacketAcked(absl::Time now, uint64_t packet_number, absl::Time sent_time, size_t bytes,
                     const DeliverySnapshot& snapshot);

  // One call per in-flight packet newly declared lost.
  void OnPacketLost(size_t bytes);

  // Finishes the sample for the ACK (or loss timeout) just processed and starts a new one
  // ("GenerateRateSample"). `min_rtt` of zero means no RTT sample yet.
  RateSample GenerateSample(absl::Duration min_rtt);

  // "MarkConnectionAppLimited": the sender ran out of data while the window was open. Samples
  // until the data in flight now has been delivered are marked application-limited.
  void OnAppLimited(size_t bytes_in_flight);

  uint64_t delivered() const { return delivered_; }
  uint64_t lost() const { return lost_; }
  bool is_app_limited() const { return app_limited_until_ != 0; }

 private:
  // Connection state ("C.*").
  uint64_t delivered_ = 0;
  absl::Time delivered_time_ = absl::InfinitePast();
  absl::Time first_sent_time_ = absl::InfinitePast();
  uint64_t app_limited_until_ = 0;  // C.app_limited
  uint64_t lost_ = 0;

  // The sample being built for the current ACK.
  RateSample pending_;
};

}  // namespace kite::congestion

#endif  // KITE_CONGESTION_DELIVERY_RATE_SAMPLER_H_
