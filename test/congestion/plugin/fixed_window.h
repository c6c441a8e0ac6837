// A fixed congestion window that ignores loss. It is not congestion control (it never backs
// off): a fixture for registry tests and the template for a controller of one's own.
#ifndef KITE_TEST_CONGESTION_PLUGIN_FIXED_WINDOW_H_
#define KITE_TEST_CONGESTION_PLUGIN_FIXED_WINDOW_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/time/time.h"
#include "congestion/congestion_controller.h"

namespace kite::congestion::example {

class FixedWindow : public CongestionController {
 public:
  explicit FixedWindow(size_t window_bytes) : window_(window_bytes) {}

  void OnPacketSent(absl::Time, uint64_t, size_t, size_t, bool) override {}
  void OnCongestionEvent(const AckEvent&) override {}
  void OnPersistentCongestion(absl::Time) override {}
  size_t CongestionWindow() const override { return window_; }
  std::string_view StateName() const override { return "fixed"; }

 private:
  size_t window_;
};

}  // namespace kite::congestion::example

#endif  // KITE_TEST_CONGESTION_PLUGIN_FIXED_WINDOW_H_
