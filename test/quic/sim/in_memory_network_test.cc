#include "quic/sim/in_memory_network.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <tuple>
#include <unordered_set>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"

namespace kite::quic::sim {
namespace {

const Address kClient{0x0a000001, 50000};  // 10.0.0.1:50000
const Address kServer{0x0a000002, 443};    // 10.0.0.2:443
const absl::Time kStart = absl::FromUnixSeconds(1000);

std::vector<uint8_t> Payload(size_t size, uint8_t fill = 0xab) {
  return std::vector<uint8_t>(size, fill);
}

// Delivers everything in flight, advancing time to each delivery.
std::vector<Delivery> DrainAll(InMemoryNetwork& net) {
  std::vector<Delivery> out;
  while (std::optional<absl::Time> t = net.NextDeliveryTime()) {
    while (std::optional<Delivery> d = net.PopDelivery(*t)) out.push_back(std::move(*d));
  }
  return out;
}

TEST_CASE("Address formats, compares and hashes", "[sim]") {
  CHECK(kClient.ToString() == "10.0.0.1:50000");
  CHECK((Address{0xffffffff, 65535}).ToString() == "255.255.255.255:65535");
  CHECK(kClient == (Address{0x0a000001, 50000}));
  CHECK(kClient != kServer);
  CHECK(kClient < kServer);
  absl::flat_hash_set<Address> set = {kClient, kServer, kClient};
  CHECK(set.size() == 2);
  CHECK(set.contains(Address{0x0a000002, 443}));
  CHECK_FALSE(set.contains(Address{0x0a000002, 444}));
  std::unordered_set<Address> std_set = {kClient, kServer, kClient};
  CHECK(std_set.size() == 2);
  CHECK(std::hash<Address>()(kClient) != std::hash<Address>()(kServer));
}

TEST_CASE("Link configs are validated", "[sim]") {
  CHECK(ValidateLinkConfig(LinkConfig{}).ok());
  auto invalid = [](LinkConfig c) {
    absl::Status s = ValidateLinkConfig(c);
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    InMemoryNetwork net(1);
    CHECK_FALSE(net.SetLinkConfig(kClient, kServer, c).ok());
    CHECK_FALSE(net.SetDefaultLinkConfig(c).ok());
  };
  LinkConfig c;
  c.propagation_delay = absl::Milliseconds(-1);
  invalid(c);
  c = LinkConfig{};
  c.propagation_delay = kMaxLinkDelay + absl::Nanoseconds(1);
  invalid(c);
  c = LinkConfig{};
  c.jitter = absl::InfiniteDuration();
  invalid(c);
  c = LinkConfig{};
  c.reorder_delay = -absl::Seconds(1);
  invalid(c);
  c = LinkConfig{};
  c.loss_probability = 1.5;
  invalid(c);
  c = LinkConfig{};
  c.duplicate_probability = std::numeric_limits<double>::quiet_NaN();
  invalid(c);
  c = LinkConfig{};
  c.reorder_probability = -0.1;
  invalid(c);
  c = LinkConfig{};
  c.corrupt_probability = 1.01;
  invalid(c);
  c = LinkConfig{};
  c.mtu = 0;
  invalid(c);
  c = LinkConfig{};
  c.mtu = kMaxDatagramSize + 1;
  invalid(c);
  c = LinkConfig{};
  c.queue_capacity_bytes = kMaxQueueCapacityBytes + 1;
  invalid(c);
  c = LinkConfig{};
  c.burst_enter_probability = 0.1;
  c.burst_exit_probability = 0.0;
  invalid(c);
}

TEST_CASE("A default link delivers immediately and intact", "[sim]") {
  InMemoryNetwork net(1);
  CHECK_FALSE(net.NextDeliveryTime().has_value());
  CHECK_FALSE(net.PopDelivery(kStart).has_value());
  std::vector<uint8_t> bytes = {1, 2, 3, 4, 5};
  net.Send(kStart, kClient, kServer, bytes);
  REQUIRE(net.NextDeliveryTime() == kStart);
  std::optional<Delivery> d = net.PopDelivery(kStart);
  REQUIRE(d.has_value());
  CHECK(d->from == kClient);
  CHECK(d->to == kServer);
  CHECK(d->bytes == bytes);
  CHECK(d->time == kStart);
  CHECK(d->sequence == 0);
  CHECK_FALSE(d->duplicate);
  CHECK(net.pending_deliveries() == 0);
  LinkStats s = net.GetLinkStats(kClient, kServer);
  CHECK(s.sent == 1);
  CHECK(s.delivered == 1);
  CHECK(s.bytes_sent == 5);
  CHECK(s.bytes_delivered == 5);
  CHECK(net.GetLinkStats(kServer, kClient).sent == 0);
}

TEST_CASE("Delivery time is queueing + serialization + propagation", "[sim]") {
  InMemoryNetwork net(1);
  LinkConfig c;
  c.bandwidth_bps = 8'000'000;  // 1 byte per microsecond: 1000 bytes take 1 ms
  c.propagation_delay = absl::Milliseconds(10);
  c.queue_capacity_bytes = 100'000;
  REQUIRE(net.SetLinkConfig(kClient, kServer, c).ok());

  for (int i = 0; i < 3; ++i) net.Send(kStart, kClient, kServer, Payload(1000));
  // Sent 0.5 ms later it still waits behind the three: departs at 3 ms + 1 ms.
  net.Send(kStart + absl::Microseconds(500), kClient, kServer, Payload(1000));
  // A 500-byte datagram takes 0.5 ms of serialization.
  net.Send(kStart + absl::Microseconds(500), kClient, kServer, Payload(500));

  CHECK(net.GetLinkStats(kClient, kServer).max_queue_bytes == 4500);
  REQUIRE(net.NextDeliveryTime() == kStart + absl::Milliseconds(11));
  CHECK_FALSE(net.PopDelivery(kStart + absl::Milliseconds(11) - absl::Nanoseconds(1)));

  std::vector<Delivery> got = DrainAll(net);
  REQUIRE(got.size() == 5);
  CHECK(got[0].time == kStart + absl::Milliseconds(11));
  CHECK(got[1].time == kStart + absl::Milliseconds(12));
  CHECK(got[2].time == kStart + absl::Milliseconds(13));
  CHECK(got[3].time == kStart + absl::Milliseconds(14));
  CHECK(got[4].time == kStart + absl::Microseconds(14500));
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i].sequence == i);

