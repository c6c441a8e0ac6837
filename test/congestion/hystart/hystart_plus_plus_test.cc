#include "congestion/hystart/hystart_plus_plus.h"

#include <catch2/catch.hpp>
#include <cstdint>

namespace kite::congestion {
namespace {

constexpr size_t kMss = 1200;

// Plays rounds of `acks` ACKs each against a HyStartPlusPlus: every round sends `acks` packets,
// then acknowledges them in order, each with the given RTT sample.
class RoundDriver {
 public:
  explicit RoundDriver(HyStartPlusPlus& h) : h_(h) {}

  // Returns true if an ACK of this round ended CSS.
  bool Round(absl::Duration rtt, int acks = 10) {
    uint64_t first = next_pn_;
    for (int i = 0; i < acks; ++i) h_.OnPacketSent(next_pn_++);
    bool ended = false;
    for (int i = 0; i < acks; ++i) ended = h_.OnAck(first + i, rtt) || ended;
    return ended;
  }

 private:
  HyStartPlusPlus& h_;
  uint64_t next_pn_ = 0;
};

TEST_CASE("hystart++ RTT threshold clamps between 4 and 16 ms", "[congestion][hystart]") {
  // RFC 9406 §4.2: max(MIN_RTT_THRESH, min(lastRoundMinRTT / 8, MAX_RTT_THRESH)).
  CHECK(HyStartPlusPlus::RttThreshold(absl::Milliseconds(10)) == absl::Milliseconds(4));
  CHECK(HyStartPlusPlus::RttThreshold(absl::Milliseconds(64)) == absl::Milliseconds(8));
  CHECK(HyStartPlusPlus::RttThreshold(absl::Milliseconds(200)) == absl::Milliseconds(16));
}

TEST_CASE("hystart++ enters CSS when the round minimum RTT rises by the threshold",
          "[congestion][hystart]") {
  HyStartPlusPlus h;
  RoundDriver d(h);
  d.Round(absl::Milliseconds(100));
  d.Round(absl::Milliseconds(100));
  CHECK(h.phase() == HyStartPlusPlus::Phase::kSlowStart);
  // Threshold for 100 ms is 12.5 ms: a rise of 12 ms is not enough.
  d.Round(absl::Milliseconds(112));
  CHECK(h.phase() == HyStartPlusPlus::Phase::kSlowStart);
  // Next round compares with 112 ms (threshold 14 ms): 126 ms is enough.
  d.Round(absl::Milliseconds(126));
  CHECK(h.phase() == HyStartPlusPlus::Phase::kConservativeSlowStart);
  REQUIRE(h.css_baseline_min_rtt().has_value());
  CHECK(*h.css_baseline_min_rtt() == absl::Milliseconds(126));
  CHECK(h.PhaseName() == "conservative_slow_start");
}

TEST_CASE("hystart++ needs N_RTT_SAMPLE samples in the round", "[congestion][hystart]") {
  HyStartPlusPlus h;
  RoundDriver d(h);
  d.Round(absl::Milliseconds(50), 8);
  // Seven samples of a much larger RTT: still slow start.
  d.Round(absl::Milliseconds(200), 7);
  CHECK(h.phase() == HyStartPlusPlus::Phase::kSlowStart);
  // With the eighth sample of a round, the check runs.
  d.Round(absl::Milliseconds(50), 8);
  d.Round(absl::Milliseconds(200), 8);
  CHECK(h.in_css());
}

TEST_CASE("hystart++ returns to slow start when the RTT falls below the CSS baseline",
          "[congestion][hystart]") {
  HyStartPlusPlus h;
  RoundDriver d(h);
  d.Round(absl::Milliseconds(40));
  d.Round(absl::Milliseconds(60));  // threshold 5 ms: CSS
  REQUIRE(h.in_css());
  d.Round(absl::Milliseconds(59));
  CHECK(h.phase() == HyStartPlusPlus::Phase::kSlowStart);
  CHECK_FALSE(h.css_baseline_min_rtt().has_value());
}

TEST_CASE("hystart++ ends after CSS_ROUNDS rounds of CSS", "[congestion][hystart]") {
  HyStartPlusPlus h;
  RoundDriver d(h);
  d.Round(absl::Milliseconds(40));
  d.Round(absl::Milliseconds(60));
  REQUIRE(h.in_css());
  // The entry round counts as the first CSS round; four more rounds follow, and the first ACK of
  // the round after them ends CSS.
  for (int i = 0; i < 4; ++i) {
    CHECK_FALSE(d.Round(absl::Milliseconds(60)));
    CHECK(h.in_css());
  }
  CHECK(d.Round(absl::Milliseconds(60)));
  CHECK(h.done());
  CHECK(h.Growth(kMss, kMss) == 0);
}

TEST_CASE("hystart++ growth: CSS is a quarter, L caps unpaced senders", "[congestion][hystart]") {
  HyStartPlusPlus paced(/*paced=*/true);
  CHECK(paced.Growth(20 * kMss, kMss) == 20 * kMss);
  HyStartPlusPlus unpaced(/*paced=*/false);
  CHECK(unpaced.Growth(20 * kMss, kMss) == 8 * kMss);
  CHECK(unpaced.Growth(3 * kMss, kMss) == 3 * kMss);
  RoundDriver d(paced);
  d.Round(absl::Milliseconds(40));
  d.Round(absl::Milliseconds(60));
  REQUIRE(paced.in_css());
  CHECK(paced.Growth(4 * kMss, kMss) == kMss);
  // Loss ends both.
  paced.OnCongestion();
  CHECK(paced.done());
  CHECK(paced.Growth(4 * kMss, kMss) == 0);
}

}  // namespace
}  // namespace kite::congestion
