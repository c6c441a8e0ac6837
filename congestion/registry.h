// Congestion controllers by name. Each controller package registers itself from a static
// registrar in its own .cc (its cc_library has alwayslink = True), so adding a controller means
// adding a package and, for kite's tools, naming it with --//congestion:extra_controllers
// (congestion/BUILD.bazel), with no edit anywhere in kite.
#ifndef KITE_CONGESTION_REGISTRY_H_
#define KITE_CONGESTION_REGISTRY_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "congestion/congestion_controller.h"

namespace kite::congestion {

// The controller a connection uses when its configuration names none. Registered by
// //congestion/newreno, which a binary must link for the name to resolve.
inline constexpr std::string_view kDefaultControllerName = "newreno";

using ControllerFactory =
    std::function<std::unique_ptr<CongestionController>(const ControllerParams&)>;

// Returns false (and keeps the existing entry) if `name` is taken or `factory` is empty.
bool RegisterController(std::string name, ControllerFactory factory);

// A second name for a registered (or later registered) controller, e.g. "bbr3" for "bbr".
// Returns false if `alias` is already a name or an alias, or either string is empty.
bool RegisterControllerAlias(std::string alias, std::string target);

// nullptr for an unknown name. Aliases resolve to their target.
std::unique_ptr<CongestionController> CreateController(std::string_view name,
                                                       const ControllerParams& params);

// True for a registered name or alias.
bool IsRegisteredController(std::string_view name);

// Sorted names of the distinct controllers (aliases left out, so a matrix over them runs each
// controller once).
std::vector<std::string> RegisteredControllers();

// Sorted (alias, target) pairs.
std::vector<std::pair<std::string, std::string>> ControllerAliases();

// For use at namespace scope in a controller's .cc:
//   const ControllerRegistrar kRegistrar("newreno", [](const ControllerParams& p) {...});
class ControllerRegistrar {
 public:
  ControllerRegistrar(std::string name, ControllerFactory factory) {
    RegisterController(std::move(name), std::move(factory));
  }
  // Registers `alias` for `name` as well.
  ControllerRegistrar(std::string name, std::string alias, ControllerFactory factory) {
    RegisterController(name, std::move(factory));
    RegisterControllerAlias(std::move(alias), std::move(name));
  }
};

}  // namespace kite::congestion

#endif  // KITE_CONGESTION_REGISTRY_H_
