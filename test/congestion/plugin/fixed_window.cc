// A controller that lives outside kite's controller list: a fixed congestion window that ignores
// loss, registered as "example_fixed_window". It is the smallest complete controller and the
// worked example for adding one: this package is linked into kite's tools only through
// --//congestion:extra_controllers (see congestion/BUILD.bazel), never by editing them.
// It is not congestion control (it never backs off): a fixture and a template, not a baseline.
// Without a pacing rate of its own, the connection paces at 1.25 * cwnd / smoothed RTT
// (RFC 9002 §7.7).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/time/time.h"
#include "congestion/congestion_controller.h"
#include "congestion/registry.h"

namespace kite::congestion::example {
namespace {

constexpr size_t kWindowPackets = 40;

class FixedWindow : public CongestionController {
 public:
  explicit FixedWindow(const ControllerParams& p) : window_(kWindowPackets * p.max_datagram_size) {}

  void OnPacketSent(absl::Time, uint64_t, size_t, size_t, bool) override {}
  void OnCongestionEvent(const AckEvent&) override {}
  void OnPersistentCongestion(absl::Time) override {}
  size_t CongestionWindow() const override { return window_; }
  std::string_view StateName() const override { return "fixed"; }

 private:
  size_t window_;
};

const ControllerRegistrar kRegistrar("example_fixed_window", [](const ControllerParams& p) {
  return std::make_unique<FixedWindow>(p);
});

}  // namespace
}  // namespace kite::congestion::example
