#include "quic/recovery/sent_packet_tracker.h"

#include <map>
#include <random>
#include <vector>

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

TEST_CASE("sent packet tracker matches an ordered map under random traffic",
          "[recovery][sent_packet_tracker]") {
  // Appends with occasional skipped numbers, removal of ranges anywhere (acknowledgments,
  // repeated ranges over removed packets), single removals and threshold sweeps (losses), across
  // ring growth and wrap-around.
  std::mt19937_64 rng(7);
  SentPacketTracker t;
  std::map<uint64_t, SentPacket> ref;
  uint64_t next = 0;
  size_t ref_bytes = 0;
  auto pns = [](const std::vector<SentPacket>& v) {
    std::vector<uint64_t> out;
    for (const SentPacket& p : v) out.push_back(p.packet_number);
    return out;
  };
  for (int step = 0; step < 20000; ++step) {
    const uint64_t op = rng() % 10;
    if (op < 4 || ref.empty()) {
      next += (rng() % 8 == 0) ? 1 + rng() % 5 : 1;
      SentPacket p = P(next, rng() % 4 != 0, rng() % 5 != 0, 100 + rng() % 1000);
      REQUIRE(t.Add(p));
      ref.emplace(next, p);
      if (p.in_flight) ref_bytes += p.bytes;
    } else if (op < 8) {
      const uint64_t lo_pn = ref.begin()->first;
      const uint64_t span = next - lo_pn + 1;
      const uint64_t a = lo_pn + rng() % span;
      const uint64_t b = std::min(next, a + rng() % 6);
      std::vector<SentPacket> got;
      t.RemoveRange(a, b, &got);
      std::vector<uint64_t> want;
      for (auto it = ref.lower_bound(a); it != ref.end() && it->first <= b;) {
        want.push_back(it->first);
        if (it->second.in_flight) ref_bytes -= it->second.bytes;
        it = ref.erase(it);
      }
      REQUIRE(pns(got) == want);
    } else if (op < 9) {
      const uint64_t pn = ref.begin()->first + rng() % (next - ref.begin()->first + 1);
      auto got = t.Remove(pn);
      auto it = ref.find(pn);
      REQUIRE(got.has_value() == (it != ref.end()));
      if (it != ref.end()) {
        if (it->second.in_flight) ref_bytes -= it->second.bytes;
        ref.erase(it);
      }
    } else {
      const uint64_t limit = ref.begin()->first + rng() % (next - ref.begin()->first + 1);
      std::vector<SentPacket> got;
      std::vector<uint64_t> visited;
      t.RemoveIfUpTo(
          limit,
          [&](const SentPacket& p) {
            visited.push_back(p.packet_number);
            return p.packet_number % 3 == 0;
          },
          &got);
      std::vector<uint64_t> want_visited;
      std::vector<uint64_t> want;
      for (auto it = ref.begin(); it != ref.end() && it->first <= limit;) {
        want_visited.push_back(it->first);
        if (it->first % 3 == 0) {
          want.push_back(it->first);
          if (it->second.in_flight) ref_bytes -= it->second.bytes;
          it = ref.erase(it);
        } else {
          ++it;
        }
      }
      REQUIRE(visited == want_visited);
      REQUIRE(pns(got) == want);
    }
    REQUIRE(t.size() == ref.size());
    REQUIRE(t.bytes_in_flight() == ref_bytes);
    if (step % 97 == 0) {
      for (uint64_t pn = ref.empty() ? 0 : ref.begin()->first; pn <= next; ++pn) {
        const SentPacket* f = t.Find(pn);
        REQUIRE((f != nullptr) == (ref.count(pn) == 1));
        if (f != nullptr) REQUIRE(f->bytes == ref.at(pn).bytes);
      }
    }
  }
  std::vector<uint64_t> want;
  for (const auto& [pn, p] : ref) want.push_back(pn);
  CHECK(pns(t.TakeAll()) == want);
  CHECK(t.empty());
}

}  // namespace
}  // namespace kite::quic
