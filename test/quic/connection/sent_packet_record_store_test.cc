#include "quic/connection/sent_packet_record_store.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <random>
#include <vector>

namespace kite::quic {
namespace {

SentPacketRecord Tagged(uint64_t tag) {
  SentPacketRecord r;
  r.streams.push_back(SentStreamRange{4, tag, 100, false});
  return r;
}

uint64_t TagOf(const SentPacketRecord& r) { return r.streams.empty() ? ~uint64_t{0} : r.streams[0].offset; }

std::vector<uint64_t> Held(const SentPacketRecordStore& store) {
  std::vector<uint64_t> pns;
  store.ForEach([&](uint64_t pn, const SentPacketRecord& r) {
    CHECK(TagOf(r) == pn);
    pns.push_back(pn);
  });
  return pns;
}

TEST_CASE("records come back by packet number, once") {
  SentPacketRecordStore store;
  REQUIRE(store.Insert(3, Tagged(3)));
  REQUIRE(store.Insert(5, Tagged(5)));  // 4 was ACK-only: no record
  REQUIRE(store.Insert(6, Tagged(6)));
  CHECK(store.size() == 3);
  SentPacketRecord out;
  CHECK_FALSE(store.Take(4, &out));
  CHECK_FALSE(store.Take(2, &out));
  CHECK_FALSE(store.Take(7, &out));
  REQUIRE(store.Take(5, &out));
  CHECK(TagOf(out) == 5);
  CHECK_FALSE(store.Take(5, &out));
  CHECK(Held(store) == std::vector<uint64_t>{3, 6});
  REQUIRE(store.Take(3, &out));
  REQUIRE(store.Take(6, &out));
  CHECK(store.empty());
  CHECK(Held(store).empty());
}

TEST_CASE("a packet number is never reused") {
  SentPacketRecordStore store;
  REQUIRE(store.Insert(10, Tagged(10)));
  CHECK_FALSE(store.Insert(10, Tagged(10)));
  CHECK_FALSE(store.Insert(9, Tagged(9)));
  SentPacketRecord out;
  REQUIRE(store.Take(10, &out));
  // Even once empty, an old number stays refused.
  CHECK_FALSE(store.Insert(8, Tagged(8)));
  CHECK(store.Insert(11, Tagged(11)));
}

TEST_CASE("the window grows past its initial size and wraps around") {
  SentPacketRecordStore store;
  SentPacketRecord out;
  uint64_t next_take = 0;
  for (uint64_t pn = 0; pn < 5000; ++pn) {
    REQUIRE(store.Insert(pn, Tagged(pn)));
    // Keep a window of about 300 outstanding, removed in order.
    if (pn >= 300) {
      REQUIRE(store.Take(next_take, &out));
      CHECK(TagOf(out) == next_take);
      ++next_take;
    }
  }
  CHECK(store.size() == 300);
  std::vector<uint64_t> held = Held(store);
  REQUIRE(held.size() == 300);
  CHECK(held.front() == 4700);
  CHECK(held.back() == 4999);
}

TEST_CASE("a gap of ACK-only packets larger than the ring is held") {
  SentPacketRecordStore store;
  REQUIRE(store.Insert(1, Tagged(1)));
  REQUIRE(store.Insert(1000, Tagged(1000)));
  CHECK(Held(store) == std::vector<uint64_t>{1, 1000});
  SentPacketRecord out;
  REQUIRE(store.Take(1000, &out));
  REQUIRE(store.Take(1, &out));
  CHECK(store.empty());
  // After emptying, the window restarts at the next number, however far ahead.
  REQUIRE(store.Insert(uint64_t{1} << 40, Tagged(uint64_t{1} << 40)));
  CHECK(Held(store) == std::vector<uint64_t>{uint64_t{1} << 40});
}

TEST_CASE("matches a std::map under random inserts, gaps and out-of-order removal") {
  std::mt19937_64 rng(7);
  SentPacketRecordStore store;
  std::map<uint64_t, uint64_t> model;
  uint64_t pn = 0;
  SentPacketRecord out;
  for (int step = 0; step < 20000; ++step) {
    uint64_t r = rng() % 10;
    if (r < 5) {
      pn += 1 + rng() % 3;  // ACK-only packets leave gaps
      REQUIRE(store.Insert(pn, Tagged(pn)));
      model[pn] = pn;
    } else if (!model.empty()) {
      // Mostly the oldest (acked in order), sometimes a random one (reordering, loss).
      auto it = model.begin();
      if (r >= 8) std::advance(it, static_cast<long>(rng() % model.size()));
      uint64_t victim = it->first;
      REQUIRE(store.Take(victim, &out));
      CHECK(TagOf(out) == victim);
      model.erase(it);
      CHECK_FALSE(store.Take(victim, &out));
    }
    REQUIRE(store.size() == model.size());
  }
  std::vector<uint64_t> expected;
  for (const auto& [k, v] : model) expected.push_back(k);
  CHECK(Held(store) == expected);
  store.Clear();
  CHECK(store.empty());
  CHECK(Held(store).empty());
}

}  // namespace
}  // namespace kite::quic
