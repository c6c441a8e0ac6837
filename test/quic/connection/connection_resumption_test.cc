// Resumption and 0-RTT between kite connections (RFC 9001 §4.6, RFC 9000 §7.4.1).
#include <catch2/catch.hpp>

#include <vector>

#include "quic/codec/packet_header.h"
#include "test/quic/connection/connection_harness.h"
#include "test/quic/connection/stream_collector.h"

namespace kite::quic::test {
namespace {

bool HasEvent(const std::vector<ConnectionEvent>& events, ConnectionEvent::Type type) {
  for (const ConnectionEvent& e : events) {
    if (e.type == type) return true;
  }
  return false;
}

// First connection: handshake, wait for the tickets, close.
std::vector<uint8_t> FirstConnection(ConnectionHarness& h) {
  REQUIRE(h.Connect().ok());
  // What an HTTP/3 client keeps with its tickets: the server's SETTINGS.
  h.client()->SetResumptionApplicationData({0x01, 0x02, 0x03});
  REQUIRE(h.RunUntil([&] { return !h.tickets().empty() && h.client()->handshake_confirmed(); }));
  CHECK_FALSE(h.client()->is_resumed());
  CHECK_FALSE(h.client()->early_data_attempted());
  return h.tickets().back();
}

struct ZeroRttRun {
  bool accepted = false;
  bool rejected_event = false;
  uint64_t zero_rtt_packets = 0;
  size_t zero_rtt_datagrams_seen = 0;
  std::vector<uint8_t> received;
  bool fin = false;
  bool resumed = false;
  bool stream_marked_early = false;
  std::vector<uint8_t> remembered_app_data;
  uint64_t handshake_round_trips = 0;
};

// Second connection: resumes with `ticket` and writes `payload` on a stream before the handshake.
ZeroRttRun ResumeWithData(ConnectionHarness& h, std::vector<uint8_t> ticket,
                          const std::vector<uint8_t>& payload, size_t* zero_rtt_seen) {
  h.options().client.resumption_session = std::move(ticket);
  REQUIRE(h.Connect().ok());
  StreamCollector server_streams;
  h.on_server_event = [&](Connection& c, const ConnectionEvent& ev) {
    server_streams.OnEvent(c, ev);
  };
  absl::StatusOr<uint64_t> id = h.client()->OpenStream(true);
  REQUIRE(id.ok());
  REQUIRE(h.client()->WriteStream(*id, absl::MakeConstSpan(payload), true).ok());
  bool done = h.RunUntil([&] {
    const StreamCollector::Received* r = server_streams.Get(*id);
    return r != nullptr && r->fin && h.client()->handshake_confirmed();
  });
  REQUIRE(done);
  ZeroRttRun run;
  run.accepted = h.client()->early_data_accepted();
  run.rejected_event = HasEvent(h.client_events(), ConnectionEvent::Type::kZeroRttRejected);
  run.zero_rtt_packets = h.client()->stats().zero_rtt_packets_sent;
  run.zero_rtt_datagrams_seen = *zero_rtt_seen;
  run.received = server_streams.Get(*id)->bytes;
  run.fin = server_streams.Get(*id)->fin;
  run.resumed = h.client()->is_resumed();
  run.stream_marked_early = h.server()->StreamReceivedInEarlyData(*id);
  run.remembered_app_data = h.client()->remembered_application_data();
  run.handshake_round_trips = h.client()->stats().handshake_round_trips;
  CHECK(h.server()->early_data_accepted() == run.accepted);
  h.on_server_event = nullptr;
  return run;
}

HarnessOptions Options(size_t* zero_rtt_seen) {
  HarnessOptions opts;
  opts.link.propagation_delay = absl::Milliseconds(25);
  opts.inspect = [zero_rtt_seen](bool from_client, absl::Span<const uint8_t> d) {
    // Walk the coalesced long-header packets of a client datagram looking for 0-RTT.
    size_t off = 0;
    while (from_client && off < d.size() && IsLongHeader(d[off])) {
      absl::StatusOr<PacketHeader> h = ParsePacketHeader(d.subspan(off), 8);
      if (!h.ok() || h->packet_length == 0) break;
      if (h->type == PacketType::kZeroRtt) ++*zero_rtt_seen;
      off += h->packet_length;
    }
    return true;
  };
  return opts;
}

TEST_CASE("a resumed client sends stream data in 0-RTT and the server accepts it",
          "[connection][0rtt]") {
  size_t zero_rtt_seen = 0;
  ConnectionHarness h(Options(&zero_rtt_seen));
  REQUIRE(h.Init().ok());
  std::vector<uint8_t> ticket = FirstConnection(h);
  absl::Time start = h.now();
  std::vector<uint8_t> payload = Pattern(3000, 5);
  ZeroRttRun run = ResumeWithData(h, ticket, payload, &zero_rtt_seen);
  CHECK(run.resumed);
  CHECK(run.accepted);
  CHECK_FALSE(run.rejected_event);
  CHECK(run.zero_rtt_packets > 0);
  CHECK(run.zero_rtt_datagrams_seen > 0);
  // The 0-RTT datagrams belong to the first flight: still one handshake round trip.
  CHECK(run.handshake_round_trips == 1);
  CHECK(run.fin);
  CHECK(run.received == payload);
  CHECK(run.stream_marked_early);
  CHECK(run.remembered_app_data == std::vector<uint8_t>{0x01, 0x02, 0x03});
  (void)start;
}

TEST_CASE("the server rejects 0-RTT when its transport parameters changed; data goes in 1-RTT",
          "[connection][0rtt]") {
  size_t zero_rtt_seen = 0;
  ConnectionHarness h(Options(&zero_rtt_seen));
  REQUIRE(h.Init().ok());
  std::vector<uint8_t> ticket = FirstConnection(h);
  // RFC 9001 §4.6.2: the server's early-data context covers its transport parameters; a
  // smaller flow-control limit must make it refuse 0-RTT.
  h.options().server.initial_max_data = 512 << 10;
  std::vector<uint8_t> payload = Pattern(3000, 6);
  ZeroRttRun run = ResumeWithData(h, ticket, payload, &zero_rtt_seen);
  CHECK(run.resumed);
  CHECK_FALSE(run.accepted);
  CHECK(run.rejected_event);
  CHECK(run.zero_rtt_packets > 0);
  // Rejected 0-RTT packets are never processed, so the stream came in 1-RTT.
  CHECK_FALSE(run.stream_marked_early);
  CHECK(run.fin);
  CHECK(run.received == payload);
}

TEST_CASE("a garbage ticket falls back to a full handshake", "[connection][0rtt]") {
  size_t zero_rtt_seen = 0;
  ConnectionHarness h(Options(&zero_rtt_seen));
  REQUIRE(h.Init().ok());
  h.options().client.resumption_session = std::vector<uint8_t>(300, 0xab);
  REQUIRE(h.Connect().ok());
  REQUIRE(h.RunUntil([&] { return h.client()->handshake_confirmed(); }));
  CHECK_FALSE(h.client()->is_resumed());
  CHECK(h.client()->stats().zero_rtt_packets_sent == 0);
  CHECK(zero_rtt_seen == 0);
}

}  // namespace
}  // namespace kite::quic::test

