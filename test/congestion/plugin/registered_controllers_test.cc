// Which controllers a binary that links //congestion:all_controllers can create: the four of
// this repository always, and example_fixed_window exactly when the build names this package
// with --//congestion:extra_controllers. [with_extra] runs in a configuration that sets the flag
// (extra_controllers.bzl), [without_extra] in the default one.
#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "congestion/congestion_controller.h"
#include "congestion/registry.h"

namespace kite::congestion {
namespace {

bool Listed(const std::string& name) {
  std::vector<std::string> names = RegisteredControllers();
  return std::find(names.begin(), names.end(), name) != names.end();
}

void CheckBuiltIns() {
  for (const char* name : {"newreno", "cubic", "bbr", "bbr1"}) {
    INFO(name);
    CHECK(Listed(name));
    CHECK(CreateController(name, ControllerParams{}) != nullptr);
  }
}

TEST_CASE("the extra controller package is linked and usable by name", "[with_extra]") {
  CheckBuiltIns();
  REQUIRE(Listed("example_fixed_window"));
  ControllerParams p;
  p.max_datagram_size = 1350;
  std::unique_ptr<CongestionController> cc = CreateController("example_fixed_window", p);
  REQUIRE(cc != nullptr);
  CHECK(cc->CongestionWindow() == 40 * 1350);
  CHECK(cc->StateName() == "fixed");
}

TEST_CASE("without the flag only the built-in controllers are linked", "[without_extra]") {
  CheckBuiltIns();
  CHECK_FALSE(Listed("example_fixed_window"));
  CHECK(CreateController("example_fixed_window", ControllerParams{}) == nullptr);
}

}  // namespace
}  // namespace kite::congestion
