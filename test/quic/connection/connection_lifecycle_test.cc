// Key update, close, idle timeout, stateless reset and Version Negotiation between kite
// connections (RFC 9001 §6; RFC 9000 §6, §10).
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "quic/codec/data_writer.h"
#include "quic/codec/packet_header.h"
#include "test/quic/connection/connection_harness.h"
#include "test/quic/connection/stream_collector.h"

namespace kite::quic::test {
namespace {

std::optional<ConnectionEvent> FindEvent(const std::vector<ConnectionEvent>& events,
                                         ConnectionEvent::Type type) {
  for (const ConnectionEvent& e : events) {
    if (e.type == type) return e;
  }
  return std::nullopt;
}

void Handshake(ConnectionHarness& h) {
  REQUIRE(h.Init().ok());
  REQUIRE(h.Connect().ok());
  REQUIRE(h.RunUntil([&] {
    return h.client()->handshake_confirmed() && h.server() != nullptr &&
           h.server()->handshake_confirmed();
  }));
}

// Sends `size` bytes client -> server on a new stream and runs until they arrived.
void Transfer(ConnectionHarness& h, StreamCollector& sink, size_t size, uint64_t seed) {
  absl::StatusOr<uint64_t> id = h.client()->OpenStream(false);
  REQUIRE(id.ok());
  std::vector<uint8_t> data = Pattern(size, seed);
  REQUIRE(h.client()->WriteStream(*id, absl::MakeConstSpan(data), true).ok());
  REQUIRE(h.RunUntil([&] {
    const StreamCollector::Received* r = sink.Get(*id);
    return r != nullptr && r->fin;
  }));
  CHECK(sink.Get(*id)->bytes == data);
}

TEST_CASE("key updates initiated by either side are followed and data keeps flowing",
          "[connection][key_update]") {
  HarnessOptions opts;
  opts.link.propagation_delay = absl::Milliseconds(10);
  ConnectionHarness h(opts);
  Handshake(h);
  StreamCollector sink;
  h.on_server_event = [&](Connection& c, const ConnectionEvent& ev) { sink.OnEvent(c, ev); };
  Transfer(h, sink, 20000, 1);
  REQUIRE(h.client()->key_phase_generation() == 0);

  // RFC 9001 §6.1: the client updates; the server answers by updating its own keys.
  REQUIRE(h.client()->InitiateKeyUpdate(h.now()).ok());
  // A second update before the first is acknowledged is refused (§6.1).
  CHECK_FALSE(h.client()->InitiateKeyUpdate(h.now()).ok());
  Transfer(h, sink, 20000, 2);
  CHECK(h.client()->key_phase_generation() == 1);
  CHECK(h.server()->key_phase_generation() == 1);

  // The server has sent only ACKs in the new phase: nothing of it was acknowledged, so it may
  // not update yet (RFC 9001 §6.1). Once an ack-eliciting packet of the phase is acknowledged,
  // it may.
  CHECK_FALSE(h.server()->InitiateKeyUpdate(h.now()).ok());
  StreamCollector client_sink;
  h.on_client_event = [&](Connection& c, const ConnectionEvent& ev) { client_sink.OnEvent(c, ev); };
  absl::StatusOr<uint64_t> ping = h.server()->OpenStream(false);
  REQUIRE(ping.ok());
  REQUIRE(h.server()->WriteStream(*ping, absl::MakeConstSpan(Pattern(10, 8)), true).ok());
  h.RunUntil([] { return false; }, absl::Milliseconds(100));
  REQUIRE(h.server()->InitiateKeyUpdate(h.now()).ok());
  absl::StatusOr<uint64_t> back = h.server()->OpenStream(false);
  REQUIRE(back.ok());
  REQUIRE(h.server()->WriteStream(*back, absl::MakeConstSpan(Pattern(5000, 3)), true).ok());
  REQUIRE(h.RunUntil([&] {
    const StreamCollector::Received* r = client_sink.Get(*back);
    return r != nullptr && r->fin;
  }));
  CHECK(client_sink.Get(*back)->bytes == Pattern(5000, 3));
  Transfer(h, sink, 5000, 4);
  CHECK(h.client()->key_phase_generation() == 2);
  CHECK(h.server()->key_phase_generation() == 2);
  CHECK_FALSE(h.client()->is_closing());
  CHECK_FALSE(h.server()->is_closing());
}

TEST_CASE("scheduled key updates every N packets across a long transfer", "[connection][key_update]") {
  HarnessOptions opts;
  opts.link.propagation_delay = absl::Milliseconds(5);
  opts.link.bandwidth_bps = 50'000'000;
  opts.link.loss_probability = 0.01;
  opts.client.key_update_interval_packets = 100;
  ConnectionHarness h(opts);
  Handshake(h);
  StreamCollector sink;
  h.on_server_event = [&](Connection& c, const ConnectionEvent& ev) { sink.OnEvent(c, ev); };
  Transfer(h, sink, 1 << 20, 9);
  CHECK(h.client()->key_phase_generation() >= 4);
  CHECK(h.server()->key_phase_generation() == h.client()->key_phase_generation());
}

TEST_CASE("an application close reaches the peer, which drains; both terminate",
          "[connection][close]") {
  HarnessOptions opts;
  opts.link.propagation_delay = absl::Milliseconds(10);
  ConnectionHarness h(opts);
  Handshake(h);
  h.client()->Close(h.now(), 0x1234, "done here");
  CHECK(h.client()->is_closing());
  CHECK(h.client()->OpenStream(true).status().code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(h.RunUntil([&] { return h.server()->is_closing(); }));
  REQUIRE(h.server()->close_info().has_value());
  const CloseInfo& info = *h.server()->close_info();
  CHECK(info.by_peer);
  CHECK(info.is_application);
  CHECK(info.error_code == 0x1234);
  CHECK(info.reason == "done here");
  // RFC 9000 §10.2: closing and draining last three PTOs, then the state goes.
  REQUIRE(h.RunUntil([&] { return h.client()->is_terminated() && h.server()->is_terminated(); },
                     absl::Seconds(10)));
  std::optional<ConnectionEvent> closed =
      FindEvent(h.server_events(), ConnectionEvent::Type::kClosed);
  REQUIRE(closed.has_value());
  CHECK(closed->close.error_code == 0x1234);
  CHECK_FALSE(h.client()->NextDeadline().has_value());
}

TEST_CASE("both sides close silently after the idle timeout", "[connection][close]") {
  HarnessOptions opts;
  opts.link.propagation_delay = absl::Milliseconds(10);
  opts.client.max_idle_timeout = absl::Seconds(5);
  opts.server.max_idle_timeout = absl::Seconds(3);
  ConnectionHarness h(opts);
  Handshake(h);
  absl::Time quiet_from = h.now();
  size_t client_datagrams = h.datagrams_sent(true);
  REQUIRE(h.RunUntil([&] { return h.client()->is_terminated() && h.server()->is_terminated(); },
                     absl::Seconds(30)));
  // RFC 9000 §10.1: the effective timeout is the smaller of the two (3 s), give or take the
  // last ACK exchange.
  CHECK(h.now() - quiet_from >= absl::Seconds(3));
  CHECK(h.now() - quiet_from < absl::Seconds(4));
  CHECK(h.client()->close_info()->idle_timeout);
  CHECK(h.server()->close_info()->idle_timeout);
  // Silently: nothing but (at most) trailing ACKs went out.
  CHECK(h.datagrams_sent(true) - client_datagrams <= 2);
}

TEST_CASE("a stateless reset from the server ends the client's connection",
          "[connection][close]") {
  HarnessOptions opts;
  opts.link.propagation_delay = absl::Milliseconds(10);
  ConnectionHarness h(opts);
  Handshake(h);
  const std::optional<StatelessResetToken>& token =
      h.client()->peer_transport_parameters().stateless_reset_token;
  REQUIRE(token.has_value());
  // RFC 9000 §10.3: looks like a short-header packet, ends with the token.
  std::vector<uint8_t> reset(43);
  for (size_t i = 0; i < reset.size(); ++i) reset[i] = static_cast<uint8_t>(i * 37 + 11);
  reset[0] = 0x40 | (reset[0] & 0x3f);
  std::copy(token->begin(), token->end(), reset.end() - 16);
  SECTION("a datagram that merely ends with random bytes does nothing") {
    std::vector<uint8_t> bogus = reset;
    bogus.back() ^= 1;
    h.client()->OnDatagram(h.now(), PathFor(ConnectionHarness::kClientAddress,
                                            ConnectionHarness::kServerAddress),
                           absl::MakeConstSpan(bogus));
    CHECK_FALSE(h.client()->is_closing());
    CHECK_FALSE(h.client()->is_terminated());
  }
  SECTION("the real token terminates at once") {
    h.client()->OnDatagram(h.now(), PathFor(ConnectionHarness::kClientAddress,
                                            ConnectionHarness::kServerAddress),
                           absl::MakeConstSpan(reset));
    CHECK(h.client()->is_terminated());
    REQUIRE(h.client()->close_info().has_value());
    CHECK(h.client()->close_info()->stateless_reset);
  }
}

TEST_CASE("a Version Negotiation packet without our version ends the client's attempt",
          "[connection][close]") {
  HarnessOptions opts;
  ConnectionConfig client_config;
  // Capture the client's first Initial instead of delivering it, and answer with a VN packet
  // listing only versions the client does not speak (RFC 9000 §6.2).
  std::vector<uint8_t> first;
  opts.inspect = [&](bool from_client, absl::Span<const uint8_t> d) {
    if (from_client && first.empty()) first.assign(d.begin(), d.end());
    return false;
  };
  ConnectionHarness h(opts);
  REQUIRE(h.Init().ok());
  REQUIRE(h.Connect().ok());
  h.RunUntil([&] { return !first.empty(); }, absl::Milliseconds(10));
  REQUIRE_FALSE(first.empty());
  absl::StatusOr<PacketHeader> ch = ParsePacketHeader(absl::MakeConstSpan(first), 8);
  REQUIRE(ch.ok());
  auto vn_with = [&](std::vector<uint32_t> versions) {
    std::vector<uint8_t> vn(256);
    DataWriter w(absl::MakeSpan(vn));
    // The VN echoes the client's SCID as DCID and its DCID as SCID (RFC 9000 §17.2.1).
    REQUIRE(WriteVersionNegotiation(w, ch->scid.span(), ch->dcid.span(),
                                    absl::MakeConstSpan(versions), 0x2a));
    vn.resize(w.length());
    return vn;
  };
  NetworkPath path = PathFor(ConnectionHarness::kClientAddress, ConnectionHarness::kServerAddress);
  SECTION("a list that includes our version is ignored") {
    std::vector<uint8_t> vn = vn_with({0x1a2a3a4a, kQuicVersion1});
    h.client()->OnDatagram(h.now(), path, absl::MakeConstSpan(vn));
    CHECK_FALSE(h.client()->is_terminated());
  }
  SECTION("no common version") {
    std::vector<uint8_t> vn = vn_with({0x1a2a3a4a, 0xff00001d});
    h.client()->OnDatagram(h.now(), path, absl::MakeConstSpan(vn));
    CHECK(h.client()->is_terminated());
    REQUIRE(h.client()->close_info().has_value());
    CHECK(h.client()->close_info()->error_code ==
          static_cast<uint64_t>(TransportErrorCode::kVersionNegotiationError));
  }
}

}  // namespace
}  // namespace kite::quic::test

namespace kite::quic::test {
namespace {

TEST_CASE("the observer sees congestion states, typed losses and the close packet",
          "[connection][observer]") {
  struct Recorder : ConnectionObserver {
    std::vector<std::string> states;
    std::vector<PacketType> lost_types;
    uint64_t sent = 0;
    bool close_frame_sent = false;
    void OnCongestionStateChanged(absl::Time, std::string_view s) override {
      states.emplace_back(s);
    }
    void OnPacketLost(absl::Time, PacketType type, uint64_t, size_t) override {
      lost_types.push_back(type);
    }
    void OnPacketSent(absl::Time, const PacketInfo&) override { ++sent; }
    void OnFrame(absl::Time, const PacketInfo&, const Frame& f, bool is_sent) override {
      if (is_sent && std::holds_alternative<ConnectionCloseFrame>(f)) close_frame_sent = true;
    }
  };
  Recorder rec;
  HarnessOptions opts;
  opts.client.observer = &rec;
  opts.link.propagation_delay = absl::Milliseconds(10);
  opts.link.bandwidth_bps = 20'000'000;
  opts.link.loss_probability = 0.02;
  opts.seed = 5;
  ConnectionHarness h(opts);
  Handshake(h);
  StreamCollector sink;
  h.on_server_event = [&](Connection& c, const ConnectionEvent& ev) { sink.OnEvent(c, ev); };
  Transfer(h, sink, 500000, 12);
  h.client()->Close(h.now(), 0, "bye");
  h.RunUntil([&] { return h.client()->is_terminated(); }, absl::Seconds(5));
  CHECK(std::find(rec.states.begin(), rec.states.end(), "slow_start") != rec.states.end());
  CHECK(std::find(rec.states.begin(), rec.states.end(), "recovery") != rec.states.end());
  CHECK_FALSE(rec.lost_types.empty());
  for (PacketType t : rec.lost_types) CHECK(t == PacketType::kOneRtt);
  CHECK(rec.close_frame_sent);
  CHECK(rec.sent == h.client()->stats().packets_sent);
}

}  // namespace
}  // namespace kite::quic::test