namespace kite::quic::test {
namespace {

TEST_CASE("the server answers a 0-RTT request in 0.5-RTT, within the client's limits",
          "[connection][0rtt]") {
  size_t zero_rtt_seen = 0;
  ConnectionHarness h(Options(&zero_rtt_seen));
  REQUIRE(h.Init().ok());
  std::vector<uint8_t> ticket = FirstConnection(h);
  h.options().client.resumption_session = ticket;
  REQUIRE(h.Connect().ok());
  absl::StatusOr<uint64_t> id = h.client()->OpenStream(true);
  REQUIRE(id.ok());
  REQUIRE(h.client()->WriteStream(*id, absl::MakeConstSpan(Pattern(200, 1)), true).ok());
  std::vector<uint8_t> response = Pattern(40000, 2);
  bool answered_early = false;
  h.on_server_event = [&](Connection& c, const ConnectionEvent& ev) {
    if (ev.type != ConnectionEvent::Type::kStreamOpened || ev.stream_id != *id) return;
    // Before the client's Finished: the answer goes out in 1-RTT packets at once (0.5-RTT).
    answered_early = !c.handshake_complete();
    REQUIRE(c.WriteStream(ev.stream_id, absl::MakeConstSpan(response), true).ok());
  };
  StreamCollector client_sink;
  h.on_client_event = [&](Connection& c, const ConnectionEvent& ev) { client_sink.OnEvent(c, ev); };
  REQUIRE(h.RunUntil([&] {
    const StreamCollector::Received* r = client_sink.Get(*id);
    return r != nullptr && r->fin;
  }));
  CHECK(answered_early);
  CHECK(h.client()->early_data_accepted());
  CHECK(client_sink.Get(*id)->bytes == response);
  // The server knew the client's limits when it answered: it never reported itself blocked.
  CHECK(h.server()->streams().PendingDataBlocked() == std::nullopt);
}

}  // namespace
}  // namespace kite::quic::test

