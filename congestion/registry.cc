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
  // alias -> target name; resolved at lookup, so an alias may precede its target.
  std::map<std::string, std::string, std::less<>> aliases;
};

// Constructed on first use: registrars in other translation units run during static
// initialization, in an unspecified order relative to this file.
Registry& GetRegistry() {
  static Registry* registry = new Registry();
  return *registry;
}

// The factory `name` resolves to (an alias names a controller, never another alias: one level),
// or null. `r.mu` must be held.
const ControllerFactory* FindFactory(const Registry& r, std::string_view name) {
  if (auto a = r.aliases.find(name); a != r.aliases.end()) name = a->second;
  auto it = r.factories.find(name);
  return it == r.factories.end() ? nullptr : &it->second;
}

}  // namespace

bool RegisterController(std::string name, ControllerFactory factory) {
  if (name.empty() || !factory) return false;
  Registry& r = GetRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  if (r.aliases.count(name) > 0) return false;
  return r.factories.emplace(std::move(name), std::move(factory)).second;
}

bool RegisterControllerAlias(std::string alias, std::string target) {
  if (alias.empty() || target.empty() || alias == target) return false;
  Registry& r = GetRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  if (r.factories.count(alias) > 0) return false;
  return r.aliases.emplace(std::move(alias), std::move(target)).second;
}

std::unique_ptr<CongestionController> CreateController(std::string_view name,
                                                       const ControllerParams& params) {
  ControllerFactory factory;
  {
    Registry& r = GetRegistry();
    std::lock_guard<std::mutex> lock(r.mu);
    const ControllerFactory* found = FindFactory(r, name);
    if (found == nullptr) return nullptr;
    factory = *found;
  }
  return factory(params);
}

bool IsRegisteredController(std::string_view name) {
  Registry& r = GetRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  return FindFactory(r, name) != nullptr;
}

std::vector<std::string> RegisteredControllers() {
  Registry& r = GetRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::vector<std::string> names;
  names.reserve(r.factories.size());
  for (const auto& entry : r.factories) names.push_back(entry.first);
  return names;
}

std::vector<std::pair<std::string, std::string>> ControllerAliases() {
  Registry& r = GetRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  return {r.aliases.begin(), r.aliases.end()};
}

}  // namespace kite::congestion
