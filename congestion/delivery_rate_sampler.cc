#include "congestion/delivery_rate_sampler.h"

#include <algorithm>

#include "absl/numeric/int128.h"

namespace kite::congestion {

DeliverySnapshot DeliveryRateSampler::OnPacketSent(absl::Time sent_time,
                                                   size_t bytes_in_flight_before, size_t bytes) {
  // With nothing in flight the sampling interval may start now: any later ACK shows the network
  // delivered the data between now and then.
  if (bytes_in_flight_before == 0) {
    first_sent_time_ = sent_time;
    delivered_time_ = sent_time;
  }
  DeliverySnapshot s;
  s.delivered = delivered_;
  s.delivered_time = delivered_time_;
  s.first_sent_time = first_sent_time_;
  s.is_app_limited = app_limited_until_ != 0;
  s.tx_in_flight = static_cast<uint64_t>(bytes_in_flight_before) + bytes;
  s.lost = lost_;
  return s;
}

void DeliveryRateSampler::OnPacketAcked(absl::Time now, uint64_t packet_number,
                                        absl::Time sent_time, size_t bytes,
                                        const DeliverySnapshot& snapshot) {
  delivered_ += bytes;
  delivered_time_ = now;
  pending_.newly_acked += bytes;
  // Use the most recently sent packet among those acknowledged (IsNewestPacket).
  bool newest = !pending_.has_data || sent_time > first_sent_time_ ||
                (sent_time == first_sent_time_ && packet_number > pending_.last_acked_packet_number);
  if (!newest) return;
  pending_.has_data = true;
  pending_.prior_delivered = snapshot.delivered;
  pending_.prior_time = snapshot.delivered_time;
  pending_.is_app_limited = snapshot.is_app_limited;
  // A snapshot taken by a sampler that never saw an empty pipe has no start time; such a
  // packet yields no interval rather than an infinite one.
  bool has_start = snapshot.first_sent_time != absl::InfinitePast() &&
                   snapshot.delivered_time != absl::InfinitePast();
  pending_.send_elapsed = has_start ? std::max(absl::ZeroDuration(),
                                               sent_time - snapshot.first_sent_time)
                                    : absl::ZeroDuration();
  pending_.ack_elapsed = has_start ? std::max(absl::ZeroDuration(),
                                              delivered_time_ - snapshot.delivered_time)
                                   : absl::ZeroDuration();
  pending_.tx_in_flight = snapshot.tx_in_flight;
  pending_.lost = lost_ >= snapshot.lost ? lost_ - snapshot.lost : 0;
  pending_.last_acked_packet_number = packet_number;
  first_sent_time_ = sent_time;
}

void DeliveryRateSampler::OnPacketLost(size_t bytes) {
  lost_ += bytes;
  pending_.newly_lost += bytes;
}

RateSample DeliveryRateSampler::GenerateSample(absl::Duration min_rtt) {
  RateSample rs = pending_;
  pending_ = RateSample();
  // The application-limited bubble has left the pipe once everything in flight when it was
  // marked has been delivered.
  if (app_limited_until_ != 0 && delivered_ > app_limited_until_) app_limited_until_ = 0;
  if (!rs.has_data) return rs;
  rs.interval = std::max(rs.send_elapsed, rs.ack_elapsed);
  rs.delivered = delivered_ - rs.prior_delivered;
  // An interval shorter than min_rtt cannot be trusted (ACK compression); report the delivered
  // volume but no rate.
  if (rs.interval < min_rtt || rs.interval <= absl::ZeroDuration()) return rs;
  int64_t interval_ns = absl::ToInt64Nanoseconds(rs.interval);
  if (interval_ns <= 0) return rs;
  absl::uint128 rate = absl::uint128(rs.delivered) * 1000000000u / static_cast<uint64_t>(interval_ns);
  rs.delivery_rate_bytes_per_second =
      rate > absl::uint128(UINT64_MAX) ? UINT64_MAX : absl::Uint128Low64(rate);
  rs.has_rate = true;
  return rs;
}

void DeliveryRateSampler::OnAppLimited(size_t bytes_in_flight) {
  app_limited_until_ = std::max<uint64_t>(delivered_ + bytes_in_flight, 1);
}

}  // namespace kite::congestion
