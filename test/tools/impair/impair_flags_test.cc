#include "tools/impair/impair_flags.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/time/time.h"

namespace kite::tools::impair {
namespace {

const std::vector<std::string> kAddrs = {"--listen", "127.0.0.1:4434", "--upstream",
                                         "127.0.0.1:4433"};

absl::StatusOr<ImpairFlags> Parse(std::vector<std::string> extra) {
  std::vector<std::string> args = kAddrs;
  args.insert(args.end(), extra.begin(), extra.end());
  return ParseImpairFlags(args);
}

TEST_CASE("Value parsers", "[impair]") {
  CHECK(*ParseDurationValue("50ms") == absl::Milliseconds(50));
  CHECK(*ParseDurationValue("1.5s") == absl::Milliseconds(1500));
  CHECK(*ParseDurationValue("200us") == absl::Microseconds(200));
  CHECK(*ParseDurationValue("2m") == absl::Minutes(2));
  CHECK(*ParseDurationValue("0") == absl::ZeroDuration());
  CHECK_FALSE(ParseDurationValue("50").ok());
  CHECK_FALSE(ParseDurationValue("ms").ok());
  CHECK_FALSE(ParseDurationValue("-5ms").ok());
  CHECK_FALSE(ParseDurationValue("5 parsecs").ok());
  CHECK_FALSE(ParseDurationValue("99999999999s").ok());

  CHECK(*ParseProbability("5%") == Approx(0.05));
  CHECK(*ParseProbability("0.5%") == Approx(0.005));
  CHECK(*ParseProbability("0.05") == Approx(0.05));
  CHECK(*ParseProbability("100%") == 1.0);
  CHECK_FALSE(ParseProbability("5").ok());
  CHECK_FALSE(ParseProbability("101%").ok());
  CHECK_FALSE(ParseProbability("-1%").ok());
  CHECK_FALSE(ParseProbability("x%").ok());
  CHECK_FALSE(ParseProbability("nan").ok());

  CHECK(*ParseRate("10mbit") == 10'000'000);
  CHECK(*ParseRate("1.5Gbit") == 1'500'000'000);
  CHECK(*ParseRate("500kbit") == 500'000);
  CHECK(*ParseRate("64000") == 64'000);
  CHECK_FALSE(ParseRate("10MB/s").ok());
  CHECK_FALSE(ParseRate("0").ok());
  CHECK_FALSE(ParseRate("fast").ok());

  CHECK(*ParseSize("100kB") == 100'000);
  CHECK(*ParseSize("64KiB") == 65'536);
  CHECK(*ParseSize("1MB") == 1'000'000);
  CHECK(*ParseSize("1500") == 1500);
  CHECK(*ParseSize("1500B") == 1500);
  CHECK_FALSE(ParseSize("1TB").ok());
  CHECK_FALSE(ParseSize("5000MiB").ok());  // above the simulator's queue bound

  absl::StatusOr<quic::SocketAddress> a = ParseHostPort("127.0.0.1:4433");
  REQUIRE(a.ok());
  CHECK(*a == quic::SocketAddress::V4(127, 0, 0, 1, 4433));
  a = ParseHostPort("[::1]:443");
  REQUIRE(a.ok());
  CHECK(a->ipv6);
  CHECK(a->port == 443);
  CHECK(a->ip[15] == 1);
  CHECK_FALSE(ParseHostPort("127.0.0.1").ok());
  CHECK_FALSE(ParseHostPort("localhost:443").ok());
  CHECK_FALSE(ParseHostPort("127.0.0.1:70000").ok());
  CHECK_FALSE(ParseHostPort("[::1]443").ok());
}

TEST_CASE("Both-direction flags set both links", "[impair]") {
  absl::StatusOr<ImpairFlags> f =
      Parse({"--delay", "50ms", "--jitter=5ms", "--loss", "5%", "--burst-loss", "1%:5",
             "--reorder", "2%:7ms", "--duplicate", "1%", "--corrupt", "0.5%", "--rate", "10mbit",
             "--queue", "100kB", "--mtu", "1400", "--seed", "42", "--stats", "-v"});
  REQUIRE(f.ok());
  CHECK(f->listen == quic::SocketAddress::V4(127, 0, 0, 1, 4434));
  CHECK(f->upstream == quic::SocketAddress::V4(127, 0, 0, 1, 4433));
  for (const quic::sim::LinkConfig* c : {&f->relay.up, &f->relay.down}) {
    CHECK(c->propagation_delay == absl::Milliseconds(50));
    CHECK(c->jitter == absl::Milliseconds(5));
    CHECK(c->loss_probability == Approx(0.05));
    CHECK(c->burst_enter_probability == Approx(0.01));
    CHECK(c->burst_exit_probability == Approx(0.2));
    CHECK(c->burst_loss_probability == 1.0);
    CHECK(c->reorder_probability == Approx(0.02));
    CHECK(c->reorder_delay == absl::Milliseconds(7));
    CHECK(c->duplicate_probability == Approx(0.01));
    CHECK(c->corrupt_probability == Approx(0.005));
    CHECK(c->bandwidth_bps == 10'000'000);
    CHECK(c->queue_capacity_bytes == 100'000);
    CHECK(c->mtu == 1400);
  }
  CHECK(f->relay.seed == 42);
  CHECK(f->stats);
  CHECK(f->verbose);
  CHECK_FALSE(f->help);
}

TEST_CASE("Defaults: no impairment, no MTU limit", "[impair]") {
  absl::StatusOr<ImpairFlags> f = Parse({});
  REQUIRE(f.ok());
  for (const quic::sim::LinkConfig* c : {&f->relay.up, &f->relay.down}) {
    CHECK(c->propagation_delay == absl::ZeroDuration());
    CHECK(c->loss_probability == 0.0);
    CHECK(c->bandwidth_bps == 0);
    CHECK(c->mtu == quic::sim::kMaxDatagramSize);
  }
  CHECK(f->relay.schedule.empty());
  CHECK(f->relay.rebind_at.empty());
  CHECK(f->relay.rebind_every == absl::ZeroDuration());
  CHECK_FALSE(f->stats);
}

TEST_CASE("Direction prefixes override one way; later flags win", "[impair]") {
  absl::StatusOr<ImpairFlags> f = Parse({"--loss", "5%", "--up-loss", "1%", "--down-delay",
                                         "30ms", "--up-burst-loss", "2%:4:50%", "--down-rate",
                                         "1mbit"});
  REQUIRE(f.ok());
  CHECK(f->relay.up.loss_probability == Approx(0.01));
  CHECK(f->relay.down.loss_probability == Approx(0.05));
  CHECK(f->relay.up.propagation_delay == absl::ZeroDuration());
  CHECK(f->relay.down.propagation_delay == absl::Milliseconds(30));
  CHECK(f->relay.up.burst_enter_probability == Approx(0.02));
  CHECK(f->relay.up.burst_exit_probability == Approx(0.25));
  CHECK(f->relay.up.burst_loss_probability == Approx(0.5));
  CHECK(f->relay.down.burst_enter_probability == 0.0);
  CHECK(f->relay.up.bandwidth_bps == 0);
  CHECK(f->relay.down.bandwidth_bps == 1'000'000);
}

TEST_CASE("A BDP queue uses the direction's rate and the path's delay", "[impair]") {
  // 8 Mbit/s x (30 + 20) ms = 50 000 bytes.
  absl::StatusOr<ImpairFlags> f = Parse({"--rate", "8mbit", "--up-delay", "30ms", "--down-delay",
                                         "20ms", "--queue", "2bdp", "--down-queue", "0.5bdp"});
  REQUIRE(f.ok());
  CHECK(f->relay.up.queue_capacity_bytes == 100'000);
  CHECK(f->relay.down.queue_capacity_bytes == 25'000);
  CHECK_FALSE(Parse({"--queue", "1bdp"}).ok());  // no rate
  CHECK_FALSE(Parse({"--queue", "0bdp", "--rate", "1mbit"}).ok());
}

TEST_CASE("Schedules and rebinding", "[impair]") {
  absl::StatusOr<ImpairFlags> f =
      Parse({"--blackhole", "5s+1s", "--up-blackhole", "10s+500ms", "--rate-at", "3s:2mbit",
             "--rebind-at", "2s", "--rebind-at=4s", "--rebind-every", "3s", "--idle-timeout", "30s",
             "--max-clients", "8"});
  REQUIRE(f.ok());
  const std::vector<ScheduledChange>& s = f->relay.schedule;
  REQUIRE(s.size() == 5);
  CHECK(s[0].at == absl::Seconds(5));
  CHECK(s[0].blackhole == true);
  CHECK((s[0].up && s[0].down));
  CHECK(s[1].at == absl::Seconds(6));
  CHECK(s[1].blackhole == false);
  CHECK(s[2].at == absl::Seconds(10));
  CHECK(s[2].up);
  CHECK_FALSE(s[2].down);
  CHECK(s[3].at == absl::Milliseconds(10500));
  CHECK(s[4].at == absl::Seconds(3));
  CHECK(s[4].bandwidth_bps == 2'000'000);
  CHECK_FALSE(s[4].blackhole.has_value());
  CHECK(f->relay.rebind_at == std::vector<absl::Duration>{absl::Seconds(2), absl::Seconds(4)});
  CHECK(f->relay.rebind_every == absl::Seconds(3));
  CHECK(f->relay.client_idle_timeout == absl::Seconds(30));
  CHECK(f->relay.max_clients == 8);
}

TEST_CASE("Bad command lines are refused with the flag named", "[impair]") {
  auto refused = [](std::vector<std::string> args, const std::string& mention) {
    absl::StatusOr<ImpairFlags> f = ParseImpairFlags(args);
    REQUIRE_FALSE(f.ok());
    CHECK(std::string(f.status().message()).find(mention) != std::string::npos);
  };
  refused({"--upstream", "127.0.0.1:4433"}, "--listen");
  refused({"--listen", "127.0.0.1:4434"}, "--upstream");
  refused({"--listen", "127.0.0.1:4434", "--upstream", "127.0.0.1:0"}, "--upstream");
  std::vector<std::string> base = kAddrs;
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  refused(with({"--loss", "5"}), "--loss");
  refused(with({"--delay"}), "--delay");
  refused(with({"--delay", "2h"}), "--delay");
  refused(with({"--burst-loss", "1%"}), "--burst-loss");
  refused(with({"--burst-loss", "1%:0.5"}), "--burst-loss");
  refused(with({"--reorder", "2%:xx"}), "--reorder");
  refused(with({"--mtu", "0"}), "--mtu");
  refused(with({"--blackhole", "5s"}), "--blackhole");
  refused(with({"--rate-at", "5s"}), "--rate-at");
  refused(with({"--up-seed", "1"}), "--up-seed");
  refused(with({"--frobnicate", "1"}), "--frobnicate");
  refused(with({"--rebind-every", "1ms"}), "rebind");
  refused(with({"--max-clients", "0"}), "max clients");

  absl::StatusOr<ImpairFlags> help = ParseImpairFlags({"--help"});
  REQUIRE(help.ok());
  CHECK(help->help);
  CHECK(ImpairUsage().find("--rebind-every") != std::string::npos);
}

}  // namespace
}  // namespace kite::tools::impair
