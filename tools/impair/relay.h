// The sans-I/O core of kite_impair, a UDP impairment relay: clients send to the relay's listen
// address, the relay forwards to one upstream server, and every datagram crosses the simulator's
// link model (quic/sim/in_memory_network.h) on the way, one link per client and direction.
//
// Each client (a source address and port seen on the listen socket) gets its own upstream
// "socket", named by an id the I/O shell maps to a real socket; the server sees the client as
// that socket's address, as behind a NAT. Rebinding (RFC 9000 §9.3: a NAT that forgets a mapping
// and assigns a new port) replaces a client's upstream socket at configured times: the server
// then sees the same connection arrive from a new address, and datagrams it sends to the old one
// are lost.
//
// No sockets, threads or clock: the shell passes the time into every call and carries out the
// actions the relay queues (TakeActions). Randomness comes from the network's seed, so a run
// with the same inputs at the same times produces the same actions.
#ifndef KITE_TOOLS_IMPAIR_RELAY_H_
#define KITE_TOOLS_IMPAIR_RELAY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "quic/connection/socket_address.h"
#include "quic/sim/in_memory_network.h"

namespace kite::tools::impair {

// Upper bounds on configuration, so a typo cannot ask for an unbounded schedule or table.
inline constexpr size_t kMaxClients = 65536;
inline constexpr size_t kMaxScheduleEntries = 4096;

// A change to the links in force from `at` (measured from the relay's start) on.
struct ScheduledChange {
  absl::Duration at = absl::ZeroDuration();
  bool up = true;    // client -> server
  bool down = true;  // server -> client
  std::optional<bool> blackhole;
  std::optional<uint64_t> bandwidth_bps;
};

struct RelayOptions {
  // The links at the start (client -> server and server -> client), quic/sim semantics.
  quic::sim::LinkConfig up;
  quic::sim::LinkConfig down;
  uint64_t seed = 1;
  // Applied in time order; entries with equal times in the order given.
  std::vector<ScheduledChange> schedule;
  // Rebinding times, measured from each client's first datagram.
  std::vector<absl::Duration> rebind_at;
  // Also rebind every this often (from the client's first datagram); zero: never.
  absl::Duration rebind_every = absl::ZeroDuration();
  // A client silent in both directions for this long is forgotten and its upstream closed.
  absl::Duration client_idle_timeout = absl::Minutes(2);
  // Datagrams from further new clients are dropped while this many are active.
  size_t max_clients = 1024;
};

// InvalidArgument naming the problem, or OK.
absl::Status ValidateRelayOptions(const RelayOptions& options);

struct RelayAction {
  enum class Kind {
    kOpenUpstream,   // open a socket for `upstream` (a fresh local port) toward the server
    kCloseUpstream,  // close the socket of `upstream`
    kSendToServer,   // send `bytes` to the server from the socket of `upstream`
    kSendToClient,   // send `bytes` to `client` from the listen socket
  };
  Kind kind = Kind::kSendToServer;
  uint64_t upstream = 0;
  quic::SocketAddress client;
  std::vector<uint8_t> bytes;
};

struct RelayStats {
  uint64_t clients = 0;             // clients ever seen
  uint64_t clients_expired = 0;     // forgotten after the idle timeout
  uint64_t rebinds = 0;
  uint64_t dropped_client_limit = 0;     // datagrams from a client over max_clients
  uint64_t dropped_unknown_upstream = 0;  // server datagrams on a socket no longer in use
  uint64_t dropped_client_gone = 0;       // deliveries for a client forgotten meanwhile
  quic::sim::LinkStats up;    // summed over every client's client -> server link
  quic::sim::LinkStats down;  // summed over every client's server -> client link
};

class Relay {
 public:
  static absl::StatusOr<std::unique_ptr<Relay>> Create(const RelayOptions& options,
                                                       absl::Time start);

  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // A datagram from `client` reached the listen socket at `now`.
  void OnClientDatagram(absl::Time now, const quic::SocketAddress& client,
                        absl::Span<const uint8_t> datagram);
  // A datagram from the server reached the socket of `upstream` at `now`.
  void OnServerDatagram(absl::Time now, uint64_t upstream, absl::Span<const uint8_t> datagram);

  // Runs everything due at or before `now`: schedule changes, rebinds, idle expiry, deliveries.
  void Advance(absl::Time now);
  // When Advance next may have something to do, if ever: never later than the next event, at
  // times earlier (an Advance then does nothing and the next call is later).
  std::optional<absl::Time> NextWakeup() const;

  // The actions queued since the last call, in the order the shell must carry them out.
  std::vector<RelayAction> TakeActions();

  // Counters, with the link statistics summed over every client ever seen (O(clients)).
  RelayStats stats() const;
  uint64_t clients_seen() const { return stats_.clients; }
  uint64_t rebinds() const { return stats_.rebinds; }
  size_t active_clients() const { return clients_.size(); }
  // The current upstream of `client`, if it is active.
  std::optional<uint64_t> UpstreamOf(const quic::SocketAddress& client) const;

 private:
  struct Client {
    uint32_t index = 0;
    quic::SocketAddress address;
    quic::sim::Address sim_address;
    uint64_t upstream = 0;
    absl::Time first_seen;
    absl::Time last_active;
    size_t next_rebind_at = 0;  // into options_.rebind_at (sorted)
    absl::Time next_rebind_every = absl::InfiniteFuture();
  };

  Relay(const RelayOptions& options, absl::Time start);

  static quic::sim::Address SimAddressOf(uint32_t index);
  absl::Time NextRebind(const Client& c) const;
  void ApplySchedule(absl::Time now);
  void ApplyLinkConfigs(const Client& c);
  void Rebind(Client& c);
  void ExpireIdle(absl::Time now);
  void Deliver(absl::Time now);
  Client* NewClient(absl::Time now, const quic::SocketAddress& address);
  void Forget(uint32_t index);

  RelayOptions options_;
  const absl::Time start_;
  quic::sim::InMemoryNetwork network_;
  quic::sim::LinkConfig up_;    // in force now
  quic::sim::LinkConfig down_;
  size_t next_change_ = 0;      // into options_.schedule (sorted by time)

  absl::flat_hash_map<uint32_t, Client> clients_;  // by index
  absl::flat_hash_map<quic::SocketAddress, uint32_t> by_address_;
  absl::flat_hash_map<uint64_t, uint32_t> by_upstream_;
  uint32_t next_index_ = 0;
  uint64_t next_upstream_ = 1;

  // Lower bounds on the earliest rebind and idle expiry over all clients, so the per-datagram
  // Advance scans the clients only when one may be due. A client's times only move later, and
  // a new client's are no earlier than the bound for the existing ones (expiry) or are folded in
  // when it is created (rebind).
  absl::Time earliest_rebind_ = absl::InfiniteFuture();
  absl::Time earliest_expiry_ = absl::InfiniteFuture();

  std::vector<RelayAction> actions_;
  RelayStats stats_;
};

}  // namespace kite::tools::impair

#endif  // KITE_TOOLS_IMPAIR_RELAY_H_