  // Once the queue has drained, a datagram sees no queueing delay.
  net.Send(kStart + absl::Milliseconds(100), kClient, kServer, Payload(1000));
  got = DrainAll(net);
  REQUIRE(got.size() == 1);
  CHECK(got[0].time == kStart + absl::Milliseconds(111));

  // The reverse direction has its own (default, perfect) link.
  net.Send(kStart + absl::Milliseconds(200), kServer, kClient, Payload(1000));
  got = DrainAll(net);
  REQUIRE(got.size() == 1);
  CHECK(got[0].time == kStart + absl::Milliseconds(200));
}

TEST_CASE("A full queue drops the tail", "[sim]") {
  InMemoryNetwork net(1);
  LinkConfig c;
  c.bandwidth_bps = 8'000'000;
  c.queue_capacity_bytes = 3000;
  REQUIRE(net.SetLinkConfig(kClient, kServer, c).ok());

  for (int i = 0; i < 5; ++i) net.Send(kStart, kClient, kServer, Payload(1000, uint8_t(i)));
  LinkStats s = net.GetLinkStats(kClient, kServer);
  CHECK(s.dropped_queue == 2);
  CHECK(s.max_queue_bytes == 3000);
  // A datagram that fits the remaining room still gets in behind a rejected bigger one.
  net.Send(kStart, kClient, kServer, Payload(1));
  CHECK(net.GetLinkStats(kClient, kServer).dropped_queue == 3);

  // When the first datagram has left (1 ms) there is room for exactly one more.
  net.Send(kStart + absl::Milliseconds(1), kClient, kServer, Payload(1000, 5));
  net.Send(kStart + absl::Milliseconds(1), kClient, kServer, Payload(1000, 6));
  s = net.GetLinkStats(kClient, kServer);
  CHECK(s.dropped_queue == 4);
  CHECK(s.sent == 8);

  std::vector<Delivery> got = DrainAll(net);
  REQUIRE(got.size() == 4);
  CHECK(got[0].bytes[0] == 0);
  CHECK(got[1].bytes[0] == 1);
  CHECK(got[2].bytes[0] == 2);
  CHECK(got[3].bytes[0] == 5);  // datagrams 3, 4, the 1-byte one and 6 were dropped
  CHECK(got[3].time == kStart + absl::Milliseconds(4));
  CHECK(net.GetLinkStats(kClient, kServer).delivered == 4);
}

