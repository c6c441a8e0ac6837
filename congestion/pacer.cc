#include "congestion/pacer.h"

#include <algorithm>
#include <cmath>

namespace kite::congestion {

Pacer::Pacer(size_t max_datagram_size, size_t burst_packets)
    : max_datagram_size_(std::max<size_t>(max_datagram_size, 1)),
      burst_packets_(std::max<size_t>(burst_packets, 1)),
      tokens_(static_cast<double>(burst_bytes())) {}

uint64_t Pacer::WindowBasedRate(size_t congestion_window, absl::Duration smoothed_rtt) {
  if (smoothed_rtt <= absl::ZeroDuration()) smoothed_rtt = absl::Milliseconds(1);
  double rate = kWindowRateMultiplier * static_cast<double>(congestion_window) /
                absl::ToDoubleSeconds(smoothed_rtt);
  if (rate >= 1.8e19) return UINT64_MAX;
  return std::max<uint64_t>(static_cast<uint64_t>(rate), 1);
}

double Pacer::TokensAt(absl::Time now) const {
  double capacity = static_cast<double>(burst_bytes());
  if (rate_ == 0) return capacity;
  if (last_update_ == absl::InfinitePast()) return tokens_;
  // Asked again at the same time (a packet is sent right after the rate is set, and the send
  // path asks when the next one may go): nothing has accrued, and the double division is skipped.
  if (now <= last_update_) return std::min(capacity, tokens_);
  double elapsed = absl::ToDoubleSeconds(std::max(absl::ZeroDuration(), now - last_update_));
  return std::min(capacity, tokens_ + elapsed * static_cast<double>(rate_));
}

void Pacer::SetRate(absl::Time now, uint64_t bytes_per_second) {
  tokens_ = TokensAt(now);
  last_update_ = now;
  rate_ = bytes_per_second;
}

void Pacer::SetMaxDatagramSize(size_t max_datagram_size) {
  max_datagram_size_ = std::max<size_t>(max_datagram_size, 1);
  tokens_ = std::min(tokens_, static_cast<double>(burst_bytes()));
}

void Pacer::SetBurstPackets(size_t burst_packets) {
  burst_packets_ = std::max<size_t>(burst_packets, 1);
  tokens_ = std::min(tokens_, static_cast<double>(burst_bytes()));
}

void Pacer::OnPacketSent(absl::Time now, size_t bytes) {
  double floor = -static_cast<double>(burst_bytes());
  tokens_ = std::max(floor, TokensAt(now) - static_cast<double>(bytes));
  last_update_ = now;
}

absl::Time Pacer::NextSendTime(absl::Time now) const {
  if (rate_ == 0) return now;
  double tokens = TokensAt(now);
  double needed = static_cast<double>(max_datagram_size_) - tokens;
  // Tolerate floating-point dust so that waiting exactly the computed delay always suffices.
  if (needed <= 1e-6) return now;
  double wait_ns = std::ceil(needed * 1e9 / static_cast<double>(rate_));
  return now + absl::Nanoseconds(static_cast<int64_t>(std::min(wait_ns, 9.0e18)));
}

}  // namespace kite::congestion
