// A windowed max (or min) filter over an integral virtual time (round trips or ProbeBW cycles),
// as BBR uses for BBR.max_bw and BBR.extra_acked (draft-ietf-ccwg-bbr §5.5.2 "BBR.max_bw Max
// Filter", §5.5.7 "BBR.extra_acked"; BBRv1 keeps max_bw over 10 round trips the same way).
//
// The draft points at Nichols' three-sample approximation; this filter is exact instead: it keeps
// a monotonic queue of (time, value) candidates, at most one per time unit, so with a window of
// `window_length` units it holds at most `window_length` entries. A sample taken at time t counts
// while `now - t < window_length`: a window of 2 ProbeBW cycles covers the current cycle and the
// previous one.
#ifndef KITE_CONGESTION_WINDOWED_FILTER_H_
#define KITE_CONGESTION_WINDOWED_FILTER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <utility>

namespace kite::congestion {

// `Better(a, b)` is true when a should be kept over b (std::greater for a max filter).
template <typename T, typename Better>
class WindowedFilter {
 public:
  // Hard bound on stored candidates; only reached by windows longer than this many time units,
  // where the oldest candidate is then dropped early.
  static constexpr size_t kMaxEntries = 64;

  WindowedFilter(uint64_t window_length, T zero_value)
      : window_length_(window_length == 0 ? 1 : window_length), zero_(zero_value) {}

  // Records `value` measured at virtual time `time` (non-decreasing across calls) and returns the
  // best value in the window ending at `time`.
  T Update(T value, uint64_t time) {
    ExpireBefore(time);
    Better better;
    // A candidate that is not better than the newer sample can never be the answer again.
    while (!entries_.empty() && !better(entries_.back().second, value)) entries_.pop_back();
    if (entries_.empty() || entries_.back().first != time) {
      if (entries_.size() == kMaxEntries) entries_.pop_front();
      entries_.emplace_back(time, value);
    }
    return entries_.front().second;
  }

  // The best value in the window ending at `now`, or the zero value when the window is empty.
  T Best(uint64_t now) const {
    for (const auto& e : entries_) {
      if (!Expired(e.first, now)) return e.second;
    }
    return zero_;
  }

  // The best value ignoring expiry (the filter's value as of its latest update).
  T Best() const { return entries_.empty() ? zero_ : entries_.front().second; }

  void SetWindowLength(uint64_t window_length) {
    window_length_ = window_length == 0 ? 1 : window_length;
  }
  uint64_t window_length() const { return window_length_; }

  void Reset() { entries_.clear(); }
  size_t size() const { return entries_.size(); }

 private:
  bool Expired(uint64_t sample_time, uint64_t now) const {
    return now >= sample_time && now - sample_time >= window_length_;
  }
  void ExpireBefore(uint64_t now) {
    while (!entries_.empty() && Expired(entries_.front().first, now)) entries_.pop_front();
  }

  uint64_t window_length_;
  T zero_;
  std::deque<std::pair<uint64_t, T>> entries_;
};

template <typename T>
using WindowedMaxFilter = WindowedFilter<T, std::greater<T>>;
template <typename T>
using WindowedMinFilter = WindowedFilter<T, std::less<T>>;

}  // namespace kite::congestion

#endif  // KITE_CONGESTION_WINDOWED_FILTER_H_
