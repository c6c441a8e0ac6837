// Shared pieces of the BBR tests: the path (1000 packets/s, 50 ms) and a state-change recorder.
#ifndef KITE_TEST_CONGESTION_BBR_BBR_TEST_UTIL_H_
#define KITE_TEST_CONGESTION_BBR_BBR_TEST_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "absl/time/time.h"
#include "congestion/bbr/bbr.h"
#include "test/congestion/fake_path.h"

namespace kite::congestion::bbr_test {

inline constexpr size_t kMss = 1200;
inline constexpr uint64_t kRate = 1000 * kMss;  // 1000 packets/s bottleneck
inline constexpr absl::Duration kRtt = absl::Milliseconds(50);

inline ControllerParams Params() {
  ControllerParams p;
  p.max_datagram_size = kMss;
  return p;
}

inline testing::FakePathConfig PathConfig(size_t buffer_packets = 100) {
  testing::FakePathConfig cfg;
  cfg.mss = kMss;
  cfg.propagation_rtt = kRtt;
  cfg.bottleneck_bytes_per_second = kRate;
  cfg.buffer_bytes = buffer_packets * kMss;
  return cfg;
}

inline bool InProbeBw(Bbr::State s) {
  return s == Bbr::State::kProbeBwDown || s == Bbr::State::kProbeBwCruise ||
         s == Bbr::State::kProbeBwRefill || s == Bbr::State::kProbeBwUp;
}

// One observed state change.
struct Transition {
  Bbr::State from;
  Bbr::State to;
  absl::Time at;
  uint64_t round;
  size_t bytes_in_flight;
};

// Records every state change seen after an ACK.
class Recorder {
 public:
  Recorder(Bbr& cc, testing::FakePath& path) : cc_(cc), last_(cc.state()) {
    path.SetObserver([this](const AckEvent& ev) { OnEvent(ev); });
  }
  void OnEvent(const AckEvent& ev) {
    if (cc_.state() != last_) {
      transitions.push_back({last_, cc_.state(), ev.now, cc_.round_count(), ev.bytes_in_flight});
      last_ = cc_.state();
    }
    if (hook) hook(ev);
  }
  std::vector<Transition> transitions;
  std::function<void(const AckEvent&)> hook;

 private:
  Bbr& cc_;
  Bbr::State last_;
};

// Deterministic random-looking loss of a fraction of packets.
inline std::function<bool(uint64_t)> LossEvery(uint64_t n, const uint64_t* armed_from) {
  return [n, armed_from](uint64_t pn) { return pn >= *armed_from && (pn * 2654435761u) % n == 0; };
}

}  // namespace kite::congestion::bbr_test

#endif  // KITE_TEST_CONGESTION_BBR_BBR_TEST_UTIL_H_
