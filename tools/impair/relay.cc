#include "tools/impair/relay.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace kite::tools::impair {
namespace {

// The server's address inside the simulated network; clients are 10.x.y.z (see SimAddressOf).
constexpr quic::sim::Address kSimServer{0x0b000001, 443};

void AddLinkStats(const quic::sim::LinkStats& s, quic::sim::LinkStats* total) {
  total->sent += s.sent;
  total->bytes_sent += s.bytes_sent;
  total->delivered += s.delivered;
  total->bytes_delivered += s.bytes_delivered;
  total->dropped_loss += s.dropped_loss;
  total->dropped_queue += s.dropped_queue;
  total->dropped_mtu += s.dropped_mtu;
  total->dropped_blackhole += s.dropped_blackhole;
  total->dropped_filter += s.dropped_filter;
  total->duplicated += s.duplicated;
  total->reordered += s.reordered;
  total->corrupted += s.corrupted;
  total->max_queue_bytes = std::max(total->max_queue_bytes, s.max_queue_bytes);
}

quic::sim::LinkConfig Changed(quic::sim::LinkConfig c, const ScheduledChange& change) {
  if (change.blackhole.has_value()) c.blackhole = *change.blackhole;
  if (change.bandwidth_bps.has_value()) c.bandwidth_bps = *change.bandwidth_bps;
  return c;
}

}  // namespace