TEST_CASE("Random loss rate matches the configured probability", "[sim]") {
  InMemoryNetwork net(7);
  LinkConfig c;
  c.loss_probability = 0.02;
  REQUIRE(net.SetLinkConfig(kClient, kServer, c).ok());
  constexpr int kPackets = 100000;
  uint8_t byte = 0;
  size_t got = 0;
  for (int i = 0; i < kPackets; ++i) {
    absl::Time now = kStart + absl::Microseconds(i);
    net.Send(now, kClient, kServer, absl::MakeConstSpan(&byte, 1));
    while (net.PopDelivery(now)) ++got;  // a perfect link: due at once
  }
  CHECK(net.pending_deliveries() == 0);
  LinkStats s = net.GetLinkStats(kClient, kServer);
  CHECK(s.sent == kPackets);
  CHECK(s.dropped_loss + s.delivered == kPackets);
  CHECK(got == s.delivered);
  // Expected 2000, standard deviation ~44: +-300 is about 7 sigma.
  CHECK(s.dropped_loss > 1700);
  CHECK(s.dropped_loss < 2300);
}

// Mean length of runs of consecutive lost sequence numbers.
double MeanLossRun(const std::vector<uint64_t>& delivered_sequences, uint64_t sent) {
  std::vector<bool> delivered(sent, false);
  for (uint64_t seq : delivered_sequences) delivered[seq] = true;
  uint64_t runs = 0, lost = 0;
  for (uint64_t i = 0; i < sent; ++i) {
    if (delivered[i]) continue;
    ++lost;
    if (i == 0 || delivered[i - 1]) ++runs;
  }
  return runs == 0 ? 0.0 : static_cast<double>(lost) / static_cast<double>(runs);
}

TEST_CASE("Gilbert-Elliott loss comes in bursts", "[sim]") {
  constexpr int kPackets = 200000;
  auto run = [&](const LinkConfig& c) {
    InMemoryNetwork net(11);
    REQUIRE(net.SetLinkConfig(kClient, kServer, c).ok());
    uint8_t byte = 0;
    std::vector<uint64_t> got;
    got.reserve(kPackets);
    for (int i = 0; i < kPackets; ++i) {
      net.Send(kStart, kClient, kServer, absl::MakeConstSpan(&byte, 1));
      while (std::optional<Delivery> d = net.PopDelivery(kStart)) got.push_back(d->sequence);
    }
    return std::make_pair(net.GetLinkStats(kClient, kServer), MeanLossRun(got, kPackets));
  };

  LinkConfig bursty;
  bursty.burst_enter_probability = 0.01;
  bursty.burst_exit_probability = 0.2;  // mean burst 5 datagrams
  bursty.burst_loss_probability = 1.0;
  auto [bursty_stats, bursty_run] = run(bursty);
  // Stationary share of the bad state: 0.01 / (0.01 + 0.2) = 4.76%.
  double rate = static_cast<double>(bursty_stats.dropped_loss) / kPackets;
  CHECK(rate > 0.040);
  CHECK(rate < 0.056);
  CHECK(bursty_run > 4.0);
  CHECK(bursty_run < 6.0);

  // Independent loss at the same rate: runs of ~1.05.
  LinkConfig independent;
  independent.loss_probability = 0.0476;
  auto [independent_stats, independent_run] = run(independent);
  CHECK(independent_stats.dropped_loss > 9000);
  CHECK(independent_run < 1.2);
}

