#include "congestion/registry.h"

#include <algorithm>
#include <memory>

#include <catch2/catch.hpp>

#include "test/congestion/plugin/fixed_window.h"

namespace kite::congestion {
namespace {

using example::FixedWindow;

TEST_CASE("registry creates the default controller by name", "[congestion][registry]") {
  ControllerParams params;
  params.max_datagram_size = 1350;
  std::unique_ptr<CongestionController> cc = CreateController(kDefaultControllerName, params);
  REQUIRE(cc != nullptr);
  CHECK(cc->CongestionWindow() == 10 * 1350);
  CHECK(cc->StateName() == "slow_start");
  std::vector<std::string> names = RegisteredControllers();
  CHECK(std::find(names.begin(), names.end(), "newreno") != names.end());
  CHECK(std::is_sorted(names.begin(), names.end()));
}

TEST_CASE("registry returns null for an unknown name", "[congestion][registry]") {
  CHECK(CreateController("no-such-controller", ControllerParams()) == nullptr);
  CHECK(CreateController("", ControllerParams()) == nullptr);
}

TEST_CASE("registry accepts new controllers and refuses duplicates", "[congestion][registry]") {
  auto factory = [](const ControllerParams& p) {
    return std::make_unique<FixedWindow>(4 * p.max_datagram_size);
  };
  CHECK(RegisterController("test-fixed", factory));
  CHECK_FALSE(RegisterController("test-fixed", factory));
  CHECK_FALSE(RegisterController("newreno", factory));
  CHECK_FALSE(RegisterController("test-empty", ControllerFactory()));
  auto cc = CreateController("test-fixed", ControllerParams());
  REQUIRE(cc != nullptr);
  CHECK(cc->CongestionWindow() == 4800);
  CHECK(cc->StateName() == "fixed");
  // The duplicate registration did not replace NewReno.
  auto reno = CreateController("newreno", ControllerParams());
  REQUIRE(reno != nullptr);
  CHECK(reno->StateName() == "slow_start");
}

TEST_CASE("registry aliases resolve to their target and are listed apart", "[congestion][registry]") {
  auto factory = [](const ControllerParams& p) {
    return std::make_unique<FixedWindow>(3 * p.max_datagram_size);
  };
  // An alias may be registered before its target.
  CHECK(RegisterControllerAlias("test-alias", "test-target"));
  CHECK(CreateController("test-alias", ControllerParams()) == nullptr);
  CHECK(RegisterController("test-target", factory));
  auto cc = CreateController("test-alias", ControllerParams());
  REQUIRE(cc != nullptr);
  CHECK(cc->CongestionWindow() == 3600);
  CHECK(IsRegisteredController("test-alias"));
  CHECK(IsRegisteredController("test-target"));
  CHECK_FALSE(IsRegisteredController("test-nothing"));
  // Names and aliases share one namespace.
  CHECK_FALSE(RegisterControllerAlias("test-alias", "newreno"));
  CHECK_FALSE(RegisterControllerAlias("newreno", "test-target"));
  CHECK_FALSE(RegisterController("test-alias", factory));
  CHECK_FALSE(RegisterControllerAlias("", "newreno"));
  CHECK_FALSE(RegisterControllerAlias("self", "self"));
  std::vector<std::string> names = RegisteredControllers();
  CHECK(std::find(names.begin(), names.end(), "test-target") != names.end());
  CHECK(std::find(names.begin(), names.end(), "test-alias") == names.end());
  auto aliases = ControllerAliases();
  CHECK(std::find(aliases.begin(), aliases.end(),
                  std::pair<std::string, std::string>("test-alias", "test-target")) !=
        aliases.end());
}

}  // namespace
}  // namespace kite::congestion
