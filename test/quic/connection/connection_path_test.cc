// Paths: client migration, NAT rebinding, path validation (RFC 9000 §8.2, §9) and ECN
// (RFC 9000 §13.4, RFC 9002 §7.1).
#include <catch2/catch.hpp>

#include <vector>

#include "test/quic/connection/connection_harness.h"
#include "test/quic/connection/stream_collector.h"

namespace kite::quic::test {
namespace {

constexpr sim::Address kNewClientAddress{0x0a000009, 5555};

void Handshake(ConnectionHarness& h) {
  REQUIRE(h.Init().ok());
  REQUIRE(h.Connect().ok());
  REQUIRE(h.RunUntil([&] {
    return h.client()->handshake_confirmed() && h.server() != nullptr &&
           h.server()->handshake_confirmed();
  }));
  // Let NEW_CONNECTION_ID frames arrive: migration needs a spare ID.
  h.RunUntil([] { return false; }, absl::Milliseconds(100));
}

TEST_CASE("a client migrates mid-transfer; the server validates the path and the data arrives",
          "[connection][migration]") {
  HarnessOptions opts;
  opts.link.propagation_delay = absl::Milliseconds(10);
  opts.link.bandwidth_bps = 20'000'000;
  ConnectionHarness h(opts);
  Handshake(h);
  StreamCollector sink;
  h.on_client_event = [&](Connection& c, const ConnectionEvent& ev) { sink.OnEvent(c, ev); };
  absl::StatusOr<uint64_t> id = h.server()->OpenStream(false);
  REQUIRE(id.ok());
  std::vector<uint8_t> data = Pattern(1 << 20, 77);
  REQUIRE(h.server()->WriteStream(*id, absl::MakeConstSpan(data), true).ok());
  // Part-way through, the client moves.
  h.RunUntil([&] { return sink.Get(*id) != nullptr && sink.Get(*id)->bytes.size() > 200000; });
  REQUIRE(sink.Get(*id)->bytes.size() < data.size());
  const ConnectionId old_dcid = h.client()->connection_ids().ActivePeerId();
  REQUIRE(h.MigrateClient(kNewClientAddress).ok());
  CHECK(h.client()->connection_ids().ActivePeerId() != old_dcid);
  REQUIRE(h.RunUntil([&] { return sink.Get(*id)->fin; }));
  CHECK(sink.Get(*id)->bytes == data);
  // The server followed to the new address and validated it with PATH_CHALLENGE.
  CHECK(h.server()->path().remote == PathFor(kNewClientAddress, ConnectionHarness::kServerAddress).local);
  CHECK(h.server()->stats().path_challenges_sent >= 1);
  CHECK(h.server()->stats().paths_validated == 1);
  CHECK(h.server()->path_validated());
  // The client validated its new path too.
  CHECK(h.client()->stats().paths_validated == 1);
  CHECK_FALSE(h.client()->is_closing());
  CHECK_FALSE(h.server()->is_closing());
}

TEST_CASE("a NAT rebinding is followed and validated by the server", "[connection][migration]") {
  HarnessOptions opts;
  opts.link.propagation_delay = absl::Milliseconds(10);
  ConnectionHarness h(opts);
  Handshake(h);
  StreamCollector sink;
  h.on_server_event = [&](Connection& c, const ConnectionEvent& ev) { sink.OnEvent(c, ev); };
  REQUIRE(h.RebindClient(kNewClientAddress).ok());
  absl::StatusOr<uint64_t> id = h.client()->OpenStream(false);
  REQUIRE(id.ok());
  std::vector<uint8_t> data = Pattern(50000, 3);
  REQUIRE(h.client()->WriteStream(*id, absl::MakeConstSpan(data), true).ok());
  REQUIRE(h.RunUntil([&] { return sink.Get(*id) != nullptr && sink.Get(*id)->fin; }));
  CHECK(sink.Get(*id)->bytes == data);
  h.RunUntil([] { return false; }, absl::Milliseconds(200));
  CHECK(h.server()->stats().migrations == 1);
  CHECK(h.server()->stats().paths_validated == 1);
  CHECK(h.server()->path_validated());
}

TEST_CASE("migration is refused before confirmation and when the server disables it",
          "[connection][migration]") {
  HarnessOptions opts;
  opts.server.disable_active_migration = true;
  ConnectionHarness h(opts);
  REQUIRE(h.Init().ok());
  REQUIRE(h.Connect().ok());
  CHECK_FALSE(h.client()->MigrateTo(h.now(), PathFor(kNewClientAddress,
                                                     ConnectionHarness::kServerAddress))
                  .ok());
  REQUIRE(h.RunUntil([&] { return h.client()->handshake_confirmed(); }));
  CHECK(h.client()->MigrateTo(h.now(), PathFor(kNewClientAddress,
                                               ConnectionHarness::kServerAddress))
            .code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("a client whose new path is a black hole gives up with NO_VIABLE_PATH",
          "[connection][migration]") {
  HarnessOptions opts;
  opts.link.propagation_delay = absl::Milliseconds(10);
  ConnectionHarness h(opts);
  Handshake(h);
  sim::LinkConfig dead = opts.link;
  dead.blackhole = true;
  REQUIRE(h.MigrateClient(kNewClientAddress).ok());
  REQUIRE(h.network().SetSymmetricLinkConfig(kNewClientAddress, ConnectionHarness::kServerAddress,
                                             dead).ok());
  REQUIRE(h.RunUntil([&] { return h.client()->is_closing(); }, absl::Seconds(20)));
  REQUIRE(h.client()->close_info().has_value());
  CHECK(h.client()->close_info()->error_code ==
        static_cast<uint64_t>(TransportErrorCode::kNoViablePath));
  CHECK(h.client()->stats().path_validation_failures == 1);
}

TEST_CASE("ECN: counts are echoed, CE marks reduce the window, a bleaching path stops marking",
          "[connection][ecn]") {
  HarnessOptions opts;
  opts.link.propagation_delay = absl::Milliseconds(10);
  opts.link.bandwidth_bps = 50'000'000;
  SECTION("ECN-capable path with CE marks") {
    opts.preserve_ecn = true;
    opts.ce_mark_every = 200;
  }
  SECTION("bleaching path") { opts.preserve_ecn = false; }
  ConnectionHarness h(opts);
  Handshake(h);
  StreamCollector sink;
  h.on_server_event = [&](Connection& c, const ConnectionEvent& ev) { sink.OnEvent(c, ev); };
  absl::StatusOr<uint64_t> id = h.client()->OpenStream(false);
  REQUIRE(id.ok());
  std::vector<uint8_t> data = Pattern(1 << 20, 5);
  REQUIRE(h.client()->WriteStream(*id, absl::MakeConstSpan(data), true).ok());
  REQUIRE(h.RunUntil([&] { return sink.Get(*id) != nullptr && sink.Get(*id)->fin; }));
  CHECK(sink.Get(*id)->bytes == data);
  if (opts.preserve_ecn) {
    CHECK(h.server()->stats().ecn_ce_received > 0);
    CHECK_FALSE(h.client()->recovery().ecn_validation_failed());
    // CE was a congestion signal: the sender lost nothing yet left slow start.
    CHECK(h.client()->stats().packets_lost == 0);
    CHECK_FALSE(h.client()->recovery().controller().InSlowStart());
  } else {
    CHECK(h.client()->recovery().ecn_validation_failed());
  }
}

}  // namespace
}  // namespace kite::quic::test
