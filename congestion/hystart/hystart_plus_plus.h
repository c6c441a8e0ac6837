// HyStart++ (RFC 9406): a slow start that leaves exponential growth when the round's minimum
// RTT rises by a threshold, spends up to CSS_ROUNDS rounds in Conservative Slow Start (CSS)
// growing a quarter as fast, returns to slow start if the RTT rise proves spurious, and ends in
// congestion avoidance after CSS. Usable by any window-based controller (CUBIC, NewReno): the
// controller asks it how much to grow per ACK and whether slow start has ended.
//
// Rounds (RFC 9406 §4.2) are delimited by packet numbers: a round ends when a packet sent at or
// after `window_end` (the next packet number at the start of the round) is acknowledged.
#ifndef KITE_CONGESTION_HYSTART_HYSTART_PLUS_PLUS_H_
#define KITE_CONGESTION_HYSTART_HYSTART_PLUS_PLUS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/time/time.h"

namespace kite::congestion {

class HyStartPlusPlus {
 public:
  // RFC 9406 §4.3 constants.
  static constexpr absl::Duration kMinRttThresh = absl::Milliseconds(4);
  static constexpr absl::Duration kMaxRttThresh = absl::Milliseconds(16);
  static constexpr int64_t kMinRttDivisor = 8;
  static constexpr uint32_t kNRttSample = 8;
  static constexpr size_t kCssGrowthDivisor = 4;
  static constexpr uint32_t kCssRounds = 5;
  // L, the per-ACK growth cap in datagrams when sending is not paced (§4.3).
  static constexpr size_t kUnpacedGrowthCapPackets = 8;

  enum class Phase {
    kSlowStart,              // standard slow start with the delay check
    kConservativeSlowStart,  // CSS
    kDone,                   // slow start is over (CSS rounds done, loss, or ECN-CE)
  };

  // `paced`: the sender paces (RFC 9406 §4.3: L = infinity), as kite's always does.
  explicit HyStartPlusPlus(bool paced = true) : paced_(paced) {}

  // Every packet sent; its number (one packet number space at a time) becomes the end of the
  // next round when one starts.
  void OnPacketSent(uint64_t packet_number);

  // One ACK during slow start or CSS, before growing the window: `largest_acked` is the largest
  // packet number it newly acknowledged, `rtt_sample` the RTT sample it produced, if any.
  // Returns true when this ACK ended CSS (CSS_ROUNDS completed): the caller then sets
  // ssthresh = cwnd and enters congestion avoidance.
  bool OnAck(uint64_t largest_acked, std::optional<absl::Duration> rtt_sample);

  // Bytes by which to grow cwnd for `newly_acked` bytes (§4.2: min(N, L*SMSS), divided by
  // CSS_GROWTH_DIVISOR in CSS). Zero once done.
  size_t Growth(size_t newly_acked, size_t max_datagram_size) const;

  // Loss or ECN-CE in slow start or CSS ends both (§4.2); the controller's own reduction follows.
  void OnCongestion() { phase_ = Phase::kDone; }

  // §4.2 "the delay threshold": max(MIN_RTT_THRESH, min(last_round_min / 8, MAX_RTT_THRESH)).
  static absl::Duration RttThreshold(absl::Duration last_round_min_rtt);

  Phase phase() const { return phase_; }
  bool in_css() const { return phase_ == Phase::kConservativeSlowStart; }
  bool done() const { return phase_ == Phase::kDone; }
  uint64_t rounds() const { return rounds_; }
  uint32_t css_rounds() const { return css_rounds_; }
  uint32_t rtt_sample_count() const { return rtt_sample_count_; }
  std::optional<absl::Duration> current_round_min_rtt() const { return current_round_min_rtt_; }
  std::optional<absl::Duration> last_round_min_rtt() const { return last_round_min_rtt_; }
  std::optional<absl::Duration> css_baseline_min_rtt() const { return css_baseline_min_rtt_; }
  std::string_view PhaseName() const;

 private:
  void StartRound();

  bool paced_;
  Phase phase_ = Phase::kSlowStart;
  // Next packet number to be sent (for windowEnd) and the current round's end marker.
  uint64_t next_packet_number_ = 0;
  std::optional<uint64_t> window_end_;
  uint64_t rounds_ = 0;
  // nullopt stands for the RFC's "infinity".
  std::optional<absl::Duration> last_round_min_rtt_;
  std::optional<absl::Duration> current_round_min_rtt_;
  uint32_t rtt_sample_count_ = 0;
  std::optional<absl::Duration> css_baseline_min_rtt_;
  uint32_t css_rounds_ = 0;  // rounds ended while in CSS
};

}  // namespace kite::congestion

#endif  // KITE_CONGESTION_HYSTART_HYSTART_PLUS_PLUS_H_
