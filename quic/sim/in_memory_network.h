// A deterministic, discrete-event, in-memory datagram network: the network kite's connection
// tests run over, and the seed of the congestion simulator.
//
// Sans-I/O: no sockets, no threads, no clock. The caller owns time and passes it in; the network
// only computes when each datagram it was given would arrive. All randomness comes from seeded
// std::mt19937_64 engines (one per directed link, seeded from the network seed and the link's
// endpoints) with kite's own [0, 1) conversion, so a run replays bit-for-bit for a given seed on
// any platform and regardless of the order in which links are first used.
//
// Each direction (from -> to) has its own link, modelled as
//   drop checks (blackhole, MTU) -> drop-tail serialization queue at `bandwidth_bps`
//   -> random / bursty loss on the wire -> propagation delay + jitter (order-preserving)
//   -> optional reordering delay -> optional duplication -> optional corruption -> filter hook
//   -> delivery.
// Queueing delay is not configured: it emerges from the bandwidth and the queue occupancy.
//
// Single-threaded. Typical driving loop:
//   net.Send(now, a, b, bytes);
//   while (auto t = net.NextDeliveryTime()) { now = *t; while (auto d = net.PopDelivery(now)) ... }
#ifndef KITE_QUIC_SIM_IN_MEMORY_NETWORK_H_
#define KITE_QUIC_SIM_IN_MEMORY_NETWORK_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace kite::quic::sim {

// Largest UDP payload over IPv4 (65535 - 20 IP - 8 UDP): the ceiling for a link's MTU.
inline constexpr size_t kMaxDatagramSize = 65507;
// Upper bound on any configured delay (propagation, jitter, reordering extra delay).
inline constexpr absl::Duration kMaxLinkDelay = absl::Hours(1);
// Upper bound on a link's queue, so a mistyped config cannot model an unbounded buffer.
inline constexpr uint64_t kMaxQueueCapacityBytes = uint64_t{1} << 30;
// Datagrams in flight across the whole network; beyond this Send() drops (counted as a queue
// drop). With infinite bandwidth there is no per-link queue, so this is what bounds memory.
inline constexpr size_t kMaxPendingDeliveries = size_t{1} << 20;

// An endpoint: an IPv4-like host and a port.
struct Address {
  uint32_t host = 0;
  uint16_t port = 0;

  // "10.0.0.1:4433".
  std::string ToString() const;

  friend bool operator==(const Address& a, const Address& b) {
    return a.host == b.host && a.port == b.port;
  }
  friend bool operator!=(const Address& a, const Address& b) { return !(a == b); }
  friend bool operator<(const Address& a, const Address& b) {
    return a.host != b.host ? a.host < b.host : a.port < b.port;
  }
  template <typename H>
  friend H AbslHashValue(H h, const Address& a) {
    return H::combine(std::move(h), a.host, a.port);
  }
};

// One direction of a path. The defaults model a perfect link: no delay, infinite bandwidth, no
// impairment, a 1500-byte MTU.
struct LinkConfig {
  // One-way propagation delay, in [0, kMaxLinkDelay].
  absl::Duration propagation_delay = absl::ZeroDuration();
  // Bottleneck rate in bits per second; 0 means infinite (no serialization, no queue).
  uint64_t bandwidth_bps = 0;
  // Drop-tail limit on bytes waiting for or in transmission (only when bandwidth_bps > 0), in
  // [0, kMaxQueueCapacityBytes]. A datagram that would push the occupancy past it is dropped.
  uint64_t queue_capacity_bytes = 64 * 1500;
  // Largest datagram carried, in [1, kMaxDatagramSize]; bigger ones are dropped.
  size_t mtu = 1500;

  // Independent random loss per datagram (the Gilbert-Elliott "good" state's loss rate).
  double loss_probability = 0.0;
  // Gilbert-Elliott bursts, enabled when burst_enter_probability > 0. Per datagram, the good
  // state turns bad with burst_enter_probability and the bad state turns good with
  // burst_exit_probability (mean burst length 1 / burst_exit_probability datagrams); in the bad
  // state a datagram is lost with burst_loss_probability.
  double burst_enter_probability = 0.0;
  double burst_exit_probability = 0.5;
  double burst_loss_probability = 1.0;

  // Uniform extra delay in [0, jitter) per datagram. Jitter never reorders: a datagram is not
  // delivered before one sent earlier on the same link (reordering is its own knob below).
  absl::Duration jitter = absl::ZeroDuration();
  // With this probability a datagram is held for `reorder_delay` more, letting later ones pass.
  double reorder_probability = 0.0;
  absl::Duration reorder_delay = absl::Milliseconds(10);
  // With this probability a delivered datagram arrives twice (the copy at the same time).
  double duplicate_probability = 0.0;
  // With this probability one uniformly chosen bit of a delivered datagram is flipped (a
  // duplicate carries the same damage: the copy is made after the corruption). UDP's checksum
  // would catch most of this on a real path; the knob models what gets past it, or a middlebox
  // that rewrites payloads, so receivers' integrity checks (AEAD tags) see damaged packets.
  double corrupt_probability = 0.0;

  // Drops everything sent while set (datagrams already in flight still arrive).
  bool blackhole = false;
};

// InvalidArgument naming the offending field, or OK.
absl::Status ValidateLinkConfig(const LinkConfig& config);

