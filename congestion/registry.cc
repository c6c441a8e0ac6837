#include "congestion/registry.h"

#include <map>
#include <mutex>
#include <utility>

namespace kite::congestion {
namespace {

struct Registry {
  std::mutex mu;
  // std::less<> allows lookup by string_view without building a std::string.
  std::map<std::string, ControllerFactory, std::less<>> factories;
};

// Constructed on first use: registrars in other translation units run during static
// initialization, in an unspecified order relative to this file.
Registry& GetRegistry() {
  static Registry* registry = new Registry();
  return *registry;
}

}  // namespace

bool RegisterController(std::string name, ControllerFactory factory) {
  if (name.empty() || !factory) return false;
  Registry& r = GetRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  return r.factories.emplace(std::move(name), std::move(factory)).second;
}

std::unique_ptr<CongestionController> CreateController(std::string_view name,
                                                       const ControllerParams& params) {
  ControllerFactory factory;
  {
    Registry& r = GetRegistry();
    std::lock_guard<std::mutex> lock(r.mu);
    auto it = r.factories.find(name);
    if (it == r.factories.end()) return nullptr;
    factory = it->second;
  }
  return factory(params);
}

std::vector<std::string> RegisteredControllers() {
  Registry& r = GetRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::vector<std::string> names;
  names.reserve(r.factories.size());
  for (const auto& entry : r.factories) names.push_back(entry.first);
  return names;
}

}  // namespace kite::congestion