TEST_CASE("Jitter alone keeps order; the reordering knob really reorders", "[sim]") {
  auto run = [](const LinkConfig& c) {
    InMemoryNetwork net(3);
    REQUIRE(net.SetLinkConfig(kClient, kServer, c).ok());
    for (int i = 0; i < 2000; ++i) {
      net.Send(kStart + absl::Milliseconds(i), kClient, kServer, Payload(100));
    }
    std::vector<Delivery> got = DrainAll(net);
    return std::make_pair(got, net.GetLinkStats(kClient, kServer));
  };
  auto inversions = [](const std::vector<Delivery>& got) {
    int n = 0;
    for (size_t i = 1; i < got.size(); ++i) n += got[i].sequence < got[i - 1].sequence ? 1 : 0;
    return n;
  };

  LinkConfig jittery;
  jittery.propagation_delay = absl::Milliseconds(20);
  jittery.jitter = absl::Milliseconds(5);  // 5x the sending interval
  auto [jittered, jitter_stats] = run(jittery);
  REQUIRE(jittered.size() == 2000);
  CHECK(inversions(jittered) == 0);
  CHECK(jitter_stats.reordered == 0);
  bool saw_jitter = false;
  for (const Delivery& d : jittered) {
    absl::Duration transit = d.time - (kStart + absl::Milliseconds(d.sequence));
    CHECK(transit >= absl::Milliseconds(20));
    if (transit > absl::Milliseconds(21)) saw_jitter = true;
  }
  CHECK(saw_jitter);

  LinkConfig reordering;
  reordering.propagation_delay = absl::Milliseconds(20);
  reordering.reorder_probability = 0.1;
  reordering.reorder_delay = absl::Milliseconds(3);
  auto [reordered, reorder_stats] = run(reordering);
  REQUIRE(reordered.size() == 2000);  // reordering loses nothing
  CHECK(reorder_stats.reordered > 140);
  CHECK(reorder_stats.reordered < 260);
  CHECK(inversions(reordered) > 100);
  // A datagram is late when one sent after it was delivered first. Only held-back datagrams
  // can be late, and nearly all of them are (unless the next ones were held back too).
  uint64_t max_seen = 0;
  uint64_t late = 0;
  for (size_t i = 0; i < reordered.size(); ++i) {
    const Delivery& d = reordered[i];
    absl::Duration transit = d.time - (kStart + absl::Milliseconds(d.sequence));
    CHECK((transit == absl::Milliseconds(20) || transit == absl::Milliseconds(23)));
    if (i > 0 && d.sequence < max_seen) {
      ++late;
      CHECK(transit == absl::Milliseconds(23));
    }
    max_seen = std::max(max_seen, d.sequence);
  }
  CHECK(late <= reorder_stats.reordered);
  CHECK(late * 10 >= reorder_stats.reordered * 8);
  for (size_t i = 1; i < reordered.size(); ++i) CHECK(reordered[i].time >= reordered[i - 1].time);
}

TEST_CASE("Duplication delivers identical extra copies", "[sim]") {
  InMemoryNetwork net(5);
  LinkConfig c;
  c.propagation_delay = absl::Milliseconds(1);
  c.duplicate_probability = 0.25;
  REQUIRE(net.SetLinkConfig(kClient, kServer, c).ok());
  constexpr int kPackets = 10000;
  for (int i = 0; i < kPackets; ++i) {
    net.Send(kStart + absl::Microseconds(10 * i), kClient, kServer,
             Payload(1 + i % 1200, static_cast<uint8_t>(i)));
  }
  std::vector<Delivery> got = DrainAll(net);
  LinkStats s = net.GetLinkStats(kClient, kServer);
  CHECK(got.size() == kPackets + s.duplicated);
  CHECK(s.delivered == got.size());
  CHECK(s.duplicated > 2250);  // expected 2500, sd ~43
  CHECK(s.duplicated < 2750);

  uint64_t duplicates = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (!got[i].duplicate) continue;
    ++duplicates;
    // The copy arrives with (right after) its original.
    REQUIRE(i > 0);
    CHECK(got[i - 1].sequence == got[i].sequence);
    CHECK_FALSE(got[i - 1].duplicate);
    CHECK(got[i - 1].bytes == got[i].bytes);
    CHECK(got[i - 1].time == got[i].time);
  }
  CHECK(duplicates == s.duplicated);
}

