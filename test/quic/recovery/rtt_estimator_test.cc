#include "quic/recovery/rtt_estimator.h"

#include <algorithm>
#include <random>

#include <catch2/catch.hpp>

namespace kite::quic {
namespace {

using absl::Microseconds;
using absl::Milliseconds;

TEST_CASE("rtt estimator starts from the initial RTT", "[recovery][rtt]") {
  RttEstimator rtt;
  CHECK_FALSE(rtt.has_sample());
  CHECK(rtt.smoothed_rtt() == Milliseconds(333));
  CHECK(rtt.rttvar() == Microseconds(166500));
  CHECK(rtt.min_rtt() == absl::ZeroDuration());
  // RFC 9002 §6.2.2: a 333 ms initial RTT gives a PTO of about one second.
  CHECK(rtt.PtoDuration(false, Milliseconds(25)) == Milliseconds(999));
  CHECK(rtt.PtoDuration(true, Milliseconds(25)) == Milliseconds(1024));
}

TEST_CASE("rtt estimator first sample resets and ignores ack delay", "[recovery][rtt]") {
  RttEstimator rtt(Milliseconds(500));
  rtt.OnSample(Milliseconds(100), Milliseconds(50), true, Milliseconds(25));
  CHECK(rtt.has_sample());
  CHECK(rtt.latest_rtt() == Milliseconds(100));
  CHECK(rtt.smoothed_rtt() == Milliseconds(100));
  CHECK(rtt.rttvar() == Milliseconds(50));
  CHECK(rtt.min_rtt() == Milliseconds(100));
}

TEST_CASE("rtt estimator uses the full ack delay before handshake confirmation",
          "[recovery][rtt]") {
  RttEstimator rtt;
  rtt.OnSample(Milliseconds(100), absl::ZeroDuration(), false, Milliseconds(25));
  // 30 ms > max_ack_delay, but not clamped before confirmation: adjusted = 160 - 30 = 130.
  rtt.OnSample(Milliseconds(160), Milliseconds(30), false, Milliseconds(25));
  CHECK(rtt.rttvar() == Milliseconds(45));                 // 3/4*50 + 1/4*|100-130|
  CHECK(rtt.smoothed_rtt() == Microseconds(103750));       // 7/8*100 + 1/8*130
  CHECK(rtt.min_rtt() == Milliseconds(100));
  CHECK(rtt.latest_rtt() == Milliseconds(160));
}

TEST_CASE("rtt estimator clamps ack delay to max_ack_delay after confirmation",
          "[recovery][rtt]") {
  RttEstimator rtt;
  rtt.OnSample(Milliseconds(100), absl::ZeroDuration(), true, Milliseconds(25));
  // Clamped to 25: adjusted = 135.
  rtt.OnSample(Milliseconds(160), Milliseconds(30), true, Milliseconds(25));
  CHECK(rtt.rttvar() == Microseconds(46250));        // 37.5 + 35/4
  CHECK(rtt.smoothed_rtt() == Microseconds(104375));  // 87.5 + 135/8
}

TEST_CASE("rtt estimator never adjusts below min_rtt and min_rtt ignores ack delay",
          "[recovery][rtt]") {
  RttEstimator rtt;
  rtt.OnSample(Milliseconds(100), absl::ZeroDuration(), true, Milliseconds(100));
  // 120 < min_rtt (100) + ack_delay (50): the delay is not subtracted.
  rtt.OnSample(Milliseconds(120), Milliseconds(50), true, Milliseconds(100));
  CHECK(rtt.smoothed_rtt() == Microseconds(102500));  // 87.5 + 120/8
  CHECK(rtt.rttvar() == Microseconds(42500));         // 37.5 + |100-120|/4
}

TEST_CASE("rtt estimator min_rtt follows the smallest raw sample", "[recovery][rtt]") {
  RttEstimator rtt;
  rtt.OnSample(Milliseconds(100), absl::ZeroDuration(), true, Milliseconds(25));
  rtt.OnSample(Milliseconds(80), Milliseconds(10), true, Milliseconds(25));
  CHECK(rtt.min_rtt() == Milliseconds(80));  // not 70: ack delay is not subtracted
  rtt.OnSample(Milliseconds(90), absl::ZeroDuration(), true, Milliseconds(25));
  CHECK(rtt.min_rtt() == Milliseconds(80));
  rtt.ResetMinRttToLatest();
  CHECK(rtt.min_rtt() == Milliseconds(90));
}

TEST_CASE("rtt estimator PTO respects the granularity floor", "[recovery][rtt]") {
  RttEstimator rtt;
  rtt.OnSample(Microseconds(100), absl::ZeroDuration(), true, absl::ZeroDuration());
  // 100 us + max(4 * 50 us, 1 ms) = 1.1 ms.
  CHECK(rtt.PtoDuration(false, absl::ZeroDuration()) == Microseconds(1100));
  // A negative sample (clock step) is treated as zero, not stored negative.
  rtt.OnSample(Milliseconds(-5), absl::ZeroDuration(), true, absl::ZeroDuration());
  CHECK(rtt.latest_rtt() == absl::ZeroDuration());
  CHECK(rtt.min_rtt() == absl::ZeroDuration());
}

// The RFC 9002 §5.3 update written directly in absl::Duration arithmetic, for comparison with
// the estimator's integer implementation.
struct ReferenceRtt {
  bool has_sample = false;
  absl::Duration min = absl::ZeroDuration();
  absl::Duration smoothed = kDefaultInitialRtt;
  absl::Duration rttvar = kDefaultInitialRtt / 2;

