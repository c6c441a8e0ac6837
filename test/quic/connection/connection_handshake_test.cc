// Handshakes between two kite connections over the in-memory network (RFC 9000 §7, §8, §14;
// RFC 9001 §4; RFC 9369 for v2).
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "quic/codec/packet_header.h"
#include "test/quic/connection/connection_harness.h"

namespace kite::quic::test {
namespace {

bool HasEvent(const std::vector<ConnectionEvent>& events, ConnectionEvent::Type type) {
  for (const ConnectionEvent& e : events) {
    if (e.type == type) return true;
  }
  return false;
}

bool BothConfirmed(ConnectionHarness& h) {
  return h.client()->handshake_confirmed() && h.server() != nullptr &&
         h.server()->handshake_confirmed();
}

TEST_CASE("client and server complete a handshake over the in-memory network", "[connection]") {
  HarnessOptions opts;
  opts.link.propagation_delay = absl::Milliseconds(10);
  ConnectionHarness h(opts);
  REQUIRE(h.Init().ok());
  REQUIRE(h.Connect().ok());
  REQUIRE(h.RunUntil([&] { return BothConfirmed(h); }));
  CHECK(h.client()->alpn() == "kite-test");
  CHECK(h.server()->alpn() == "kite-test");
  CHECK(HasEvent(h.client_events(), ConnectionEvent::Type::kHandshakeCompleted));
  CHECK(HasEvent(h.server_events(), ConnectionEvent::Type::kHandshakeConfirmed));
  CHECK_FALSE(h.client()->is_closing());
  CHECK_FALSE(h.server()->is_closing());
  // One round trip for the handshake proper: the client's first flight, then its Finished
  // (sent once complete, so not counted).
  CHECK(h.client()->stats().handshake_round_trips == 1);
  // RTT was measured from the handshake (20 ms round trip on this link).
  CHECK(h.client()->recovery().rtt().min_rtt() >= absl::Milliseconds(20));
  CHECK(h.client()->recovery().rtt().min_rtt() < absl::Milliseconds(25));
}

TEST_CASE("QUIC v2 handshake uses v2 long-header types and completes", "[connection]") {
  HarnessOptions opts;
  opts.client.version = kQuicVersion2;
  opts.link.propagation_delay = absl::Milliseconds(5);
  std::vector<uint32_t> versions_seen;
  opts.inspect = [&](bool, absl::Span<const uint8_t> d) {
    if (IsLongHeader(d[0]) && d.size() >= 5) {
      versions_seen.push_back(uint32_t{d[1]} << 24 | uint32_t{d[2]} << 16 | uint32_t{d[3]} << 8 |
                              d[4]);
    }
    return true;
  };
  ConnectionHarness h(opts);
  REQUIRE(h.Init().ok());
  REQUIRE(h.Connect().ok());
  REQUIRE(h.RunUntil([&] { return BothConfirmed(h); }));
  CHECK(h.client()->version() == kQuicVersion2);
  CHECK(h.server()->version() == kQuicVersion2);
  REQUIRE_FALSE(versions_seen.empty());
  for (uint32_t v : versions_seen) CHECK(v == kQuicVersion2);
}

TEST_CASE("every datagram carrying a client Initial is at least 1200 bytes", "[connection]") {
  HarnessOptions opts;
  opts.link.propagation_delay = absl::Milliseconds(10);
  size_t client_initials = 0;
  opts.inspect = [&](bool from_client, absl::Span<const uint8_t> d) {
    if (from_client && IsLongHeader(d[0])) {
      absl::StatusOr<PacketHeader> h = ParsePacketHeader(d, 8);
      if (h.ok() && h->type == PacketType::kInitial) {
        ++client_initials;
        CHECK(d.size() >= 1200);
      }
    }
    return true;
  };
  ConnectionHarness h(opts);
  REQUIRE(h.Init().ok());
  REQUIRE(h.Connect().ok());
  REQUIRE(h.RunUntil([&] { return BothConfirmed(h); }));
  CHECK(client_initials >= 1);
}

TEST_CASE("a server sends at most three times what it received before address validation",
          "[connection]") {
  // The client's first datagram arrives; everything after it is lost, so the server never
  // validates the address and keeps retransmitting its flight under PTO.
  HarnessOptions opts;
  opts.link.propagation_delay = absl::Milliseconds(10);
  size_t client_bytes = 0;
  size_t server_bytes = 0;
  int client_datagrams = 0;
  opts.inspect = [&](bool from_client, absl::Span<const uint8_t> d) {
    if (from_client) {
      if (++client_datagrams > 1) return false;
      client_bytes += d.size();
    } else {
      server_bytes += d.size();
    }
    return true;
  };
  // A certificate chain big enough that the first flight exceeds 3 x 1200 bytes needs more than
  // the test certificate; the limit must hold across PTO retransmissions anyway.
  ConnectionHarness h(opts);
  REQUIRE(h.Init().ok());
  REQUIRE(h.Connect().ok());
  h.RunUntil([] { return false; }, absl::Seconds(5));
  REQUIRE(client_bytes >= 1200);
  CHECK(server_bytes > 0);
  CHECK(server_bytes <= 3 * client_bytes);
  REQUIRE(h.server() != nullptr);
  CHECK_FALSE(h.server()->handshake_complete());
}

TEST_CASE("both sides drop Initial and Handshake keys and issue connection IDs", "[connection]") {
  struct KeyEvents : ConnectionObserver {
    std::vector<std::string> events;
    void OnKeyUpdated(absl::Time, std::string_view key_type, uint64_t) override {
      events.emplace_back(key_type);
    }
  };
  KeyEvents client_keys, server_keys;
  HarnessOptions opts;
  opts.client.observer = &client_keys;
  opts.server.observer = &server_keys;
  opts.link.propagation_delay = absl::Milliseconds(10);
  ConnectionHarness h(opts);
  REQUIRE(h.Init().ok());
  REQUIRE(h.Connect().ok());
  REQUIRE(h.RunUntil([&] { return BothConfirmed(h); }));
  // Let NEW_CONNECTION_ID frames cross.
  h.RunUntil([] { return false; }, absl::Milliseconds(200));
  for (KeyEvents* k : {&client_keys, &server_keys}) {
    CHECK(std::count(k->events.begin(), k->events.end(), "initial_discarded") == 1);
    CHECK(std::count(k->events.begin(), k->events.end(), "handshake_discarded") == 1);
  }
  // RFC 9000 §5.1.1: each side issues IDs up to the peer's active_connection_id_limit.
  const uint64_t limit = kMaxActivePeerConnectionIds;
  CHECK(h.client()->peer_transport_parameters().active_connection_id_limit == limit);
  CHECK(h.client()->connection_ids().local_ids().size() == limit);
  CHECK(h.server()->connection_ids().local_ids().size() == limit);
  CHECK(h.client()->connection_ids().peer_id_count() == limit);
  CHECK(h.server()->connection_ids().peer_id_count() == limit);
  // The server's stateless reset token for sequence 0 came in its transport parameters.
  CHECK(h.client()->peer_transport_parameters().stateless_reset_token.has_value());
}

TEST_CASE("an ALPN mismatch fails the handshake with no_application_protocol", "[connection]") {
  HarnessOptions opts;
  opts.client_alpn = {"h3"};
  opts.server_alpn = {"kite-test"};
  ConnectionHarness h(opts);
  REQUIRE(h.Init().ok());
  REQUIRE(h.Connect().ok());
  REQUIRE(h.RunUntil([&] { return h.client()->is_terminated(); }));
  REQUIRE(h.client()->close_info().has_value());
  // RFC 9001 §4.8: CRYPTO_ERROR 0x100 + alert 120.
  CHECK(h.client()->close_info()->error_code == 0x100 + 120);
  CHECK(h.client()->close_info()->by_peer);
  CHECK_FALSE(h.client()->handshake_complete());
}

TEST_CASE("the handshake completes through 20% loss in both directions", "[connection]") {
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    HarnessOptions opts;
    opts.seed = seed;
    opts.link.propagation_delay = absl::Milliseconds(15);
    opts.link.loss_probability = 0.2;
    ConnectionHarness h(opts);
    REQUIRE(h.Init().ok());
    REQUIRE(h.Connect().ok());
    INFO("seed " << seed);
    CHECK(h.RunUntil([&] { return BothConfirmed(h); }, absl::Seconds(20)));
  }
}

TEST_CASE("runs with the same seed are identical", "[connection]") {
  auto run = [](uint64_t seed) {
    HarnessOptions opts;
    opts.seed = seed;
    opts.link.propagation_delay = absl::Milliseconds(15);
    opts.link.loss_probability = 0.1;
    ConnectionHarness h(opts);
    REQUIRE(h.Init().ok());
    REQUIRE(h.Connect().ok());
    h.RunUntil([&] { return BothConfirmed(h); }, absl::Seconds(20));
    return std::make_tuple(h.now(), h.client()->stats().packets_sent,
                           h.client()->stats().bytes_received, h.datagrams_sent(false));
  };
  CHECK(run(3) == run(3));
}

}  // namespace
}  // namespace kite::quic::test