absl::Status ValidateRelayOptions(const RelayOptions& o) {
  if (absl::Status s = quic::sim::ValidateLinkConfig(o.up); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("up: ", std::string(s.message())));
  }
  if (absl::Status s = quic::sim::ValidateLinkConfig(o.down); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("down: ", std::string(s.message())));
  }
  if (o.schedule.size() > kMaxScheduleEntries || o.rebind_at.size() > kMaxScheduleEntries) {
    return absl::InvalidArgumentError(
        absl::StrCat("more than ", kMaxScheduleEntries, " scheduled changes or rebinds"));
  }
  for (const ScheduledChange& c : o.schedule) {
    if (c.at < absl::ZeroDuration() || c.at == absl::InfiniteDuration()) {
      return absl::InvalidArgumentError("scheduled change at a negative or infinite time");
    }
  }
  for (absl::Duration d : o.rebind_at) {
    if (d < absl::ZeroDuration() || d == absl::InfiniteDuration()) {
      return absl::InvalidArgumentError("rebind at a negative or infinite time");
    }
  }
  // A tiny period would make the relay do nothing but rebind.
  if (o.rebind_every != absl::ZeroDuration() && o.rebind_every < absl::Milliseconds(10)) {
    return absl::InvalidArgumentError("rebind interval below 10ms");
  }
  if (o.client_idle_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("client idle timeout must be positive");
  }
  if (o.max_clients == 0 || o.max_clients > kMaxClients) {
    return absl::InvalidArgumentError(absl::StrCat("max clients outside [1, ", kMaxClients, "]"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Relay>> Relay::Create(const RelayOptions& options,
                                                     absl::Time start) {
  if (absl::Status s = ValidateRelayOptions(options); !s.ok()) return s;
  // Scheduled changes only touch the blackhole flag and the bandwidth, which any value of keeps
  // a valid config, so every config the schedule produces is valid too.
  return std::unique_ptr<Relay>(new Relay(options, start));
}

Relay::Relay(const RelayOptions& options, absl::Time start)
    : options_(options),
      start_(start),
      network_(options.seed),
      up_(options.up),
      down_(options.down) {
  std::stable_sort(options_.schedule.begin(), options_.schedule.end(),
                   [](const ScheduledChange& a, const ScheduledChange& b) { return a.at < b.at; });
  std::sort(options_.rebind_at.begin(), options_.rebind_at.end());
  // Two rebinds at one instant are one rebind.
  options_.rebind_at.erase(std::unique(options_.rebind_at.begin(), options_.rebind_at.end()),
                           options_.rebind_at.end());
}

quic::sim::Address Relay::SimAddressOf(uint32_t index) {
  // Unique for every index: 10.0.0.0/16 plus the index's high half, port its low half.
  return quic::sim::Address{0x0a000000u + (index >> 16), static_cast<uint16_t>(index & 0xffff)};
}

std::optional<uint64_t> Relay::UpstreamOf(const quic::SocketAddress& client) const {
  auto it = by_address_.find(client);
  if (it == by_address_.end()) return std::nullopt;
  return clients_.at(it->second).upstream;
}

void Relay::ApplyLinkConfigs(const Client& c) {
  // Both configs were validated (schedule changes keep them valid), so these cannot fail.
  (void)network_.SetLinkConfig(c.sim_address, kSimServer, up_);
  (void)network_.SetLinkConfig(kSimServer, c.sim_address, down_);
}

void Relay::ApplySchedule(absl::Time now) {
  bool changed = false;
  while (next_change_ < options_.schedule.size() &&
         start_ + options_.schedule[next_change_].at <= now) {
    const ScheduledChange& change = options_.schedule[next_change_++];
    if (change.up) up_ = Changed(up_, change);
    if (change.down) down_ = Changed(down_, change);
    changed = true;
  }
  if (!changed) return;
  for (const auto& [index, c] : clients_) ApplyLinkConfigs(c);
}

absl::Time Relay::NextRebind(const Client& c) const {
  absl::Time t = c.next_rebind_every;
  if (c.next_rebind_at < options_.rebind_at.size()) {
    t = std::min(t, c.first_seen + options_.rebind_at[c.next_rebind_at]);
  }
  return t;
}

void Relay::Rebind(Client& c) {
  // Open the new mapping before closing the old one, as the shell carries actions out in order.
  const uint64_t old = c.upstream;
  c.upstream = next_upstream_++;
  by_upstream_.erase(old);
  by_upstream_[c.upstream] = c.index;
  RelayAction open;
  open.kind = RelayAction::Kind::kOpenUpstream;
  open.upstream = c.upstream;
  open.client = c.address;
  actions_.push_back(std::move(open));
  RelayAction close;
  close.kind = RelayAction::Kind::kCloseUpstream;
  close.upstream = old;
  close.client = c.address;
  actions_.push_back(std::move(close));
  ++stats_.rebinds;
}

Relay::Client* Relay::NewClient(absl::Time now, const quic::SocketAddress& address) {
  if (clients_.size() >= options_.max_clients) return nullptr;
  Client c;
  c.index = next_index_++;
  c.address = address;
  c.sim_address = SimAddressOf(c.index);
  c.upstream = next_upstream_++;
  c.first_seen = now;
  c.last_active = now;
  if (options_.rebind_every > absl::ZeroDuration()) c.next_rebind_every = now + options_.rebind_every;
  earliest_rebind_ = std::min(earliest_rebind_, NextRebind(c));
  earliest_expiry_ = std::min(earliest_expiry_, now + options_.client_idle_timeout);
  ApplyLinkConfigs(c);
  RelayAction open;
  open.kind = RelayAction::Kind::kOpenUpstream;
  open.upstream = c.upstream;
  open.client = address;
  actions_.push_back(std::move(open));
  by_address_[address] = c.index;
  by_upstream_[c.upstream] = c.index;
  ++stats_.clients;
  return &(clients_[c.index] = c);
}

void Relay::Forget(uint32_t index) {
  auto it = clients_.find(index);
  if (it == clients_.end()) return;
  RelayAction close;
  close.kind = RelayAction::Kind::kCloseUpstream;
  close.upstream = it->second.upstream;
  close.client = it->second.address;
  actions_.push_back(std::move(close));
  by_upstream_.erase(it->second.upstream);
  by_address_.erase(it->second.address);
  clients_.erase(it);
}

void Relay::OnClientDatagram(absl::Time now, const quic::SocketAddress& client,
                             absl::Span<const uint8_t> datagram) {
  Advance(now);
  Client* c = nullptr;
  if (auto it = by_address_.find(client); it != by_address_.end()) {
    c = &clients_.at(it->second);
  } else {
    c = NewClient(now, client);
    if (c == nullptr) {
      ++stats_.dropped_client_limit;
      return;
    }
  }
  c->last_active = now;
  network_.Send(now, c->sim_address, kSimServer, datagram);
  Deliver(now);  // a perfect link delivers at once
}

void Relay::OnServerDatagram(absl::Time now, uint64_t upstream,
                             absl::Span<const uint8_t> datagram) {
  Advance(now);
  auto it = by_upstream_.find(upstream);
  if (it == by_upstream_.end()) {
    ++stats_.dropped_unknown_upstream;
    return;
  }
  Client& c = clients_.at(it->second);
  c.last_active = now;
  network_.Send(now, kSimServer, c.sim_address, datagram);
  Deliver(now);
}

void Relay::ExpireIdle(absl::Time now) {
  if (now < earliest_expiry_) return;
  std::vector<uint32_t> idle;
  earliest_expiry_ = absl::InfiniteFuture();
  for (const auto& [index, c] : clients_) {
    const absl::Time expiry = c.last_active + options_.client_idle_timeout;
    if (expiry <= now) {
      idle.push_back(index);
    } else {
      earliest_expiry_ = std::min(earliest_expiry_, expiry);
    }
  }
  // Hash-map order is arbitrary; forget in index order so the actions replay identically.
  std::sort(idle.begin(), idle.end());
  for (uint32_t index : idle) {
    Forget(index);
    ++stats_.clients_expired;
  }
}

void Relay::Deliver(absl::Time now) {
  while (std::optional<quic::sim::Delivery> d = network_.PopDelivery(now)) {
    const bool to_server = d->to == kSimServer;
    const quic::sim::Address client_sim = to_server ? d->from : d->to;
    const uint32_t index = ((client_sim.host - 0x0a000000u) << 16) | client_sim.port;
    auto it = clients_.find(index);
    if (it == clients_.end()) {
      ++stats_.dropped_client_gone;
      continue;
    }
    RelayAction a;
    a.client = it->second.address;
    // The NAT translates on the way out: a datagram queued before a rebind leaves from the
    // mapping in force when it is delivered.
    a.upstream = it->second.upstream;
    a.kind = to_server ? RelayAction::Kind::kSendToServer : RelayAction::Kind::kSendToClient;
    a.bytes = std::move(d->bytes);
    actions_.push_back(std::move(a));
  }
}

void Relay::Advance(absl::Time now) {
  ApplySchedule(now);
  // Deliveries due before a rebind leave through the old mapping; so deliver first up to each
  // rebind time, in time order across clients.
  while (earliest_rebind_ <= now) {
    Client* due = nullptr;
    absl::Time due_at = absl::InfiniteFuture();
    for (auto& [index, c] : clients_) {
      absl::Time t = NextRebind(c);
      if (t <= now && (t < due_at || (t == due_at && index < due->index))) {
        due = &c;
        due_at = t;
      }
    }
    if (due == nullptr) {
      // Nothing due after all: tighten the bound to the true earliest rebind.
      earliest_rebind_ = absl::InfiniteFuture();
      for (const auto& [index, c] : clients_) earliest_rebind_ = std::min(earliest_rebind_, NextRebind(c));
      break;
    }
    Deliver(due_at);
    Rebind(*due);
    if (due->next_rebind_at < options_.rebind_at.size() &&
        due->first_seen + options_.rebind_at[due->next_rebind_at] <= due_at) {
      ++due->next_rebind_at;
    }
    if (due->next_rebind_every <= due_at) due->next_rebind_every += options_.rebind_every;
  }
  Deliver(now);
  ExpireIdle(now);
}

std::optional<absl::Time> Relay::NextWakeup() const {
  absl::Time t = absl::InfiniteFuture();
  if (std::optional<absl::Time> d = network_.NextDeliveryTime()) t = *d;
  if (next_change_ < options_.schedule.size()) {
    t = std::min(t, start_ + options_.schedule[next_change_].at);
  }
  // The bounds may be early (a client forgotten or active since); Advance then tightens them.
  t = std::min({t, earliest_rebind_, earliest_expiry_});
  if (t == absl::InfiniteFuture()) return std::nullopt;
  return t;
}

std::vector<RelayAction> Relay::TakeActions() {
  std::vector<RelayAction> out;
  out.swap(actions_);
  return out;
}

RelayStats Relay::stats() const {
  RelayStats s = stats_;
  for (uint32_t i = 0; i < next_index_; ++i) {
    AddLinkStats(network_.GetLinkStats(SimAddressOf(i), kSimServer), &s.up);
    AddLinkStats(network_.GetLinkStats(kSimServer, SimAddressOf(i)), &s.down);
  }
  return s;
}

}  // namespace kite::tools::impair
