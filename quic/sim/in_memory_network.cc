#include "quic/sim/in_memory_network.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"

namespace kite::quic::sim {
namespace {

// SplitMix64 finaliser: spreads the network seed and a link's endpoints into a per-link seed, so
// a link's random stream does not depend on which other links exist or were used first.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t LinkSeed(uint64_t seed, Address from, Address to) {
  uint64_t h = Mix(seed);
  h = Mix(h ^ ((uint64_t{from.host} << 16) | from.port));
  h = Mix(h ^ ((uint64_t{to.host} << 16) | to.port));
  return h;
}

bool IsProbability(double p) { return p >= 0.0 && p <= 1.0; }  // false for NaN

bool IsDelay(absl::Duration d) { return d >= absl::ZeroDuration() && d <= kMaxLinkDelay; }

// Time to clock `bytes` onto a link of `bandwidth_bps`, rounded up to whole nanoseconds.
// bytes <= kMaxDatagramSize keeps bytes * 8e9 far below 2^64.
absl::Duration SerializationTime(size_t bytes, uint64_t bandwidth_bps) {
  uint64_t bits_ns = static_cast<uint64_t>(bytes) * 8 * 1'000'000'000ULL;
  uint64_t ns = bits_ns / bandwidth_bps + (bits_ns % bandwidth_bps != 0 ? 1 : 0);
  return absl::Nanoseconds(static_cast<int64_t>(ns));
}

}  // namespace

std::string Address::ToString() const {
  return absl::StrCat((host >> 24) & 0xff, ".", (host >> 16) & 0xff, ".", (host >> 8) & 0xff, ".",
                      host & 0xff, ":", port);
}

absl::Status ValidateLinkConfig(const LinkConfig& c) {
  if (!IsDelay(c.propagation_delay)) {
    return absl::InvalidArgumentError("propagation_delay outside [0, kMaxLinkDelay]");
  }
  if (!IsDelay(c.jitter)) return absl::InvalidArgumentError("jitter outside [0, kMaxLinkDelay]");
  if (!IsDelay(c.reorder_delay)) {
    return absl::InvalidArgumentError("reorder_delay outside [0, kMaxLinkDelay]");
  }
  if (c.queue_capacity_bytes > kMaxQueueCapacityBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("queue_capacity_bytes above ", kMaxQueueCapacityBytes));
  }
  if (c.mtu == 0 || c.mtu > kMaxDatagramSize) {
    return absl::InvalidArgumentError(absl::StrCat("mtu outside [1, ", kMaxDatagramSize, "]"));
  }
  const std::pair<double, const char*> probabilities[] = {
      {c.loss_probability, "loss_probability"},
      {c.burst_enter_probability, "burst_enter_probability"},
      {c.burst_exit_probability, "burst_exit_probability"},
      {c.burst_loss_probability, "burst_loss_probability"},
      {c.reorder_probability, "reorder_probability"},
      {c.duplicate_probability, "duplicate_probability"},
      {c.corrupt_probability, "corrupt_probability"},
  };
  for (const auto& [p, name] : probabilities) {
    if (!IsProbability(p)) return absl::InvalidArgumentError(absl::StrCat(name, " outside [0, 1]"));
  }
  if (c.burst_enter_probability > 0 && c.burst_exit_probability == 0) {
    // A burst that never ends would turn the link into a silent blackhole.
    return absl::InvalidArgumentError("burst_exit_probability must be > 0 when bursts are enabled");
  }
  return absl::OkStatus();
}

InMemoryNetwork::InMemoryNetwork(uint64_t seed) : seed_(seed) {}

absl::Status InMemoryNetwork::SetDefaultLinkConfig(const LinkConfig& config) {
  if (absl::Status s = ValidateLinkConfig(config); !s.ok()) return s;
  default_config_ = config;
  for (Link& link : links_) {
    if (!link.has_own_config) link.config = config;
  }
  return absl::OkStatus();
}

absl::Status InMemoryNetwork::SetLinkConfig(Address from, Address to, const LinkConfig& config) {
  if (absl::Status s = ValidateLinkConfig(config); !s.ok()) return s;
  Link& link = links_[LinkIndex(from, to)];
  link.config = config;
  link.has_own_config = true;
  return absl::OkStatus();
}

absl::Status InMemoryNetwork::SetSymmetricLinkConfig(Address a, Address b,
                                                     const LinkConfig& config) {
  if (absl::Status s = SetLinkConfig(a, b, config); !s.ok()) return s;
  return SetLinkConfig(b, a, config);
}

LinkConfig InMemoryNetwork::GetLinkConfig(Address from, Address to) const {
  auto it = link_index_.find(LinkKey{from, to});
  return it == link_index_.end() ? default_config_ : links_[it->second].config;
}

LinkStats InMemoryNetwork::GetLinkStats(Address from, Address to) const {
  auto it = link_index_.find(LinkKey{from, to});
  return it == link_index_.end() ? LinkStats{} : links_[it->second].stats;
}

size_t InMemoryNetwork::LinkIndex(Address from, Address to) {
  auto [it, inserted] = link_index_.try_emplace(LinkKey{from, to}, links_.size());
  if (inserted) {
    Link link;
    link.config = default_config_;
    link.rng.seed(LinkSeed(seed_, from, to));
    links_.push_back(std::move(link));
  }
  return it->second;
}