namespace kite::quic::test {
namespace {

TEST_CASE("a client follows a Retry and the transport parameters authenticate it",
          "[connection][retry]") {
  for (uint32_t version : {kQuicVersion1, kQuicVersion2}) {
    HarnessOptions opts;
    opts.client.version = version;
    opts.server_sends_retry = true;
    opts.link.propagation_delay = absl::Milliseconds(10);
    ConnectionHarness h(opts);
    REQUIRE(h.Init().ok());
    REQUIRE(h.Connect().ok());
    REQUIRE(h.RunUntil([&] { return BothConfirmed(h); }));
    CHECK(h.retries_sent() == 1);
    CHECK(h.client()->stats().handshake_round_trips == 2);  // the Retry costs one
    // RFC 9000 §7.3: the server's retry_source_connection_id matches the Retry's SCID.
    CHECK(h.client()->peer_transport_parameters().retry_source_connection_id.has_value());
    CHECK_FALSE(h.client()->is_closing());
  }
}

}  // namespace
}  // namespace kite::quic::test

namespace kite::quic::test {
namespace {

TEST_CASE("the server issues the IDs and reset tokens of its generator; the client holds them",
          "[connection][cid]") {
  // Generated IDs start with 0xd7 and a counter; tokens are a function of the ID, so the
  // client's tokens can be recomputed from the IDs alone (as a server's static key allows).
  auto token_of = [](const ConnectionId& id) {
    StatelessResetToken t{};
    for (size_t i = 0; i < t.size(); ++i) {
      t[i] = static_cast<uint8_t>(id.span()[i % id.length()] * 31 + i);
    }
    return t;
  };
  std::vector<ConnectionId> made;
  std::vector<ConnectionId> retired;
  HarnessOptions opts;
  opts.link.propagation_delay = absl::Milliseconds(10);
  opts.server.connection_id_generator.new_id = [&made](size_t length) {
    uint8_t bytes[kMaxConnectionIdLength] = {0xd7, static_cast<uint8_t>(made.size() + 1)};
    made.emplace_back(bytes, length);
    return made.back();
  };
  opts.server.connection_id_generator.reset_token = token_of;
  opts.server.connection_id_generator.retired = [&retired](const ConnectionId& id) {
    retired.push_back(id);
  };
  ConnectionHarness h(opts);
  REQUIRE(h.Init().ok());
  REQUIRE(h.Connect().ok());
  REQUIRE(h.RunUntil([&] { return BothConfirmed(h); }));
  h.RunUntil([] { return false; }, absl::Milliseconds(200));

  // Every ID the server holds came from the generator, with the generator's token.
  REQUIRE(made.size() == kMaxActivePeerConnectionIds);
  for (const auto& [seq, issued] : h.server()->connection_ids().local_ids()) {
    CHECK(issued.id == made[seq]);
    CHECK(issued.reset_token == token_of(issued.id));
  }
  // The client received all of them (sequence 0 in the handshake, the rest in
  // NEW_CONNECTION_ID frames), each with the generator's token (the transport parameter and
  // the frames' Stateless Reset Token fields).
  std::vector<ConnectionId> held = h.client()->connection_ids().PeerIds();
  REQUIRE(held.size() == made.size());
  for (const ConnectionId& id : held) {
    CHECK(std::find(made.begin(), made.end(), id) != made.end());
    StatelessResetToken t = token_of(id);
    CHECK(h.client()->connection_ids().IsPeerStatelessResetToken(absl::MakeConstSpan(t)));
  }
  REQUIRE(h.client()->peer_transport_parameters().stateless_reset_token.has_value());
  CHECK(*h.client()->peer_transport_parameters().stateless_reset_token == token_of(made[0]));

  // The client migrates: it moves to a new server ID and retires the old one, which the
  // generator hears about; a replacement comes from the generator too.
  REQUIRE(h.MigrateClient({0x0a000009, 5555}).ok());
  h.RunUntil([] { return false; }, absl::Milliseconds(300));
  REQUIRE(retired.size() == 1);
  CHECK(retired[0] == made[0]);
  CHECK(made.size() == kMaxActivePeerConnectionIds + 1);
}

}  // namespace
}  // namespace kite::quic::test