namespace kite::quic::test {
namespace {

TEST_CASE("changed application state in the early-data context makes the server refuse 0-RTT",
          "[connection][0rtt]") {
  size_t zero_rtt_seen = 0;
  ConnectionHarness h(Options(&zero_rtt_seen));
  h.options().server.early_data_application_context = {0x01, 0x40, 0x00};  // "SETTINGS" v1
  REQUIRE(h.Init().ok());
  std::vector<uint8_t> ticket = FirstConnection(h);
  SECTION("same application state: accepted") {
    ZeroRttRun run = ResumeWithData(h, ticket, Pattern(100, 1), &zero_rtt_seen);
    CHECK(run.accepted);
  }
  SECTION("different application state: rejected") {
    h.options().server.early_data_application_context = {0x01, 0x20, 0x00};
    ZeroRttRun run = ResumeWithData(h, ticket, Pattern(100, 1), &zero_rtt_seen);
    CHECK_FALSE(run.accepted);
    CHECK(run.received == Pattern(100, 1));
  }
}

}  // namespace
}  // namespace kite::quic::test

namespace kite::quic::test {
namespace {

TEST_CASE("NEW_TOKEN: the client hands the token out and puts it in its next Initials",
          "[connection][new_token]") {
  const std::vector<uint8_t> token = {0x4e, 0x54, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  HarnessOptions opts;
  opts.link.propagation_delay = absl::Milliseconds(10);
  std::vector<std::vector<uint8_t>> initial_tokens;
  opts.inspect = [&](bool from_client, absl::Span<const uint8_t> d) {
    if (!from_client) return true;
    absl::StatusOr<PacketHeader> h = ParsePacketHeader(d, 8);
    if (h.ok() && h->type == PacketType::kInitial) {
      initial_tokens.emplace_back(h->token.begin(), h->token.end());
    }
    return true;
  };
  ConnectionHarness h(opts);
  REQUIRE(h.Init().ok());
  REQUIRE(h.Connect().ok());
  // RFC 9000 §19.7: clients never send NEW_TOKEN; empty tokens are not tokens.
  CHECK(h.client()->SendNewToken(absl::MakeConstSpan(token)).code() ==
        absl::StatusCode::kFailedPrecondition);
  std::vector<std::vector<uint8_t>> received;
  h.on_server_event = [&](Connection& s, const ConnectionEvent& ev) {
    if (ev.type == ConnectionEvent::Type::kHandshakeCompleted) {
      CHECK(s.SendNewToken({}).code() == absl::StatusCode::kInvalidArgument);
      CHECK(s.SendNewToken(absl::MakeConstSpan(std::vector<uint8_t>(kMaxAddressTokenLength + 1)))
                .code() == absl::StatusCode::kInvalidArgument);
      REQUIRE(s.SendNewToken(absl::MakeConstSpan(token)).ok());
    }
  };
  h.on_client_event = [&](Connection&, const ConnectionEvent& ev) {
    if (ev.type == ConnectionEvent::Type::kNewToken) received.push_back(ev.data);
  };
  REQUIRE(h.RunUntil([&] { return !received.empty(); }));
  REQUIRE(received.size() == 1);
  CHECK(received[0] == token);
  // The first connection's Initials carried no token.
  REQUIRE_FALSE(initial_tokens.empty());
  for (const auto& t : initial_tokens) CHECK(t.empty());

  // The next connection puts it in every Initial it sends.
  initial_tokens.clear();
  h.on_server_event = nullptr;
  h.options().client.address_token = received[0];
  h.options().server.address_validated = true;  // what the I/O layer decides on seeing it
  REQUIRE(h.Connect().ok());
  REQUIRE(h.RunUntil([&] { return h.client()->handshake_confirmed(); }));
  REQUIRE_FALSE(initial_tokens.empty());
  for (const auto& t : initial_tokens) CHECK(t == token);
}

TEST_CASE("NEW_TOKEN lost in transit is sent again", "[connection][new_token]") {
  const std::vector<uint8_t> token(40, 0x77);
  HarnessOptions opts;
  opts.link.propagation_delay = absl::Milliseconds(10);
  bool token_queued = false;
  int dropped = 0;
  // Drop the first two server datagrams after the token is queued: the one carrying it is
  // among them (it goes out with the server's next packet).
  opts.inspect = [&](bool from_client, absl::Span<const uint8_t>) {
    if (!from_client && token_queued && dropped < 2) {
      ++dropped;
      return false;
    }
    return true;
  };
  ConnectionHarness h(opts);
  REQUIRE(h.Init().ok());
  REQUIRE(h.Connect().ok());
  std::vector<std::vector<uint8_t>> received;
  h.on_server_event = [&](Connection& s, const ConnectionEvent& ev) {
    if (ev.type == ConnectionEvent::Type::kHandshakeCompleted) {
      REQUIRE(s.SendNewToken(absl::MakeConstSpan(token)).ok());
      token_queued = true;
    }
  };
  h.on_client_event = [&](Connection&, const ConnectionEvent& ev) {
    if (ev.type == ConnectionEvent::Type::kNewToken) received.push_back(ev.data);
  };
  REQUIRE(h.RunUntil([&] { return !received.empty(); }, absl::Seconds(10)));
  CHECK(dropped == 2);
  CHECK(received[0] == token);
}

}  // namespace
}  // namespace kite::quic::test
