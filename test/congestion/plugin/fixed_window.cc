// Registers FixedWindow (fixed_window.h) as "example_fixed_window", 40 datagrams. This package
// lives outside kite's controller list: it is linked into kite's tools only through
// --//congestion:extra_controllers (see congestion/BUILD.bazel), never by editing them, and is
// the worked example for adding a controller. Without a pacing rate of its own, the connection
// paces at 1.25 * cwnd / smoothed RTT (RFC 9002 §7.7).
#include "test/congestion/plugin/fixed_window.h"

#include <memory>

#include "congestion/registry.h"

namespace kite::congestion::example {
namespace {

constexpr size_t kWindowPackets = 40;

const ControllerRegistrar kRegistrar("example_fixed_window", [](const ControllerParams& p) {
  return std::make_unique<FixedWindow>(kWindowPackets * p.max_datagram_size);
});

}  // namespace
}  // namespace kite::congestion::example