namespace kite::quic::test {
namespace {

TEST_CASE("a server whose I/O layer validated the address (NEW_TOKEN) is not amplification-bound",
          "[connection][new_token]") {
  // As in the amplification test above: only the client's first datagram arrives. With the
  // address validated up front (RFC 9000 §8.1.3) the server's PTO retransmissions may exceed
  // three times what it received.
  for (bool validated : {false, true}) {
    HarnessOptions opts;
    opts.link.propagation_delay = absl::Milliseconds(10);
    opts.server.address_validated = validated;
    size_t client_bytes = 0;
    size_t server_bytes = 0;
    int client_datagrams = 0;
    opts.inspect = [&](bool from_client, absl::Span<const uint8_t> d) {
      if (from_client) {
        if (++client_datagrams > 1) return false;
        client_bytes += d.size();
      } else {
        server_bytes += d.size();
      }
      return true;
    };
    ConnectionHarness h(opts);
    REQUIRE(h.Init().ok());
    REQUIRE(h.Connect().ok());
    h.RunUntil([] { return false; }, absl::Seconds(5));
    REQUIRE(h.server() != nullptr);
    CHECK(h.server()->address_validated() == validated);
    if (validated) {
      CHECK(server_bytes > 3 * client_bytes);
    } else {
      CHECK(server_bytes <= 3 * client_bytes);
    }
  }
}

}  // namespace
}  // namespace kite::quic::test