TEST_CASE("Corruption flips exactly one bit in the chosen fraction of datagrams", "[sim]") {
  InMemoryNetwork net(13);
  LinkConfig c;
  c.propagation_delay = absl::Milliseconds(2);
  c.corrupt_probability = 0.1;
  c.duplicate_probability = 0.05;
  REQUIRE(net.SetLinkConfig(kClient, kServer, c).ok());
  constexpr int kPackets = 10000;
  std::vector<std::vector<uint8_t>> sent;
  for (int i = 0; i < kPackets; ++i) {
    std::vector<uint8_t> bytes(1 + i % 300);
    for (size_t j = 0; j < bytes.size(); ++j) bytes[j] = static_cast<uint8_t>(i * 7 + j * 13);
    net.Send(kStart + absl::Microseconds(50 * i), kClient, kServer, bytes);
    sent.push_back(std::move(bytes));
  }
  std::vector<Delivery> got = DrainAll(net);
  LinkStats s = net.GetLinkStats(kClient, kServer);
  REQUIRE(got.size() == kPackets + s.duplicated);
  CHECK(s.corrupted > 850);  // expected 1000, sd ~30
  CHECK(s.corrupted < 1150);
  uint64_t damaged_originals = 0;
  std::vector<int> bit_hits(8, 0);
  for (size_t i = 0; i < got.size(); ++i) {
    const Delivery& d = got[i];
    const std::vector<uint8_t>& original = sent[d.sequence];
    REQUIRE(d.bytes.size() == original.size());
    int flipped = 0;
    for (size_t j = 0; j < original.size(); ++j) {
      uint8_t x = d.bytes[j] ^ original[j];
      for (int b = 0; b < 8; ++b) {
        if (x & (1u << b)) {
          ++flipped;
          ++bit_hits[b];
        }
      }
    }
    CHECK(flipped <= 1);
    if (d.duplicate) {
      // The copy carries its original's damage, if any.
      REQUIRE(i > 0);
      CHECK(got[i - 1].bytes == d.bytes);
    } else if (flipped == 1) {
      ++damaged_originals;
    }
  }
  CHECK(damaged_originals == s.corrupted);
  for (int hits : bit_hits) CHECK(hits > 0);  // every bit position gets hit

  // Off by default: nothing changes, and an empty datagram cannot be corrupted.
  InMemoryNetwork clean(13);
  c.corrupt_probability = 1.0;
  REQUIRE(clean.SetLinkConfig(kClient, kServer, c).ok());
  clean.Send(kStart, kClient, kServer, std::vector<uint8_t>{});
  CHECK(DrainAll(clean).at(0).bytes.empty());
  CHECK(clean.GetLinkStats(kClient, kServer).corrupted == 0);
}

using Trace = std::vector<std::tuple<uint64_t, int64_t, bool, uint16_t, size_t>>;

// Both directions with every impairment on.
Trace RunImpairedScenario(uint64_t seed, bool reverse_traffic = true) {
  InMemoryNetwork net(seed);
  LinkConfig c;
  c.propagation_delay = absl::Milliseconds(15);
  c.bandwidth_bps = 10'000'000;
  c.queue_capacity_bytes = 20 * 1200;
  c.loss_probability = 0.01;
  c.burst_enter_probability = 0.005;
  c.burst_exit_probability = 0.3;
  c.jitter = absl::Milliseconds(2);
  c.reorder_probability = 0.05;
  c.reorder_delay = absl::Milliseconds(4);
  c.duplicate_probability = 0.02;
  REQUIRE(net.SetSymmetricLinkConfig(kClient, kServer, c).ok());
  Trace trace;
  absl::Time now = kStart;
  for (int i = 0; i < 3000; ++i) {
    now += absl::Microseconds(700);
    net.Send(now, kClient, kServer, Payload(1200));
    if (reverse_traffic && i % 3 == 0) net.Send(now, kServer, kClient, Payload(60));
    while (std::optional<Delivery> d = net.PopDelivery(now)) {
      trace.emplace_back(d->sequence, absl::ToUnixNanos(d->time), d->duplicate, d->to.port,
                         d->bytes.size());
    }
  }
  for (const Delivery& d : DrainAll(net)) {
    trace.emplace_back(d.sequence, absl::ToUnixNanos(d.time), d.duplicate, d.to.port,
                       d.bytes.size());
  }
  return trace;
}

Trace OneDirection(const Trace& t, uint16_t to_port) {
  Trace out;
  for (const auto& e : t) {
    if (std::get<3>(e) == to_port) out.push_back(e);
  }
  return out;
}

TEST_CASE("Same seed replays the same trace; another seed does not", "[sim]") {
  Trace a = RunImpairedScenario(42);
  Trace b = RunImpairedScenario(42);
  Trace c = RunImpairedScenario(43);
  REQUIRE(a.size() > 3000);
  CHECK(a == b);
  CHECK(a != c);

  // Each direction draws from its own stream: reverse traffic does not perturb the forward
  // link's losses or delays (only the network-wide sequence numbers shift).
  Trace forward_only = RunImpairedScenario(42, /*reverse_traffic=*/false);
  Trace with_reverse = OneDirection(a, kServer.port);
  REQUIRE(forward_only.size() == with_reverse.size());
  for (size_t i = 0; i < forward_only.size(); ++i) {
    CHECK(std::get<1>(forward_only[i]) == std::get<1>(with_reverse[i]));
    CHECK(std::get<2>(forward_only[i]) == std::get<2>(with_reverse[i]));
  }
}