  void OnSample(absl::Duration latest, absl::Duration ack_delay, bool confirmed,
                absl::Duration max_ack_delay) {
    latest = std::max(latest, absl::ZeroDuration());
    ack_delay = std::max(ack_delay, absl::ZeroDuration());
    if (!has_sample) {
      has_sample = true;
      min = latest;
      smoothed = latest;
      rttvar = latest / 2;
      return;
    }
    min = std::min(min, latest);
    if (confirmed) ack_delay = std::min(ack_delay, max_ack_delay);
    absl::Duration adjusted = latest;
    if (latest >= min + ack_delay) adjusted = latest - ack_delay;
    rttvar = rttvar * 3 / 4 + absl::AbsDuration(smoothed - adjusted) / 4;
    smoothed = smoothed * 7 / 8 + adjusted / 8;
  }
};

TEST_CASE("rtt estimator matches absl::Duration arithmetic to the quarter nanosecond",
          "[recovery][rtt]") {
  std::mt19937_64 rng(11);
  for (int run = 0; run < 50; ++run) {
    RttEstimator rtt;
    ReferenceRtt ref;
    for (int i = 0; i < 400; ++i) {
      // Mostly whole nanoseconds; sometimes a fraction of one, a negative value or one beyond
      // the integer path's range.
      absl::Duration latest = absl::Nanoseconds(static_cast<int64_t>(rng() % 400000000));
      if (rng() % 16 == 0) latest += absl::Nanoseconds(1) / 4 * static_cast<int64_t>(rng() % 4);
      if (rng() % 64 == 0) latest = -latest;
      if (rng() % 200 == 0) latest = absl::Hours(24 * 20);
      absl::Duration delay = absl::Microseconds(static_cast<int64_t>(rng() % 50000));
      absl::Duration max_delay = absl::Milliseconds(static_cast<int64_t>(rng() % 40));
      bool confirmed = rng() % 2 == 0;
      rtt.OnSample(latest, delay, confirmed, max_delay);
      ref.OnSample(latest, delay, confirmed, max_delay);
      REQUIRE(rtt.smoothed_rtt() == ref.smoothed);
      REQUIRE(rtt.rttvar() == ref.rttvar);
      REQUIRE(rtt.min_rtt() == ref.min);
      REQUIRE(rtt.PtoDuration(false, absl::ZeroDuration()) ==
              std::max(ref.smoothed + std::max(ref.rttvar * 4, kTimerGranularity),
                       kTimerGranularity));
      if (rng() % 100 == 0) {
        rtt.ResetMinRttToLatest();
        ref.min = std::max(latest, absl::ZeroDuration());
      }
    }
  }
}

}  // namespace
}  // namespace kite::quic
