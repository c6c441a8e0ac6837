#include "congestion/pacer.h"

#include <catch2/catch.hpp>

namespace kite::congestion {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1000);

TEST_CASE("pacer without a rate never delays", "[congestion][pacer]") {
  Pacer pacer(1200);
  for (int i = 0; i < 100; ++i) pacer.OnPacketSent(kT0, 1200);
  CHECK(pacer.NextSendTime(kT0) == kT0);
}

TEST_CASE("pacer allows a burst of ten then spaces packets at the rate", "[congestion][pacer]") {
  Pacer pacer(1200);
  // 1.2 MB/s: one 1200-byte datagram per millisecond.
  pacer.SetRate(kT0, 1200000);
  absl::Time now = kT0;
  for (int i = 0; i < 10; ++i) {
    REQUIRE(pacer.NextSendTime(now) == now);
    pacer.OnPacketSent(now, 1200);
  }
  // The burst is spent: the 11th waits one packet interval.
  CHECK(pacer.NextSendTime(now) == now + absl::Milliseconds(1));
  // Sending at each allowed time keeps the spacing at exactly 1 ms.
  for (int i = 0; i < 5; ++i) {
    absl::Time next = pacer.NextSendTime(now);
    CHECK(next - now == absl::Milliseconds(1));
    now = next;
    REQUIRE(pacer.NextSendTime(now) == now);
    pacer.OnPacketSent(now, 1200);
  }
  // Half an interval later, still not allowed; the remaining half is reported.
  CHECK(pacer.NextSendTime(now + absl::Microseconds(500)) == now + absl::Milliseconds(1));
}

TEST_CASE("pacer refills the burst after idle, capped at the burst size", "[congestion][pacer]") {
  Pacer pacer(1200);
  pacer.SetRate(kT0, 1200000);
  for (int i = 0; i < 10; ++i) pacer.OnPacketSent(kT0, 1200);
  REQUIRE(pacer.NextSendTime(kT0) > kT0);
  // One second of idle refills far more than ten packets' worth, but the bucket holds ten.
  absl::Time later = kT0 + absl::Seconds(1);
  int sent = 0;
  while (pacer.NextSendTime(later) == later && sent < 100) {
    pacer.OnPacketSent(later, 1200);
    ++sent;
  }
  CHECK(sent == 10);
}

TEST_CASE("pacer window-based rate is 1.25 cwnd per srtt", "[congestion][pacer]") {
  CHECK(Pacer::WindowBasedRate(12000, absl::Milliseconds(100)) == 150000);
  CHECK(Pacer::WindowBasedRate(12000, absl::ZeroDuration()) == 15000000);
}

TEST_CASE("pacer honours a smaller datagram size and a rate change", "[congestion][pacer]") {
  Pacer pacer(1200, 2);
  pacer.SetRate(kT0, 1000000);
  pacer.OnPacketSent(kT0, 1200);
  pacer.OnPacketSent(kT0, 1200);
  // Empty bucket: 1200 bytes at 1 MB/s is 1.2 ms.
  CHECK(pacer.NextSendTime(kT0) == kT0 + absl::Microseconds(1200));
  pacer.SetMaxDatagramSize(1000);
  CHECK(pacer.NextSendTime(kT0) == kT0 + absl::Milliseconds(1));
  // Doubling the rate from now halves the wait.
  pacer.SetRate(kT0, 2000000);
  CHECK(pacer.NextSendTime(kT0) == kT0 + absl::Microseconds(500));
  CHECK(pacer.burst_bytes() == 2000);
}

TEST_CASE("pacer carries debt from unpaced probes", "[congestion][pacer]") {
  Pacer pacer(1000, 1);
  pacer.SetRate(kT0, 1000000);  // 1 ms per 1000 bytes
  pacer.OnPacketSent(kT0, 1000);
  pacer.OnPacketSent(kT0, 1000);  // a probe sent regardless of pacing
  CHECK(pacer.NextSendTime(kT0) == kT0 + absl::Milliseconds(2));
}

}  // namespace
}  // namespace kite::congestion
