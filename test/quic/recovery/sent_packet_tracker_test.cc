#include "quic/recovery/sent_packet_tracker.h"

#include <catch2/catch.hpp>

namespace kite::quic {
namespace {

SentPacket P(uint64_t pn, bool ack_eliciting = true, bool in_flight = true, size_t bytes = 1000) {
  SentPacket p;
  p.packet_number = pn;
  p.time_sent = absl::FromUnixSeconds(1000) + absl::Milliseconds(pn);
  p.bytes = bytes;
  p.ack_eliciting = ack_eliciting;
  p.in_flight = in_flight;
  return p;
}

TEST_CASE("sent packet tracker keeps packets ordered and accounts flight",
          "[recovery][sent_packet_tracker]") {
  SentPacketTracker t;
  CHECK(t.Add(P(0)));
  CHECK(t.Add(P(1, /*ack_eliciting=*/false, /*in_flight=*/false, 50)));
  CHECK(t.Add(P(5)));  // skipped packet numbers are allowed
  CHECK_FALSE(t.Add(P(5)));
  CHECK_FALSE(t.Add(P(3)));
  CHECK(t.size() == 3);
  CHECK(*t.largest_sent() == 5);
  CHECK(t.bytes_in_flight() == 2000);
  CHECK(t.ack_eliciting_in_flight() == 2);

  std::vector<SentPacket> out;
  t.RemoveRange(1, 4, &out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].packet_number == 1);
  CHECK(t.bytes_in_flight() == 2000);
  t.RemoveRange(0, 100, &out);
  REQUIRE(out.size() == 3);
  CHECK(out[1].packet_number == 0);
  CHECK(out[2].packet_number == 5);
  CHECK(t.empty());
  CHECK(t.bytes_in_flight() == 0);
  CHECK(t.ack_eliciting_in_flight() == 0);
  // The largest sent survives removal, so old numbers stay refused.
  CHECK_FALSE(t.Add(P(4)));
}

TEST_CASE("sent packet tracker removes single packets and everything",
          "[recovery][sent_packet_tracker]") {
  SentPacketTracker t;
  for (uint64_t pn = 0; pn < 10; ++pn) t.Add(P(pn));
  REQUIRE(t.Find(3) != nullptr);
  CHECK(t.Find(3)->bytes == 1000);
  auto removed = t.Remove(3);
  REQUIRE(removed.has_value());
  CHECK(removed->packet_number == 3);
  CHECK(t.Find(3) == nullptr);
  CHECK_FALSE(t.Remove(3).has_value());
  CHECK(t.bytes_in_flight() == 9000);
  auto all = t.TakeAll();
  CHECK(all.size() == 9);
  CHECK(all.front().packet_number == 0);
  CHECK(all.back().packet_number == 9);
  CHECK(t.bytes_in_flight() == 0);
  CHECK(t.ack_eliciting_in_flight() == 0);
}

}  // namespace
}  // namespace kite::quic