struct LinkStats {
  uint64_t sent = 0;             // Send() calls on this link
  uint64_t bytes_sent = 0;
  uint64_t delivered = 0;        // datagrams handed out by PopDelivery (duplicates included)
  uint64_t bytes_delivered = 0;
  uint64_t dropped_loss = 0;     // random or burst loss
  uint64_t dropped_queue = 0;    // drop-tail (or the network-wide kMaxPendingDeliveries bound)
  uint64_t dropped_mtu = 0;
  uint64_t dropped_blackhole = 0;
  uint64_t dropped_filter = 0;   // copies the filter hook refused
  uint64_t duplicated = 0;       // extra copies created
  uint64_t reordered = 0;        // datagrams given the reordering delay
  uint64_t corrupted = 0;        // datagrams with a bit flipped (a duplicate counts once)
  uint64_t max_queue_bytes = 0;  // highest queue occupancy seen, in bytes
};

struct Delivery {
  Address from;
  Address to;
  std::vector<uint8_t> bytes;
  absl::Time time;  // when it arrives at `to`
  // Network-wide index of the Send() call that produced it, from 0; a duplicate shares its
  // original's. Tests use it to name "the third datagram sent".
  uint64_t sequence = 0;
  bool duplicate = false;  // the extra copy made by duplication
};

// Returns true to deliver, false to drop. See InMemoryNetwork::SetFilter.
using DeliveryFilter = std::function<bool(const Delivery&)>;

class InMemoryNetwork {
 public:
  // Every direction starts with a perfect LinkConfig{} until configured otherwise.
  explicit InMemoryNetwork(uint64_t seed);

  InMemoryNetwork(const InMemoryNetwork&) = delete;
  InMemoryNetwork& operator=(const InMemoryNetwork&) = delete;

  // The config of every direction without its own (including links already used).
  absl::Status SetDefaultLinkConfig(const LinkConfig& config);
  // The config of the direction from -> to. Takes effect for datagrams sent from now on; the
  // link's queue, loss state and random stream carry over.
  absl::Status SetLinkConfig(Address from, Address to, const LinkConfig& config);
  // Both directions between a and b.
  absl::Status SetSymmetricLinkConfig(Address a, Address b, const LinkConfig& config);
  // The config in force for from -> to.
  LinkConfig GetLinkConfig(Address from, Address to) const;

  // Installs (or, with nullptr, removes) a hook called once per copy about to be scheduled,
  // with its final delivery time filled in, i.e. at the link's egress: it sees neither datagrams
  // dropped earlier nor the queue, and a refused copy still used its transmission slot. It runs
  // inside Send() and must not call back into the network.
  void SetFilter(DeliveryFilter filter) { filter_ = std::move(filter); }

  // Hands a datagram to the network at `now`. `now` must not go backwards; an earlier time is
  // treated as the latest time seen so far. Never fails: impairments show up in the stats.
  void Send(absl::Time now, Address from, Address to, absl::Span<const uint8_t> datagram);

  // The earliest pending delivery time, if anything is in flight.
  std::optional<absl::Time> NextDeliveryTime() const;
  // The next datagram due at or before `now`, in (delivery time, scheduling order) order.
  std::optional<Delivery> PopDelivery(absl::Time now);

  size_t pending_deliveries() const { return pending_.size(); }
  // Zeroes for a direction that never carried anything.
  LinkStats GetLinkStats(Address from, Address to) const;

 private:
  struct LinkKey {
    Address from;
    Address to;
    friend bool operator==(const LinkKey& a, const LinkKey& b) {
      return a.from == b.from && a.to == b.to;
    }
    template <typename H>
    friend H AbslHashValue(H h, const LinkKey& k) {
      return H::combine(std::move(h), k.from, k.to);
    }
  };

  struct Link {
    LinkConfig config;
    bool has_own_config = false;
    LinkStats stats;
    std::mt19937_64 rng;
    // Departure times and sizes of datagrams still queued or being serialized.
    std::deque<std::pair<absl::Time, size_t>> queue;
    uint64_t queued_bytes = 0;
    absl::Time busy_until = absl::InfinitePast();
    absl::Time last_in_order_arrival = absl::InfinitePast();
    bool burst_bad = false;
  };

  struct Pending {
    absl::Time time;
    uint64_t order;  // tie-break: scheduling order
    size_t link;
    Delivery delivery;
  };
  // Min-heap order for std::push_heap / pop_heap.
  static bool Later(const Pending& a, const Pending& b) {
    return a.time != b.time ? a.time > b.time : a.order > b.order;
  }

  size_t LinkIndex(Address from, Address to);
  static double Uniform01(std::mt19937_64& rng);
  static bool Bernoulli(std::mt19937_64& rng, double p);
  bool IsLost(Link& link);

  const uint64_t seed_;
  LinkConfig default_config_;
  DeliveryFilter filter_;
  absl::flat_hash_map<LinkKey, size_t> link_index_;
  std::vector<Link> links_;
  std::vector<Pending> pending_;  // a heap under Later
  absl::Time latest_now_ = absl::InfinitePast();
  uint64_t next_sequence_ = 0;
  uint64_t next_order_ = 0;
};

}  // namespace kite::quic::sim

// For std::unordered_map and friends (Abseil containers use AbslHashValue above).
template <>
struct std::hash<kite::quic::sim::Address> {
  size_t operator()(const kite::quic::sim::Address& a) const noexcept {
    return std::hash<uint64_t>()((uint64_t{a.host} << 16) | a.port);
  }
};

#endif  // KITE_QUIC_SIM_IN_MEMORY_NETWORK_H_