TEST_CASE("The filter hook drops exactly the chosen datagram and sees the rest", "[sim]") {
  InMemoryNetwork net(9);
  LinkConfig c;
  c.propagation_delay = absl::Milliseconds(5);
  REQUIRE(net.SetSymmetricLinkConfig(kClient, kServer, c).ok());
  std::vector<uint64_t> seen;
  net.SetFilter([&seen](const Delivery& d) {
    seen.push_back(d.sequence);
    CHECK(d.time == kStart + absl::Milliseconds(d.sequence) + absl::Milliseconds(5));
    // Drop the third datagram the client sends (sequences interleave with the server's).
    return !(d.from == kClient && d.bytes[0] == 2);
  });
  uint8_t client_count = 0;
  for (int i = 0; i < 10; ++i) {
    if (i % 2 == 0) {
      net.Send(kStart + absl::Milliseconds(i), kClient, kServer, Payload(10, client_count++));
    } else {
      net.Send(kStart + absl::Milliseconds(i), kServer, kClient, Payload(10, 2));
    }
  }
  std::vector<Delivery> got = DrainAll(net);
  CHECK(seen.size() == 10);
  REQUIRE(got.size() == 9);
  for (const Delivery& d : got) CHECK(d.sequence != 4);  // the client's third is send #4
  CHECK(net.GetLinkStats(kClient, kServer).dropped_filter == 1);
  CHECK(net.GetLinkStats(kClient, kServer).delivered == 4);
  CHECK(net.GetLinkStats(kServer, kClient).dropped_filter == 0);
  CHECK(net.GetLinkStats(kServer, kClient).delivered == 5);

  net.SetFilter(nullptr);
  net.Send(kStart + absl::Milliseconds(20), kClient, kServer, Payload(10, 2));
  CHECK(DrainAll(net).size() == 1);
}

TEST_CASE("MTU and blackhole drops", "[sim]") {
  InMemoryNetwork net(1);
  LinkConfig c;
  c.mtu = 1200;
  c.propagation_delay = absl::Milliseconds(10);
  REQUIRE(net.SetDefaultLinkConfig(c).ok());
  net.Send(kStart, kClient, kServer, Payload(1200));
  net.Send(kStart, kClient, kServer, Payload(1201));
  net.Send(kStart, kClient, kServer, Payload(0));  // an empty datagram is a datagram
  CHECK(net.GetLinkStats(kClient, kServer).dropped_mtu == 1);

  // A blackhole drops new datagrams; those already in flight still arrive.
  LinkConfig hole = net.GetLinkConfig(kClient, kServer);
  CHECK(hole.mtu == 1200);
  hole.blackhole = true;
  REQUIRE(net.SetLinkConfig(kClient, kServer, hole).ok());
  net.Send(kStart + absl::Milliseconds(1), kClient, kServer, Payload(100));
  CHECK(DrainAll(net).size() == 2);
  CHECK(net.GetLinkStats(kClient, kServer).dropped_blackhole == 1);
  net.Send(kStart + absl::Milliseconds(20), kServer, kClient, Payload(100));  // other way: fine
  CHECK(DrainAll(net).size() == 1);

  hole.blackhole = false;
  REQUIRE(net.SetLinkConfig(kClient, kServer, hole).ok());
  net.Send(kStart + absl::Milliseconds(30), kClient, kServer, Payload(100));
  CHECK(DrainAll(net).size() == 1);

  // Default changes reach links without their own config, not the configured one.
  LinkConfig slow = c;
  slow.propagation_delay = absl::Milliseconds(50);
  REQUIRE(net.SetDefaultLinkConfig(slow).ok());
  CHECK(net.GetLinkConfig(kServer, kClient).propagation_delay == absl::Milliseconds(50));
  CHECK(net.GetLinkConfig(kClient, kServer).propagation_delay == absl::Milliseconds(10));
}

TEST_CASE("A send time earlier than one already seen is clamped", "[sim]") {
  InMemoryNetwork net(1);
  LinkConfig c;
  c.propagation_delay = absl::Milliseconds(10);
  REQUIRE(net.SetLinkConfig(kClient, kServer, c).ok());
  net.Send(kStart + absl::Seconds(1), kClient, kServer, Payload(10));
  net.Send(kStart, kClient, kServer, Payload(10));
  std::vector<Delivery> got = DrainAll(net);
  REQUIRE(got.size() == 2);
  CHECK(got[1].time == kStart + absl::Seconds(1) + absl::Milliseconds(10));
}

}  // namespace
}  // namespace kite::quic::sim
