// Every registered controller: the names resolve through the registry (each package registers
// itself when linked), and each one, driven through the same FakePath, fills a bottleneck and
// survives loss, persistent congestion and discarded packets without its window collapsing
// below the RFC 9002 minimum or growing without bound.
#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "congestion/registry.h"
#include "test/congestion/fake_path.h"

namespace kite::congestion {
namespace {

constexpr size_t kMss = 1200;
const std::vector<std::string> kNames = {"newreno", "cubic", "bbr", "bbr3", "bbr1"};

ControllerParams Params() {
  ControllerParams p;
  p.max_datagram_size = kMss;
  return p;
}

TEST_CASE("all controller names resolve", "[congestion][registry]") {
  std::vector<std::string> registered = RegisteredControllers();
  for (const auto& [alias, target] : ControllerAliases()) registered.push_back(alias);
  for (const std::string& name : kNames) {
    INFO(name);
    CHECK(std::find(registered.begin(), registered.end(), name) != registered.end());
    std::unique_ptr<CongestionController> cc = CreateController(name, Params());
    REQUIRE(cc != nullptr);
    CHECK(cc->CongestionWindow() == InitialWindowBytes(Params()));
    CHECK_FALSE(cc->StateName().empty());
    CHECK(cc->InSlowStart());
  }
  // "bbr3" is an alias of "bbr": same controller, same state names, listed once.
  CHECK(std::find(registered.begin(), registered.end(), "bbr") != registered.end());
  CHECK(std::count(registered.begin(), registered.end(), "bbr3") == 1);
  std::vector<std::string> distinct = RegisteredControllers();
  CHECK(std::find(distinct.begin(), distinct.end(), "bbr3") == distinct.end());
  CHECK(CreateController("bbr3", Params())->StateName() ==
        CreateController("bbr", Params())->StateName());
}

TEST_CASE("every controller fills a bottleneck and recovers from loss", "[congestion][registry]") {
  for (const std::string& name : kNames) {
    INFO(name);
    std::unique_ptr<CongestionController> cc = CreateController(name, Params());
    REQUIRE(cc != nullptr);
    testing::FakePathConfig cfg;
    cfg.mss = kMss;
    cfg.propagation_rtt = absl::Milliseconds(40);
    cfg.bottleneck_bytes_per_second = 1000 * kMss;  // BDP 40 packets
    cfg.buffer_bytes = 60 * kMss;
    testing::FakePath path(*cc, cfg);
    size_t min_cwnd = SIZE_MAX;
    size_t max_cwnd = 0;
    path.SetObserver([&](const AckEvent&) {
      min_cwnd = std::min(min_cwnd, cc->CongestionWindow());
      max_cwnd = std::max(max_cwnd, cc->CongestionWindow());
    });
    path.RunFor(absl::Seconds(2));
    // The link carries 2000 packets in 2 s; with only drop-tail losses every controller gets
    // most of it.
    CHECK(path.bytes_delivered() / kMss > 1400);
    // Then 0.5% random-looking loss on top: the loss-based controllers settle near Reno's
    // 1.22 / sqrt(p) = 17 packets per round trip, under half the link; all keep going.
    path.SetDropFilter([](uint64_t pn) { return (pn * 2654435761u) % 200 == 17; });
    uint64_t before = path.bytes_delivered();
    uint64_t lost_before = path.packets_lost();
    path.RunFor(absl::Seconds(2));
    CHECK((path.bytes_delivered() - before) / kMss > 600);
    CHECK(path.packets_lost() > lost_before);
    CHECK(min_cwnd >= 2 * kMss);
    // Window bounded by a few times BDP + buffer (100 packets).
    CHECK(max_cwnd < 400 * kMss);
    // Persistent congestion, then the flow comes back.
    cc->OnPersistentCongestion(path.now());
    CHECK(cc->CongestionWindow() <= 4 * kMss);
    path.SetDropFilter(nullptr);
    before = path.bytes_delivered();
    path.RunFor(absl::Seconds(2));
    CHECK((path.bytes_delivered() - before) / kMss > 1200);
    cc->OnPacketsDiscarded(3 * kMss);
    cc->OnSpuriousLoss(123456, path.now(), path.now());
    CHECK(cc->CongestionWindow() >= 2 * kMss);
  }
}

}  // namespace
}  // namespace kite::congestion