double InMemoryNetwork::Uniform01(std::mt19937_64& rng) {
  // 53 random bits -> [0, 1). std::uniform_real_distribution is implementation-defined, which
  // would make traces differ between standard libraries.
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

bool InMemoryNetwork::Bernoulli(std::mt19937_64& rng, double p) {
  // No draw for a disabled impairment, so enabling one knob leaves the others' streams alone
  // as long as it is off.
  return p > 0.0 && Uniform01(rng) < p;
}

bool InMemoryNetwork::IsLost(Link& link) {
  const LinkConfig& c = link.config;
  double p = c.loss_probability;
  if (c.burst_enter_probability > 0.0) {
    // Gilbert-Elliott: a two-state Markov chain stepped once per datagram.
    if (link.burst_bad) {
      if (Bernoulli(link.rng, c.burst_exit_probability)) link.burst_bad = false;
    } else {
      if (Bernoulli(link.rng, c.burst_enter_probability)) link.burst_bad = true;
    }
    if (link.burst_bad) p = c.burst_loss_probability;
  } else {
    link.burst_bad = false;
  }
  return Bernoulli(link.rng, p);
}

void InMemoryNetwork::Send(absl::Time now, Address from, Address to,
                           absl::Span<const uint8_t> datagram) {
  now = std::max(now, latest_now_);
  latest_now_ = now;
  const uint64_t sequence = next_sequence_++;
  const size_t link_index = LinkIndex(from, to);
  Link& link = links_[link_index];
  const LinkConfig& c = link.config;
  const size_t size = datagram.size();

  ++link.stats.sent;
  link.stats.bytes_sent += size;
  if (c.blackhole) {
    ++link.stats.dropped_blackhole;
    return;
  }
  if (size > c.mtu) {
    ++link.stats.dropped_mtu;
    return;
  }
  if (pending_.size() >= kMaxPendingDeliveries) {
    ++link.stats.dropped_queue;
    return;
  }

  absl::Time departure = now;
  if (c.bandwidth_bps > 0) {
    // Datagrams whose last bit left by `now` no longer occupy the queue.
    while (!link.queue.empty() && link.queue.front().first <= now) {
      link.queued_bytes -= link.queue.front().second;
      link.queue.pop_front();
    }
    if (link.queued_bytes + size > c.queue_capacity_bytes) {
      ++link.stats.dropped_queue;  // drop-tail
      return;
    }
    // Queueing delay (waiting for busy_until) plus this datagram's own serialization.
    departure = std::max(now, link.busy_until) + SerializationTime(size, c.bandwidth_bps);
    link.busy_until = departure;
    link.queue.emplace_back(departure, size);
    link.queued_bytes += size;
    link.stats.max_queue_bytes = std::max(link.stats.max_queue_bytes, link.queued_bytes);
  }

  // Loss on the wire, past the bottleneck: the datagram has used its transmission slot.
  if (IsLost(link)) {
    ++link.stats.dropped_loss;
    return;
  }

  absl::Time arrival = departure + c.propagation_delay;
  if (c.jitter > absl::ZeroDuration()) {
    arrival += absl::Nanoseconds(static_cast<int64_t>(
        std::floor(Uniform01(link.rng) * static_cast<double>(absl::ToInt64Nanoseconds(c.jitter)))));
  }
  // Jitter alone keeps FIFO order, as a real path mostly does.
  arrival = std::max(arrival, link.last_in_order_arrival);
  link.last_in_order_arrival = arrival;
  if (Bernoulli(link.rng, c.reorder_probability)) {
    // Held back without moving the in-order horizon, so later datagrams may overtake it.
    arrival += c.reorder_delay;
    ++link.stats.reordered;
  }
  const bool duplicate = Bernoulli(link.rng, c.duplicate_probability);
  if (duplicate) ++link.stats.duplicated;
  // Drawn last and only when enabled, so a link without corruption replays the same trace as
  // before the knob existed.
  std::optional<size_t> flipped_bit;
  if (size > 0 && Bernoulli(link.rng, c.corrupt_probability)) {
    flipped_bit = static_cast<size_t>(link.rng() % (uint64_t{size} * 8));
    ++link.stats.corrupted;
  }

  for (int copy = 0; copy < (duplicate ? 2 : 1); ++copy) {
    Pending p;
    p.time = arrival;
    p.order = next_order_++;
    p.link = link_index;
    p.delivery.from = from;
    p.delivery.to = to;
    p.delivery.bytes.assign(datagram.begin(), datagram.end());
    if (flipped_bit.has_value()) {
      p.delivery.bytes[*flipped_bit / 8] ^= static_cast<uint8_t>(1u << (*flipped_bit % 8));
    }
    p.delivery.time = arrival;
    p.delivery.sequence = sequence;
    p.delivery.duplicate = copy == 1;
    if (filter_ && !filter_(p.delivery)) {
      ++links_[link_index].stats.dropped_filter;
      continue;
    }
    pending_.push_back(std::move(p));
    std::push_heap(pending_.begin(), pending_.end(), &InMemoryNetwork::Later);
  }
}

std::optional<absl::Time> InMemoryNetwork::NextDeliveryTime() const {
  if (pending_.empty()) return std::nullopt;
  return pending_.front().time;
}

std::optional<Delivery> InMemoryNetwork::PopDelivery(absl::Time now) {
  if (pending_.empty() || pending_.front().time > now) return std::nullopt;
  std::pop_heap(pending_.begin(), pending_.end(), &InMemoryNetwork::Later);
  Pending p = std::move(pending_.back());
  pending_.pop_back();
  LinkStats& stats = links_[p.link].stats;
  ++stats.delivered;
  stats.bytes_delivered += p.delivery.bytes.size();
  return std::move(p.delivery);
}

}  // namespace kite::quic::sim
