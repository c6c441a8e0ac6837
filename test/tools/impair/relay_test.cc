#include "tools/impair/relay.h"

#include <cstdint>
#include <memory>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/time/time.h"

namespace kite::tools::impair {
namespace {

using Kind = RelayAction::Kind;

const absl::Time kStart = absl::FromUnixSeconds(5000);
const quic::SocketAddress kAlice = quic::SocketAddress::V4(127, 0, 0, 1, 40001);
const quic::SocketAddress kBob = quic::SocketAddress::V4(127, 0, 0, 1, 40002);

std::unique_ptr<Relay> MakeRelay(const RelayOptions& o) {
  absl::StatusOr<std::unique_ptr<Relay>> r = Relay::Create(o, kStart);
  REQUIRE(r.ok());
  return std::move(*r);
}

std::vector<uint8_t> Bytes(uint8_t tag, size_t size = 100) { return std::vector<uint8_t>(size, tag); }

// Every action, stamped with the time Advance ran, stepping to each wakeup until `until`.
struct Stamped {
  absl::Time time;
  RelayAction action;
};
std::vector<Stamped> RunUntil(Relay& r, absl::Time until) {
  std::vector<Stamped> out;
  for (RelayAction& a : r.TakeActions()) out.push_back({absl::InfinitePast(), std::move(a)});
  while (std::optional<absl::Time> t = r.NextWakeup()) {
    if (*t > until) break;
    r.Advance(*t);
    for (RelayAction& a : r.TakeActions()) out.push_back({*t, std::move(a)});
  }
  r.Advance(until);
  for (RelayAction& a : r.TakeActions()) out.push_back({until, std::move(a)});
  return out;
}

std::vector<Stamped> OfKind(const std::vector<Stamped>& v, Kind k) {
  std::vector<Stamped> out;
  for (const Stamped& s : v) {
    if (s.action.kind == k) out.push_back(s);
  }
  return out;
}

TEST_CASE("Options are validated", "[impair]") {
  CHECK(ValidateRelayOptions(RelayOptions{}).ok());
  RelayOptions o;
  o.up.loss_probability = 2;
  CHECK_FALSE(ValidateRelayOptions(o).ok());
  CHECK_FALSE(Relay::Create(o, kStart).ok());
  o = RelayOptions{};
  o.down.mtu = 0;
  CHECK_FALSE(ValidateRelayOptions(o).ok());
  o = RelayOptions{};
  o.rebind_every = absl::Milliseconds(1);
  CHECK_FALSE(ValidateRelayOptions(o).ok());
  o = RelayOptions{};
  o.rebind_at = {-absl::Seconds(1)};
  CHECK_FALSE(ValidateRelayOptions(o).ok());
  o = RelayOptions{};
  ScheduledChange early;
  early.at = -absl::Seconds(1);
  o.schedule.push_back(early);
  CHECK_FALSE(ValidateRelayOptions(o).ok());
  o = RelayOptions{};
  o.max_clients = 0;
  CHECK_FALSE(ValidateRelayOptions(o).ok());
  o = RelayOptions{};
  o.client_idle_timeout = absl::ZeroDuration();
  CHECK_FALSE(ValidateRelayOptions(o).ok());
}

TEST_CASE("A client gets an upstream; datagrams cross with each direction's delay", "[impair]") {
  RelayOptions o;
  o.up.propagation_delay = absl::Milliseconds(30);
  o.down.propagation_delay = absl::Milliseconds(20);
  std::unique_ptr<Relay> r = MakeRelay(o);
  CHECK_FALSE(r->NextWakeup().has_value());

  r->OnClientDatagram(kStart, kAlice, Bytes(1));
  std::vector<RelayAction> a = r->TakeActions();
  REQUIRE(a.size() == 1);
  CHECK(a[0].kind == Kind::kOpenUpstream);
  const uint64_t up = a[0].upstream;
  CHECK(r->UpstreamOf(kAlice) == up);
  REQUIRE(r->NextWakeup() == kStart + absl::Milliseconds(30));

  r->Advance(kStart + absl::Milliseconds(30) - absl::Nanoseconds(1));
  CHECK(r->TakeActions().empty());
  r->Advance(kStart + absl::Milliseconds(30));
  a = r->TakeActions();
  REQUIRE(a.size() == 1);
  CHECK(a[0].kind == Kind::kSendToServer);
  CHECK(a[0].upstream == up);
  CHECK(a[0].bytes == Bytes(1));

  // The reply on that upstream goes back to the client 20 ms later.
  r->OnServerDatagram(kStart + absl::Milliseconds(31), up, Bytes(2, 50));
  CHECK(r->TakeActions().empty());
  r->Advance(kStart + absl::Milliseconds(51));
  a = r->TakeActions();
  REQUIRE(a.size() == 1);
  CHECK(a[0].kind == Kind::kSendToClient);
  CHECK(a[0].client == kAlice);
  CHECK(a[0].bytes == Bytes(2, 50));

  // A second datagram from the same client reuses its upstream.
  r->OnClientDatagram(kStart + absl::Milliseconds(60), kAlice, Bytes(3));
  r->Advance(kStart + absl::Milliseconds(90));
  a = r->TakeActions();
  REQUIRE(a.size() == 1);
  CHECK(a[0].kind == Kind::kSendToServer);
  CHECK(a[0].upstream == up);
  CHECK(r->stats().clients == 1);
}

TEST_CASE("Clients are kept apart", "[impair]") {
  std::unique_ptr<Relay> r = MakeRelay(RelayOptions{});  // perfect links: delivered at once
  r->OnClientDatagram(kStart, kAlice, Bytes(1));
  r->OnClientDatagram(kStart, kBob, Bytes(2));
  std::vector<RelayAction> a = r->TakeActions();
  REQUIRE(a.size() == 4);
  CHECK(a[0].kind == Kind::kOpenUpstream);
  CHECK(a[1].kind == Kind::kSendToServer);
  CHECK(a[2].kind == Kind::kOpenUpstream);
  CHECK(a[3].kind == Kind::kSendToServer);
  CHECK(a[1].upstream == a[0].upstream);
  CHECK(a[3].upstream == a[2].upstream);
  CHECK(a[0].upstream != a[2].upstream);
  CHECK(a[3].bytes == Bytes(2));

  r->OnServerDatagram(kStart, *r->UpstreamOf(kBob), Bytes(20));
  r->OnServerDatagram(kStart, *r->UpstreamOf(kAlice), Bytes(10));
  a = r->TakeActions();
  REQUIRE(a.size() == 2);
  CHECK(a[0].client == kBob);
  CHECK(a[0].bytes == Bytes(20));
  CHECK(a[1].client == kAlice);
  CHECK(a[1].bytes == Bytes(10));

  // A datagram on an upstream the relay never opened goes nowhere.
  r->OnServerDatagram(kStart, 999, Bytes(9));
  CHECK(r->TakeActions().empty());
  CHECK(r->stats().dropped_unknown_upstream == 1);
}

TEST_CASE("Each direction has its own impairments", "[impair]") {
  RelayOptions o;
  o.up.loss_probability = 1.0;
  o.down.duplicate_probability = 1.0;
  std::unique_ptr<Relay> r = MakeRelay(o);
  for (int i = 0; i < 10; ++i) r->OnClientDatagram(kStart, kAlice, Bytes(1));
  std::vector<RelayAction> a = r->TakeActions();
  REQUIRE(a.size() == 1);  // only the upstream opened; every datagram lost
  r->OnServerDatagram(kStart, *r->UpstreamOf(kAlice), Bytes(2));
  a = r->TakeActions();
  REQUIRE(a.size() == 2);  // duplicated
  CHECK(a[0].bytes == a[1].bytes);
  RelayStats s = r->stats();
  CHECK(s.up.sent == 10);
  CHECK(s.up.dropped_loss == 10);
  CHECK(s.down.sent == 1);
  CHECK(s.down.duplicated == 1);
  CHECK(s.down.delivered == 2);
}

TEST_CASE("Rebinding moves a client to a new upstream at the configured times", "[impair]") {
  RelayOptions o;
  o.up.propagation_delay = absl::Milliseconds(10);
  o.rebind_at = {absl::Seconds(2), absl::Seconds(2)};  // a duplicate time is one rebind
  o.rebind_every = absl::Seconds(3);
  std::unique_ptr<Relay> r = MakeRelay(o);
  const absl::Time first = kStart + absl::Seconds(1);  // rebind times count from here
  r->OnClientDatagram(first, kAlice, Bytes(1));
  const uint64_t up0 = *r->UpstreamOf(kAlice);
  // Sent just before the rebind, delivered (10 ms later) after it: it leaves from the new mapping.
  r->OnClientDatagram(first + absl::Seconds(2) - absl::Milliseconds(5), kAlice, Bytes(2));
  std::vector<Stamped> got = RunUntil(*r, first + absl::Seconds(7));

  std::vector<Stamped> opens = OfKind(got, Kind::kOpenUpstream);
  std::vector<Stamped> closes = OfKind(got, Kind::kCloseUpstream);
  // Rebinds at 2 s (rebind_at), 3 s and 6 s (every 3 s).
  REQUIRE(opens.size() == 4);
  REQUIRE(closes.size() == 3);
  CHECK(opens[1].time == first + absl::Seconds(2));
  CHECK(opens[2].time == first + absl::Seconds(3));
  CHECK(opens[3].time == first + absl::Seconds(6));
  CHECK(closes[0].action.upstream == up0);
  CHECK(closes[1].action.upstream == opens[1].action.upstream);
  CHECK(closes[2].action.upstream == opens[2].action.upstream);
  CHECK(r->UpstreamOf(kAlice) == opens[3].action.upstream);
  CHECK(r->stats().rebinds == 3);
  // Each open comes before the close of the mapping it replaces.
  for (size_t i = 1; i < got.size(); ++i) {
    if (got[i].action.kind == Kind::kCloseUpstream) {
      CHECK(got[i - 1].action.kind == Kind::kOpenUpstream);
    }
  }

  std::vector<Stamped> sends = OfKind(got, Kind::kSendToServer);
  REQUIRE(sends.size() == 2);
  CHECK(sends[0].action.upstream == up0);
  CHECK(sends[1].action.bytes == Bytes(2));
  CHECK(sends[1].action.upstream == opens[1].action.upstream);

  // The server answering the old mapping is not heard; the current one is.
  r->OnServerDatagram(first + absl::Seconds(7), up0, Bytes(3));
  CHECK(r->TakeActions().empty());
  r->OnServerDatagram(first + absl::Seconds(7), opens[3].action.upstream, Bytes(4));
  std::vector<RelayAction> a = r->TakeActions();
  REQUIRE(a.size() == 1);
  CHECK(a[0].client == kAlice);
  CHECK(r->stats().dropped_unknown_upstream == 1);
}

TEST_CASE("Each client rebinds on its own clock", "[impair]") {
  RelayOptions o;
  o.rebind_every = absl::Seconds(1);
  std::unique_ptr<Relay> r = MakeRelay(o);
  r->OnClientDatagram(kStart, kAlice, Bytes(1));
  r->OnClientDatagram(kStart + absl::Milliseconds(500), kBob, Bytes(2));
  std::vector<Stamped> opens = OfKind(RunUntil(*r, kStart + absl::Milliseconds(2600)), Kind::kOpenUpstream);
  REQUIRE(opens.size() == 6);  // two first opens, then Alice at 1 s and 2 s, Bob at 1.5 s and 2.5 s
  const absl::Time want[] = {kStart + absl::Seconds(1), kStart + absl::Milliseconds(1500),
                             kStart + absl::Seconds(2), kStart + absl::Milliseconds(2500)};
  const quic::SocketAddress who[] = {kAlice, kBob, kAlice, kBob};
  for (size_t i = 0; i < 4; ++i) {
    CHECK(opens[i + 2].time == want[i]);
    CHECK(opens[i + 2].action.client == who[i]);
  }
  CHECK(r->UpstreamOf(kAlice) == opens[4].action.upstream);
  CHECK(r->UpstreamOf(kBob) == opens[5].action.upstream);
  CHECK(r->rebinds() == 4);
}

TEST_CASE("Blackhole and rate schedules change the links over time", "[impair]") {
  RelayOptions o;
  ScheduledChange hole_on;
  hole_on.at = absl::Seconds(5);
  hole_on.down = false;  // client -> server only
  hole_on.blackhole = true;
  ScheduledChange hole_off = hole_on;
  hole_off.at = absl::Seconds(6);
  hole_off.blackhole = false;
  ScheduledChange slow;
  slow.at = absl::Seconds(8);
  slow.bandwidth_bps = 8'000'000;  // 1000 bytes per ms
  o.schedule = {slow, hole_off, hole_on};  // any order
  std::unique_ptr<Relay> r = MakeRelay(o);
  const uint8_t kTag = 7;
  auto up_delivered = [&](absl::Time t) {
    r->OnClientDatagram(t, kAlice, Bytes(kTag));
    std::vector<Stamped> got = RunUntil(*r, t + absl::Seconds(1) / 2);
    return OfKind(got, Kind::kSendToServer).size();
  };
  r->OnClientDatagram(kStart, kAlice, Bytes(0));
  (void)r->TakeActions();
  CHECK(up_delivered(kStart + absl::Seconds(4)) == 1);
  CHECK(up_delivered(kStart + absl::Milliseconds(5100)) == 0);
  // The other direction is not blackholed.
  r->OnServerDatagram(kStart + absl::Milliseconds(5200), *r->UpstreamOf(kAlice), Bytes(1));
  CHECK(OfKind(RunUntil(*r, kStart + absl::Milliseconds(5300)), Kind::kSendToClient).size() == 1);
  CHECK(up_delivered(kStart + absl::Milliseconds(6100)) == 1);
  CHECK(r->stats().up.dropped_blackhole == 1);

  // From 8 s on, both directions serialize at 8 Mbit/s: 1400 bytes take 1.4 ms.
  const absl::Time t = kStart + absl::Seconds(9);
  r->OnClientDatagram(t, kAlice, Bytes(1, 1400));
  CHECK(r->TakeActions().empty());
  REQUIRE(r->NextWakeup() == t + absl::Microseconds(1400));
  r->OnServerDatagram(t, *r->UpstreamOf(kAlice), Bytes(1, 700));
  CHECK(r->TakeActions().empty());
  std::vector<Stamped> got = RunUntil(*r, t + absl::Milliseconds(5));
  REQUIRE(got.size() == 2);
  CHECK(got[0].action.kind == Kind::kSendToClient);
  CHECK(got[0].time == t + absl::Microseconds(700));
  CHECK(got[1].action.kind == Kind::kSendToServer);
  CHECK(got[1].time == t + absl::Microseconds(1400));
}

TEST_CASE("Idle clients are forgotten; a client limit drops newcomers", "[impair]") {
  RelayOptions o;
  o.client_idle_timeout = absl::Seconds(10);
  o.max_clients = 1;
  std::unique_ptr<Relay> r = MakeRelay(o);
  r->OnClientDatagram(kStart, kAlice, Bytes(1));
  const uint64_t first = *r->UpstreamOf(kAlice);
  (void)r->TakeActions();
  r->OnClientDatagram(kStart + absl::Seconds(1), kBob, Bytes(2));  // over the limit
  CHECK(r->TakeActions().empty());
  CHECK(r->stats().dropped_client_limit == 1);
  // Server traffic keeps the client alive.
  r->OnServerDatagram(kStart + absl::Seconds(8), first, Bytes(3));
  (void)r->TakeActions();
  // A wakeup may come early (a bound from before the server spoke); it then does nothing.
  std::optional<absl::Time> w = r->NextWakeup();
  REQUIRE(w.has_value());
  CHECK(*w <= kStart + absl::Seconds(18));
  if (*w < kStart + absl::Seconds(18)) {
    r->Advance(*w);
    CHECK(r->TakeActions().empty());
    CHECK(r->active_clients() == 1);
  }
  REQUIRE(r->NextWakeup() == kStart + absl::Seconds(18));
  r->Advance(kStart + absl::Seconds(18) - absl::Nanoseconds(1));
  CHECK(r->TakeActions().empty());
  r->Advance(kStart + absl::Seconds(18));
  std::vector<RelayAction> a = r->TakeActions();
  REQUIRE(a.size() == 1);
  CHECK(a[0].kind == Kind::kCloseUpstream);
  CHECK(a[0].upstream == first);
  CHECK(r->active_clients() == 0);
  CHECK_FALSE(r->NextWakeup().has_value());
  // Now Bob fits, and Alice coming back is a new client with a new upstream.
  r->OnClientDatagram(kStart + absl::Seconds(20), kBob, Bytes(4));
  r->OnClientDatagram(kStart + absl::Seconds(20), kAlice, Bytes(5));
  CHECK(r->UpstreamOf(kBob).has_value());
  CHECK_FALSE(r->UpstreamOf(kAlice).has_value());
  RelayStats s = r->stats();
  CHECK(s.clients == 2);
  CHECK(s.clients_expired == 1);
  CHECK(s.dropped_client_limit == 2);
}

// A busy two-way run with every impairment on; returns a trace of what the shell would do.
std::vector<std::tuple<int64_t, int, uint64_t, std::vector<uint8_t>>> Busy(uint64_t seed) {
  RelayOptions o;
  o.seed = seed;
  o.up.propagation_delay = absl::Milliseconds(20);
  o.up.jitter = absl::Milliseconds(3);
  o.up.loss_probability = 0.05;
  o.up.reorder_probability = 0.05;
  o.up.duplicate_probability = 0.02;
  o.up.corrupt_probability = 0.02;
  o.down = o.up;
  o.down.bandwidth_bps = 20'000'000;
  o.rebind_every = absl::Milliseconds(700);
  std::unique_ptr<Relay> r = MakeRelay(o);
  std::vector<std::tuple<int64_t, int, uint64_t, std::vector<uint8_t>>> trace;
  auto take = [&](absl::Time t) {
    for (RelayAction& a : r->TakeActions()) {
      trace.emplace_back(absl::ToUnixNanos(t), static_cast<int>(a.kind), a.upstream, a.bytes);
    }
  };
  for (int i = 0; i < 2000; ++i) {
    const absl::Time t = kStart + absl::Milliseconds(i);
    r->Advance(t);
    take(t);
    r->OnClientDatagram(t, i % 3 == 0 ? kBob : kAlice, Bytes(static_cast<uint8_t>(i), 200));
    take(t);
    if (std::optional<uint64_t> up = r->UpstreamOf(kAlice)) {
      r->OnServerDatagram(t, *up, Bytes(static_cast<uint8_t>(i), 1200));
      take(t);
    }
  }
  return trace;
}

TEST_CASE("The same seed gives the same actions; another seed does not", "[impair]") {
  auto a = Busy(5);
  auto b = Busy(5);
  auto c = Busy(6);
  REQUIRE(a.size() > 3500);  // ~3800 sends (5% lost) plus opens and closes
  CHECK(a == b);
  CHECK(a != c);
}

}  // namespace
}  // namespace kite::tools::impair
