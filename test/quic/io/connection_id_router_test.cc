#include "quic/io/connection_id_router.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <random>
#include <set>
#include <vector>

#include "quic/codec/packet_header.h"
#include "quic/codec/packet_type.h"
#include "quic/io/stateless_reset.h"
#include "quic/io/worker_connection_id.h"

namespace kite::quic::io {
namespace {

using Bytes = std::vector<uint8_t>;

RandomBytes SeededRandom(uint32_t seed) {
  auto rng = std::make_shared<std::mt19937>(seed);
  return [rng](uint8_t* out, size_t len) {
    for (size_t i = 0; i < len; ++i) out[i] = static_cast<uint8_t>((*rng)());
  };
}

std::vector<uint8_t> Key(uint8_t seed) {
  std::vector<uint8_t> k(kStatelessResetKeySize);
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed + i * 13);
  return k;
}

RouterConfig Config(uint32_t worker = 0, uint32_t count = 1) {
  RouterConfig c;
  c.worker_index = worker;
  c.worker_count = count;
  c.stateless_reset_key = Key(1);
  return c;
}

ConnectionIdRouter MakeRouter(const RouterConfig& config) {
  auto r = ConnectionIdRouter::Create(config);
  REQUIRE(r.ok());
  return std::move(*r);
}

Bytes LongHeaderPacket(uint32_t version, uint8_t type_bits, const Bytes& dcid, const Bytes& scid,
                       size_t total) {
  Bytes p;
  p.push_back(static_cast<uint8_t>(0xc0 | (type_bits << 4)));
  for (int s = 24; s >= 0; s -= 8) p.push_back(static_cast<uint8_t>(version >> s));
  p.push_back(static_cast<uint8_t>(dcid.size()));
  p.insert(p.end(), dcid.begin(), dcid.end());
  p.push_back(static_cast<uint8_t>(scid.size()));
  p.insert(p.end(), scid.begin(), scid.end());
  while (p.size() < total) p.push_back(0);
  return p;
}

Bytes InitialPacket(uint32_t version, const Bytes& dcid, size_t total) {
  uint8_t bits = *LongPacketTypeBits(version, PacketType::kInitial);
  return LongHeaderPacket(version, bits, dcid, Bytes{9, 9, 9, 9}, total);
}

Bytes ShortHeaderPacket(const ConnectionId& dcid, size_t total) {
  Bytes p(1 + dcid.length());
  p[0] = 0x41;
  std::copy(dcid.data(), dcid.data() + dcid.length(), p.begin() + 1);
  while (p.size() < total) p.push_back(static_cast<uint8_t>(p.size()));
  return p;
}

Bytes Span(absl::Span<const uint8_t> s) { return Bytes(s.begin(), s.end()); }

TEST_CASE("ConnectionIdFormat and worker steering", "[io][router]") {
  ConnectionIdFormat f;
  CHECK(f.Validate().ok());
  CHECK_FALSE(ConnectionIdFormat{7, 1}.Validate().ok());
  CHECK_FALSE(ConnectionIdFormat{21, 1}.Validate().ok());
  CHECK_FALSE(ConnectionIdFormat{8, 0}.Validate().ok());
  CHECK_FALSE(ConnectionIdFormat{8, 3}.Validate().ok());

  auto random = SeededRandom(7);
  ConnectionIdFormat two{12, 2};
  ConnectionId id = MakeWorkerConnectionId(two, 0x0102, random);
  CHECK(id.length() == 12);
  CHECK(id.data()[0] == 0x01);
  CHECK(id.data()[1] == 0x02);
  CHECK(WorkerIndexOf(two, id.span()) == 0x0102u);
  CHECK(SteerToWorker(two, id.span(), 0x0200) == 0x0102u);
  // A named index past the worker count falls back to the hash, which is stable.
  uint32_t hashed = SteerToWorker(two, id.span(), 4);
  CHECK(hashed < 4);
  CHECK(SteerToWorker(two, id.span(), 4) == hashed);
  // IDs of another length (a client's first DCID) are hashed too.
  Bytes client_dcid{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  CHECK_FALSE(WorkerIndexOf(f, client_dcid).has_value());
  CHECK(SteerToWorker(f, client_dcid, 4) == SteerToWorker(f, client_dcid, 4));
  CHECK(SteerToWorker(f, client_dcid, 1) == 0);
}

TEST_CASE("ConnectionIdRouter rejects bad configurations", "[io][router]") {
  RouterConfig c = Config();
  c.worker_count = 0;
  CHECK_FALSE(ConnectionIdRouter::Create(c).ok());
  c = Config(3, 3);
  CHECK_FALSE(ConnectionIdRouter::Create(c).ok());
  c = Config(0, 257);  // one index byte names 256 workers
  CHECK_FALSE(ConnectionIdRouter::Create(c).ok());
  c = Config();
  c.stateless_reset_key.resize(16);
  CHECK_FALSE(ConnectionIdRouter::Create(c).ok());
  c = Config();
  c.versions = {0x1a2a3a4a};
  CHECK_FALSE(ConnectionIdRouter::Create(c).ok());
  c = Config();
  c.versions.clear();
  CHECK_FALSE(ConnectionIdRouter::Create(c).ok());
}

TEST_CASE("ConnectionIdRouter dispatches known IDs to their connection", "[io][router]") {
  auto router = MakeRouter(Config());
  auto random = SeededRandom(1);
  ConnectionId a = router.NewConnectionId(random);
  ConnectionId b = router.NewConnectionId(random);
  CHECK(a != b);
  CHECK(a.length() == 8);
  REQUIRE(router.Add(a, 100).ok());
  REQUIRE(router.Add(b, 200).ok());
  CHECK(router.Add(a, 300).code() == absl::StatusCode::kAlreadyExists);
  CHECK(router.Lookup(a) == 100u);
  CHECK(router.size() == 2);

  Bytes reply(1500);
  RouteResult r = router.Route(ShortHeaderPacket(b, 60), absl::MakeSpan(reply), random);
  CHECK(r.action == RouteAction::kConnection);
  CHECK(r.handle == 200);

  // A client's Initial DCID is routed once the server added it for the new connection.
  Bytes odcid{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x11, 0x22, 0x33};
  REQUIRE(router.Add(ConnectionId(odcid), 300).ok());
  r = router.Route(InitialPacket(kQuicVersion1, odcid, 1200), absl::MakeSpan(reply), random);
  CHECK(r.action == RouteAction::kConnection);
  CHECK(r.handle == 300);
  // Any long-header type for a known ID goes to the connection (Handshake here).
  uint8_t hs = *LongPacketTypeBits(kQuicVersion2, PacketType::kHandshake);
  r = router.Route(LongHeaderPacket(kQuicVersion2, hs, Span(a.span()), {}, 50),
                   absl::MakeSpan(reply), random);
  CHECK(r.action == RouteAction::kConnection);
  CHECK(r.handle == 100);

  CHECK(router.Remove(b));
  CHECK_FALSE(router.Remove(b));
  CHECK_FALSE(router.Lookup(b).has_value());
}

TEST_CASE("ConnectionIdRouter accepts only well-formed client Initials", "[io][router]") {
  auto router = MakeRouter(Config());
  auto random = SeededRandom(2);
  Bytes reply(1500);
  Bytes dcid{1, 2, 3, 4, 5, 6, 7, 8};
  for (uint32_t v : {kQuicVersion1, kQuicVersion2}) {
    RouteResult r = router.Route(InitialPacket(v, dcid, 1200), absl::MakeSpan(reply), random);
    CHECK(r.action == RouteAction::kNewConnection);
    // RFC 9000 §14.1: too small a datagram.
    r = router.Route(InitialPacket(v, dcid, 1199), absl::MakeSpan(reply), random);
    CHECK(r.action == RouteAction::kDrop);
    CHECK(r.drop_reason == DropReason::kSmallDatagram);
    // RFC 9000 §7.2: a first DCID under 8 bytes.
    r = router.Route(InitialPacket(v, Bytes{1, 2, 3, 4, 5, 6, 7}, 1200), absl::MakeSpan(reply),
                     random);
    CHECK(r.drop_reason == DropReason::kUnroutableLongHeader);
    // 0-RTT for nothing known.
    uint8_t zero_rtt = *LongPacketTypeBits(v, PacketType::kZeroRtt);
    r = router.Route(LongHeaderPacket(v, zero_rtt, dcid, {}, 1200), absl::MakeSpan(reply), random);
    CHECK(r.action == RouteAction::kDrop);
    CHECK(r.drop_reason == DropReason::kUnroutableLongHeader);
  }
  // Truncated headers.
  CHECK(router.Route({}, absl::MakeSpan(reply), random).drop_reason == DropReason::kMalformed);
  Bytes cut = InitialPacket(kQuicVersion1, dcid, 0);
  cut.resize(9);  // inside the DCID
  CHECK(router.Route(cut, absl::MakeSpan(reply), random).drop_reason == DropReason::kMalformed);
  Bytes short_cut{0x40, 1, 2, 3};
  CHECK(router.Route(short_cut, absl::MakeSpan(reply), random).drop_reason ==
        DropReason::kMalformed);
}

TEST_CASE("ConnectionIdRouter answers an unknown version with Version Negotiation",
          "[io][router][vn]") {
  RouterConfig config = Config();
  config.versions = {kQuicVersion2, kQuicVersion1};
  auto router = MakeRouter(config);
  auto random = SeededRandom(3);
  Bytes reply(1500);
  // Unknown versions may carry IDs longer than 20 bytes (RFC 8999 §5.1); they are echoed.
  Bytes dcid(30);
  for (size_t i = 0; i < dcid.size(); ++i) dcid[i] = static_cast<uint8_t>(0x80 + i);
  Bytes scid{0x51, 0x52, 0x53};
  const uint32_t unknown = 0x1a2a3a4a;
  Bytes packet = LongHeaderPacket(unknown, 0, dcid, scid, 1200);
  RouteResult r = router.Route(packet, absl::MakeSpan(reply), random);
  REQUIRE(r.action == RouteAction::kVersionNegotiation);
  REQUIRE(r.reply_size > 0);

  auto vn = ParsePacketHeader(absl::MakeConstSpan(reply.data(), r.reply_size), 8);
  REQUIRE(vn.ok());
  CHECK(vn->long_header);
  CHECK(vn->type == PacketType::kVersionNegotiation);
  CHECK(vn->version == 0);
  CHECK(Span(vn->dcid_bytes) == scid);  // RFC 9000 §17.2.1: swapped
  CHECK(Span(vn->scid_bytes) == dcid);
  CHECK(vn->supported_versions == std::vector<uint32_t>{kQuicVersion2, kQuicVersion1});
  CHECK(r.reply_size == 7 + scid.size() + dcid.size() + 8);

  // A version we implement but did not enable is unknown too.
  config.versions = {kQuicVersion1};
  auto v1_only = MakeRouter(config);
  r = v1_only.Route(InitialPacket(kQuicVersion2, Bytes(8, 1), 1250), absl::MakeSpan(reply), random);
  REQUIRE(r.action == RouteAction::kVersionNegotiation);
  vn = ParsePacketHeader(absl::MakeConstSpan(reply.data(), r.reply_size), 8);
  REQUIRE(vn.ok());
  CHECK(vn->supported_versions == std::vector<uint32_t>{kQuicVersion1});

  // RFC 9000 §5.2.2: not for small datagrams; §6.1: never for a VN packet.
  r = router.Route(LongHeaderPacket(unknown, 0, dcid, scid, 1199), absl::MakeSpan(reply), random);
  CHECK(r.drop_reason == DropReason::kSmallDatagram);
  r = router.Route(LongHeaderPacket(0, 0, dcid, scid, 1200), absl::MakeSpan(reply), random);
  CHECK(r.drop_reason == DropReason::kVersionNegotiation);
  // No room for the reply.
  Bytes tiny(20);
  r = router.Route(packet, absl::MakeSpan(tiny), random);
  CHECK(r.drop_reason == DropReason::kReplyBufferTooSmall);
}

TEST_CASE("Stateless reset tokens are deterministic per key and connection ID",
          "[io][router][reset]") {
  auto k1 = Key(1);
  auto k2 = Key(2);
  auto r1 = StatelessResetter::Create(k1);
  auto r1_again = StatelessResetter::Create(k1);
  auto r2 = StatelessResetter::Create(k2);
  REQUIRE(r1.ok());
  REQUIRE(r1_again.ok());
  REQUIRE(r2.ok());
  CHECK_FALSE(StatelessResetter::Create(Bytes(31)).ok());
  Bytes cid_a{1, 2, 3, 4, 5, 6, 7, 8};
  Bytes cid_b{1, 2, 3, 4, 5, 6, 7, 9};
  CHECK(r1->TokenFor(cid_a) == r1_again->TokenFor(cid_a));  // another worker, or a restart
  CHECK(r1->TokenFor(cid_a) != r1->TokenFor(cid_b));
  CHECK(r1->TokenFor(cid_a) != r2->TokenFor(cid_a));
  // Not a trivial function of the input.
  StatelessResetToken zero{};
  CHECK(r1->TokenFor(cid_a) != zero);

  // The router hands out the same tokens as the resetter with its key.
  auto router = MakeRouter(Config());
  CHECK(router.ResetToken(ConnectionId(cid_a)) == r1->TokenFor(cid_a));
}

TEST_CASE("Stateless reset size rules and loop prevention", "[io][router][reset]") {
  auto random = SeededRandom(4);
  // RFC 9000 §10.3: never for a trigger of 21 bytes or less; one byte shorter up to 43.
  CHECK(StatelessResetter::ResetSize(0, random) == 0);
  CHECK(StatelessResetter::ResetSize(21, random) == 0);
  CHECK(StatelessResetter::ResetSize(22, random) == 21);
  CHECK(StatelessResetter::ResetSize(43, random) == 42);
  for (size_t trigger : {44, 100, 1200, 1500, 65000}) {
    for (int i = 0; i < 50; ++i) {
      size_t size = StatelessResetter::ResetSize(trigger, random);
      CHECK(size >= kStatelessResetShortTriggerSize);
      CHECK(size < trigger);  // §10.3.3
      CHECK(size <= kMaxStatelessResetSize);
      CHECK(size < 3 * trigger);  // §10.3
    }
  }

  auto router = MakeRouter(Config());
  Bytes reply(1500);
  auto cid = router.NewConnectionId(random);  // issued once, then forgotten (state lost)
  Bytes trigger = ShortHeaderPacket(cid, 100);
  RouteResult r = router.Route(trigger, absl::MakeSpan(reply), random);
  REQUIRE(r.action == RouteAction::kStatelessReset);
  Bytes reset(reply.begin(), reply.begin() + r.reply_size);
  CHECK(reset.size() >= kStatelessResetShortTriggerSize);
  CHECK(reset.size() < trigger.size());
  CHECK((reset[0] & 0xc0) == 0x40);  // looks like a short header
  CHECK(EndsWithStatelessResetToken(reset, router.ResetToken(cid)));
  CHECK_FALSE(EndsWithStatelessResetToken(trigger, router.ResetToken(cid)));

  // Two endpoints answering each other's resets with resets: each round is smaller, so the
  // exchange ends. The second endpoint reads the reset's bytes after the first as a DCID.
  Bytes packet = trigger;
  int rounds = 0;
  for (;;) {
    r = router.Route(packet, absl::MakeSpan(reply), random);
    if (r.action != RouteAction::kStatelessReset) break;
    REQUIRE(r.reply_size < packet.size());
    packet.assign(reply.begin(), reply.begin() + r.reply_size);
    ++rounds;
    REQUIRE(rounds < 200);
  }
  CHECK(r.drop_reason == DropReason::kUnknownShortHeader);
  CHECK(packet.size() <= kMinStatelessResetSize);

  // Resets can be turned off.
  RouterConfig quiet = Config();
  quiet.send_stateless_resets = false;
  auto quiet_router = MakeRouter(quiet);
  CHECK(quiet_router.Route(trigger, absl::MakeSpan(reply), random).drop_reason ==
        DropReason::kUnknownShortHeader);
  // No room for the reset.
  Bytes tiny(30);
  CHECK(router.Route(trigger, absl::MakeSpan(tiny), random).drop_reason ==
        DropReason::kReplyBufferTooSmall);
}

TEST_CASE("ConnectionIdRouter steers datagrams to the worker that issued the ID",
          "[io][router][workers]") {
  constexpr uint32_t kWorkers = 4;
  std::vector<ConnectionIdRouter> routers;
  for (uint32_t w = 0; w < kWorkers; ++w) routers.push_back(MakeRouter(Config(w, kWorkers)));
  auto random = SeededRandom(5);
  Bytes reply(1500);

  // Worker 3 issues an ID and routes it.
  ConnectionId id = routers[3].NewConnectionId(random);
  CHECK(id.data()[0] == 3);
  REQUIRE(routers[3].Add(id, 33).ok());
  Bytes packet = ShortHeaderPacket(id, 80);
  for (uint32_t w = 0; w < kWorkers; ++w) {
    RouteResult r = routers[w].Route(packet, absl::MakeSpan(reply), random);
    if (w == 3) {
      CHECK(r.action == RouteAction::kConnection);
      CHECK(r.handle == 33);
    } else {
      CHECK(r.action == RouteAction::kOtherWorker);
      CHECK(r.worker == 3);
    }
  }

  // An unknown ID naming worker 2 is reset by worker 2 only.
  ConnectionId stale = routers[2].NewConnectionId(random);
  for (uint32_t w = 0; w < kWorkers; ++w) {
    RouteResult r = routers[w].Route(ShortHeaderPacket(stale, 80), absl::MakeSpan(reply), random);
    CHECK(r.action == (w == 2 ? RouteAction::kStatelessReset : RouteAction::kOtherWorker));
  }

  // A client's first Initial: exactly one worker takes it, the others forward to that one.
  for (int trial = 0; trial < 20; ++trial) {
    Bytes dcid(8 + trial % 13);
    random(dcid.data(), dcid.size());
    Bytes initial = InitialPacket(kQuicVersion1, dcid, 1200);
    int takers = 0;
    uint32_t owner = kWorkers;
    for (uint32_t w = 0; w < kWorkers; ++w) {
      RouteResult r = routers[w].Route(initial, absl::MakeSpan(reply), random);
      if (r.action == RouteAction::kNewConnection) {
        ++takers;
        owner = w;
      } else {
        REQUIRE(r.action == RouteAction::kOtherWorker);
        CHECK(r.worker == SteerToWorker(ConnectionIdFormat{}, dcid, kWorkers));
      }
    }
    CHECK(takers == 1);
    CHECK(owner == SteerToWorker(ConnectionIdFormat{}, dcid, kWorkers));
  }
}

}  // namespace
}  // namespace kite::quic::io
