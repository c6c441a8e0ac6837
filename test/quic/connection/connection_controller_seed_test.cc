// Each connection seeds its congestion controller's random choices (ControllerParams::
// random_seed) from its own injected randomness: two flows never share a seed by construction,
// and a seeded run still replays exactly. Observed through a controller registered here, as a
// researcher would add one.
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "congestion/newreno/newreno.h"
#include "congestion/registry.h"
#include "test/quic/connection/connection_harness.h"

namespace kite::quic::test {
namespace {

std::vector<uint64_t>& RecordedSeeds() {
  static std::vector<uint64_t> seeds;
  return seeds;
}

const congestion::ControllerRegistrar kSeedRecorder(
    "test_seed_recorder", [](const congestion::ControllerParams& params) {
      RecordedSeeds().push_back(params.random_seed);
      return std::unique_ptr<congestion::CongestionController>(
          std::make_unique<congestion::NewReno>(params));
    });

// Handshakes once with harness seed `seed`; returns the client's and the server's controller
// seeds.
std::vector<uint64_t> SeedsForRun(uint64_t seed) {
  RecordedSeeds().clear();
  HarnessOptions o;
  o.seed = seed;
  o.client.congestion_controller = "test_seed_recorder";
  o.server.congestion_controller = "test_seed_recorder";
  ConnectionHarness h(o);
  REQUIRE(h.Init().ok());
  REQUIRE(h.Connect().ok());
  REQUIRE(h.RunUntil([&] {
    return h.client()->handshake_confirmed() && h.server() != nullptr &&
           h.server()->handshake_confirmed();
  }));
  return RecordedSeeds();
}

TEST_CASE("each connection seeds its controller from its own randomness",
          "[connection][congestion]") {
  std::vector<uint64_t> first = SeedsForRun(1);
  REQUIRE(first.size() == 2);  // client, then server
  const uint64_t kParamsDefault = congestion::ControllerParams().random_seed;
  CHECK(first[0] != kParamsDefault);
  CHECK(first[1] != kParamsDefault);
  CHECK(first[0] != first[1]);

  // The same harness seed replays the same controller seeds; another one does not.
  CHECK(SeedsForRun(1) == first);
  std::vector<uint64_t> second = SeedsForRun(2);
  REQUIRE(second.size() == 2);
  CHECK(second[0] != first[0]);
  CHECK(second[1] != first[1]);
}

}  // namespace
}  // namespace kite::quic::test
