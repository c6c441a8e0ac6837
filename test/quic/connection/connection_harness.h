// Drives a kite client and server Connection over the seeded in-memory network with simulated
// time. Everything is deterministic: the same seed gives the same run.
#ifndef KITE_TEST_QUIC_CONNECTION_CONNECTION_HARNESS_H_
#define KITE_TEST_QUIC_CONNECTION_CONNECTION_HARNESS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "quic/codec/packet_header.h"
#include "quic/connection/connection.h"
#include "quic/sim/in_memory_network.h"
#include "tls/tls_context.h"

namespace kite::quic::test {

struct HarnessOptions {
  ConnectionConfig client;
  ConnectionConfig server;
  sim::LinkConfig link;  // both directions
  uint64_t seed = 1;
  bool enable_early_data = true;
  std::vector<std::string> client_alpn = {"kite-test"};
  std::vector<std::string> server_alpn = {"kite-test"};
  // The server answers a token-less Initial with a Retry (RFC 9000 §8.1.2), as a server's
  // I/O layer would, and accepts the Initial that echoes the token.
  bool server_sends_retry = false;
  // ECN on the simulated path: false bleaches every codepoint (delivered as Not-ECT); true
  // delivers what the sender marked, turning every `ce_mark_every`-th ECT datagram towards the
  // server into CE (0: never).
  bool preserve_ecn = false;
  uint64_t ce_mark_every = 0;
  // Datagrams are handed over with Connection::OnDatagramInPlace (on a copy the harness owns)
  // instead of OnDatagram.
  bool deliver_in_place = false;
  // Called for every datagram that crosses the network; false drops it.
  std::function<bool(bool from_client, absl::Span<const uint8_t> datagram)> inspect;
};

class ConnectionHarness {
 public:
  explicit ConnectionHarness(HarnessOptions options);
  ~ConnectionHarness();

  // Creates the TLS contexts (shared across reconnects, so tickets resume).
  absl::Status Init();
  // Creates a client connection (with config.client) and forgets any previous pair.
  absl::Status Connect();
  // Runs until `done` returns true, nothing is left to do, or `limit` of simulated time passed.
  // Returns whether `done` became true.
  bool RunUntil(const std::function<bool()>& done, absl::Duration limit = absl::Seconds(60));

  // The client moves to `address` and tells its connection (RFC 9000 §9.2).
  absl::Status MigrateClient(const sim::Address& address);
  // A NAT in front of the client starts using `address`; the client does not know (§9.3).
  absl::Status RebindClient(const sim::Address& address);
  const sim::Address& client_address() const { return client_wire_address_; }

  Connection* client() { return client_.get(); }
  Connection* server() { return server_.get(); }
  absl::Time now() const { return now_; }
  absl::Time start_time() const { return start_; }
  sim::InMemoryNetwork& network() { return *network_; }
  HarnessOptions& options() { return options_; }

  // Application hooks, called after each step with every new event.
  std::function<void(Connection&, const ConnectionEvent&)> on_client_event;
  std::function<void(Connection&, const ConnectionEvent&)> on_server_event;
  // Called once per step: lets the application write more data (backpressure loops).
  std::function<void()> on_step;

  std::vector<ConnectionEvent>& client_events() { return client_events_; }
  std::vector<ConnectionEvent>& server_events() { return server_events_; }
  // Resumption tickets the client received.
  const std::vector<std::vector<uint8_t>>& tickets() const { return tickets_; }
  uint64_t datagrams_sent(bool from_client) const {
    return from_client ? client_datagrams_ : server_datagrams_;
  }

  static constexpr sim::Address kClientAddress{0x0a000001, 4433};
  static constexpr sim::Address kServerAddress{0x0a000002, 443};

 private:
  void Flush(Connection* c, bool from_client);
  void Deliver(const sim::Delivery& d);
  void SendRetry(const PacketHeader& initial);
  void DrainEvents();
  RandomBytes MakeRandom();

  HarnessOptions options_;
  std::unique_ptr<sim::InMemoryNetwork> network_;
  std::unique_ptr<tls::TlsClientContext> client_tls_;
  std::unique_ptr<tls::TlsServerContext> server_tls_;
  std::unique_ptr<Connection> client_;
  std::unique_ptr<Connection> server_;
  std::mt19937_64 rng_;
  absl::Time start_;
  absl::Time now_;
  std::vector<uint8_t> buf_;
  std::vector<ConnectionEvent> client_events_;
  std::vector<ConnectionEvent> server_events_;
  std::vector<std::vector<uint8_t>> tickets_;
  uint64_t client_datagrams_ = 0;
  uint64_t server_datagrams_ = 0;
  // Retry state: what the harness's "I/O layer" sent and must see echoed.
  std::vector<uint8_t> retry_token_;
  // The client's address on the wire, and the address its connection believes it has.
  sim::Address client_wire_address_ = kClientAddress;
  sim::Address client_local_address_ = kClientAddress;
  EcnCodepoint client_ecn_ = EcnCodepoint::kNotEct;
  EcnCodepoint server_ecn_ = EcnCodepoint::kNotEct;
  uint64_t ect_to_server_ = 0;
  std::optional<ConnectionId> retry_original_dcid_;
  std::optional<ConnectionId> retry_scid_;

 public:
  uint64_t retries_sent() const { return retries_sent_; }

 private:
  uint64_t retries_sent_ = 0;
};

NetworkPath PathFor(const sim::Address& local, const sim::Address& remote);

}  // namespace kite::quic::test

#endif  // KITE_TEST_QUIC_CONNECTION_CONNECTION_HARNESS_H_
