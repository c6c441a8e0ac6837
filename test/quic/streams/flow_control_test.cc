#include "quic/streams/flow_control.h"

#include <catch2/catch.hpp>

#include "quic/codec/transport_error.h"

namespace kite::quic {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1000);

TEST_CASE("FlowController send limit only rises and caps sending", "[streams]") {
  FlowController fc(/*initial_send_limit=*/1000, 500, 500);
  CHECK(fc.SendWindow() == 1000);
  fc.OnBytesSent(600);
  CHECK(fc.SendWindow() == 400);
  CHECK_FALSE(fc.SetSendLimit(900));  // lower: ignored (§4.1)
  CHECK(fc.send_limit() == 1000);
  CHECK(fc.SetSendLimit(2000));
  CHECK(fc.SendWindow() == 1400);
  fc.OnBytesSent(5000);  // clamped
  CHECK(fc.SendWindow() == 0);
  CHECK(fc.bytes_sent() == 2000);
}

TEST_CASE("FlowController reports blocked once per limit", "[streams]") {
  FlowController fc(100, 100, 100);
  CHECK_FALSE(fc.ShouldSendBlocked());  // credit left
  fc.OnBytesSent(100);
  CHECK(fc.ShouldSendBlocked());
  CHECK_FALSE(fc.ShouldSendBlocked());
  fc.SetSendLimit(200);
  CHECK_FALSE(fc.ShouldSendBlocked());
  fc.OnBytesSent(100);
  CHECK(fc.ShouldSendBlocked());
  CHECK_FALSE(fc.ShouldSendBlocked());
}

TEST_CASE("FlowController receive side: limit violations are FLOW_CONTROL_ERROR",
          "[streams]") {
  FlowController fc(0, 1000, 1000);
  CHECK(fc.OnHighestOffsetReceived(1000).ok());
  CHECK(fc.OnHighestOffsetReceived(500).ok());  // lower: no change
  CHECK(fc.highest_received() == 1000);
  CHECK(GetTransportErrorCode(fc.OnHighestOffsetReceived(1001)) ==
        TransportErrorCode::kFlowControlError);
}

TEST_CASE("FlowController announces a new limit after half the window is consumed",
          "[streams]") {
  FlowController fc(0, 1000, 1000);
  REQUIRE(fc.OnHighestOffsetReceived(1000).ok());
  fc.OnBytesConsumed(400, kStart, absl::Milliseconds(100));
  CHECK_FALSE(fc.MaybeNewLimit().has_value());
  fc.OnBytesConsumed(100, kStart, absl::Milliseconds(100));
  CHECK(fc.MaybeNewLimit() == 1500u);
  CHECK(fc.receive_limit() == 1500);
  CHECK_FALSE(fc.MaybeNewLimit().has_value());  // already announced
  CHECK(fc.OnHighestOffsetReceived(1500).ok());
  fc.OnBytesConsumed(5000, kStart, absl::Milliseconds(100));  // clamped to received
  CHECK(fc.bytes_consumed() == 1500);
}

TEST_CASE("FlowController auto-tuning doubles the window when updates come fast",
          "[streams]") {
  const absl::Duration rtt = absl::Milliseconds(50);
  FlowController fc(0, 1000, 3000);
  absl::Time now = kStart;
  uint64_t consumed = 0;
  auto consume = [&](uint64_t n, absl::Duration later) {
    now += later;
    REQUIRE(fc.OnHighestOffsetReceived(consumed + n).ok());
    consumed += n;
    fc.OnBytesConsumed(n, now, rtt);
    return fc.MaybeNewLimit();
  };
  // First update: no history, window stays.
  CHECK(consume(600, rtt) == 1600u);
  CHECK(fc.receive_window() == 1000);
  // Next update within 2 RTT: doubled.
  CHECK(consume(600, rtt) == 1200u + 2000u);
  CHECK(fc.receive_window() == 2000);
  // Again fast: capped at the maximum.
  CHECK(consume(1100, rtt) == 2300u + 3000u);
  CHECK(fc.receive_window() == 3000);
  // Slow updates leave the window alone.
  FlowController slow(0, 1000, 8000);
  REQUIRE(slow.OnHighestOffsetReceived(1000).ok());
  slow.OnBytesConsumed(600, kStart, rtt);
  REQUIRE(slow.MaybeNewLimit().has_value());
  slow.OnBytesConsumed(400, kStart + 10 * rtt, rtt);
  REQUIRE(slow.OnHighestOffsetReceived(1600).ok());
  slow.OnBytesConsumed(600, kStart + 20 * rtt, rtt);
  CHECK(slow.MaybeNewLimit() == 1600u + 1000u);
  CHECK(slow.receive_window() == 1000);
}

}  // namespace
}  // namespace kite::quic
