// A deterministic single-flow path for controller tests: a sender that fills the congestion
// window (optionally paced, optionally application-limited), a bottleneck of fixed rate with a
// drop-tail buffer, a fixed propagation delay and one ACK per `packets_per_ack` packets. It drives
// a controller exactly the way quic/recovery/loss_detection.cc does: the shared
// DeliveryRateSampler fills the RateSample, lost packets are reported with the ACK that reveals
// them (packet threshold 3), RTT state follows RFC 9002 §5. No real network, no clock.
#ifndef KITE_TEST_CONGESTION_FAKE_PATH_H_
#define KITE_TEST_CONGESTION_FAKE_PATH_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "congestion/congestion_controller.h"
#include "congestion/delivery_rate_sampler.h"

namespace kite::congestion::testing {

struct FakePathConfig {
  size_t mss = 1200;
  absl::Duration propagation_rtt = absl::Milliseconds(100);
  // Bottleneck rate; 0 means unlimited (no queue ever forms).
  uint64_t bottleneck_bytes_per_second = 0;
  // Drop-tail buffer at the bottleneck, in bytes; 0 means unlimited.
  size_t buffer_bytes = 0;
  size_t packets_per_ack = 2;
  // Honour the controller's PacingRateBytesPerSecond() when it returns a rate.
  bool pace = true;
  absl::Time start = absl::FromUnixSeconds(1000000);
};

class FakePath {
 public:
  FakePath(CongestionController& cc, FakePathConfig config)
      : cc_(cc), config_(config), now_(config.start), next_send_(config.start) {}

  // The application has at most this many packets outstanding (nullopt: unlimited data). When the
  // window would allow more, the sender reports itself application-limited (RFC 9002 §7.8).
  void SetAppLimit(std::optional<size_t> max_packets_in_flight) {
    app_limit_ = max_packets_in_flight;
  }
  // The application has nothing to send at all until resumed.
  void SetPaused(bool paused) { paused_ = paused; }
  // Packets for which this returns true are dropped by the network.
  void SetDropFilter(std::function<bool(uint64_t packet_number)> drop) { drop_ = std::move(drop); }
  void SetBottleneck(uint64_t bytes_per_second) {
    config_.bottleneck_bytes_per_second = bytes_per_second;
  }
  // Applies to packets sent from now on (acknowledgments still arrive in send order).
  void SetPropagationRtt(absl::Duration rtt) { config_.propagation_rtt = rtt; }
  // Called after every congestion event delivered to the controller.
  void SetObserver(std::function<void(const AckEvent&)> observer) {
    observer_ = std::move(observer);
  }

  // Runs the sender, the network and the ACK stream until `until`.
  void RunUntil(absl::Time until) {
    while (true) {
      TrySend();
      absl::Time next = absl::InfiniteFuture();
      if (!arrivals_.empty()) next = arrivals_.front().ack_time;
      if (CanSendMore() && next_send_ > now_) next = std::min(next, next_send_);
      if (next > until) break;
      now_ = std::max(now_, next);
      DeliverAcksDue();
    }
    now_ = until;
  }
  void RunFor(absl::Duration d) { RunUntil(now_ + d); }

  // Runs until `pred()` holds (checked after every event) or `limit` passes; returns pred().
  bool RunUntilTrue(const std::function<bool()>& pred, absl::Duration limit) {
    absl::Time end = now_ + limit;
    // RunUntil leaves no event at or before now_, so every step advances time.
    while (!pred() && now_ < end) RunUntil(std::min(end, NextEventTime()));
    return pred();
  }

  absl::Time now() const { return now_; }
  size_t bytes_in_flight() const { return in_flight_; }
  uint64_t packets_sent() const { return next_pn_; }
  uint64_t packets_lost() const { return lost_count_; }
  uint64_t bytes_delivered() const { return sampler_.delivered(); }
  absl::Duration smoothed_rtt() const { return rtt_.smoothed_rtt; }
  absl::Duration min_rtt() const { return rtt_.min_rtt; }
  absl::Duration latest_rtt() const { return rtt_.latest_rtt; }
  const FakePathConfig& config() const { return config_; }

 private:
  struct Packet {
    uint64_t pn = 0;
    absl::Time sent;
    absl::Time ack_time;  // when its acknowledgment reaches the sender
    bool dropped = false;
    DeliverySnapshot snapshot;
  };

  absl::Time NextEventTime() const {
    absl::Time next = absl::InfiniteFuture();
    if (!arrivals_.empty()) next = arrivals_.front().ack_time;
    if (CanSendMore()) next = std::min(next, std::max(next_send_, now_ + absl::Nanoseconds(1)));
    return next;
  }

  bool CanSendMore() const {
    if (paused_) return false;
    if (app_limit_.has_value() && in_flight_ + config_.mss > *app_limit_ * config_.mss)
      return false;
    return in_flight_ + config_.mss <= cc_.CongestionWindow();
  }

  void TrySend() {
    while (true) {
      bool window_open = in_flight_ + config_.mss <= cc_.CongestionWindow();
      bool app_blocked = paused_ || (app_limit_.has_value() &&
                                     in_flight_ + config_.mss > *app_limit_ * config_.mss);
      if (window_open && app_blocked) {
        // RFC 9002 §7.8 / BBR draft "MarkConnectionAppLimited", once per blocked spell.
        if (!reported_app_limited_) {
          sampler_.OnAppLimited(in_flight_);
          cc_.OnAppLimited(in_flight_);
          reported_app_limited_ = true;
        }
        return;
      }
      if (!window_open) return;
      if (config_.pace && next_send_ > now_) return;
      reported_app_limited_ = false;
      SendOne();
    }
  }

  void SendOne() {
    Packet p;
    p.pn = next_pn_++;
    p.sent = now_;
    p.snapshot = sampler_.OnPacketSent(now_, in_flight_, config_.mss);
    cc_.OnPacketSent(now_, p.pn, config_.mss, in_flight_, true);
    in_flight_ += config_.mss;
    // The bottleneck serialises packets; the buffer holds what waits behind the one in service.
    absl::Time depart = now_;
    if (config_.bottleneck_bytes_per_second > 0) {
      absl::Duration service = absl::Nanoseconds(
          static_cast<int64_t>(config_.mss * 1000000000ull / config_.bottleneck_bytes_per_second));
      absl::Time start = std::max(now_, link_free_);
      size_t queued_bytes = 0;
      if (link_free_ > now_) {
        queued_bytes =
            static_cast<size_t>(absl::ToDoubleSeconds(link_free_ - now_) *
                                static_cast<double>(config_.bottleneck_bytes_per_second));
      }
      bool overflow = config_.buffer_bytes > 0 && queued_bytes > config_.buffer_bytes;
      if (!overflow) {
        link_free_ = start + service;
        depart = link_free_;
      } else {
        p.dropped = true;
      }
    }
    if (drop_ && drop_(p.pn)) p.dropped = true;
    p.ack_time = depart + config_.propagation_rtt;
    // FIFO path: never overtake an earlier packet (matters only after the delay shrank).
    if (!arrivals_.empty()) p.ack_time = std::max(p.ack_time, arrivals_.back().ack_time);
    outstanding_.push_back(p);
    if (!p.dropped) {
      // Acknowledgments arrive in send order on this path (a FIFO bottleneck, fixed delay).
      arrivals_.push_back(p);
    }
    std::optional<uint64_t> rate = cc_.PacingRateBytesPerSecond();
    if (config_.pace && rate.has_value() && *rate > 0) {
      next_send_ = std::max(next_send_, now_) +
                   absl::Nanoseconds(static_cast<int64_t>(config_.mss * 1000000000ull / *rate));
    } else {
      next_send_ = now_;
    }
  }

  // Processes one ACK frame; the sender gets to send in between frames, as a real one would.
  void DeliverAcksDue() {
    if (arrivals_.empty() || arrivals_.front().ack_time > now_) return;
    // One ACK frame covers up to packets_per_ack packets that have arrived by now.
    std::vector<Packet> acked;
    while (!arrivals_.empty() && arrivals_.front().ack_time <= now_ &&
           acked.size() < std::max<size_t>(config_.packets_per_ack, 1)) {
      acked.push_back(arrivals_.front());
      arrivals_.pop_front();
    }
    ProcessAck(acked);
  }

  void ProcessAck(const std::vector<Packet>& acked) {
    AckEvent ev;
    ev.now = now_;
    ev.prior_bytes_in_flight = in_flight_;
    const Packet& newest = acked.back();
    largest_acked_ = std::max(largest_acked_.value_or(0), newest.pn);
    // RFC 9002 §5.1/§5.3, with no ACK delay.
    absl::Duration sample = now_ - newest.sent;
    rtt_.latest_rtt = sample;
    if (!rtt_.has_sample) {
      rtt_.has_sample = true;
      rtt_.min_rtt = sample;
      rtt_.smoothed_rtt = sample;
      rtt_.rttvar = sample / 2;
    } else {
      rtt_.min_rtt = std::min(rtt_.min_rtt, sample);
      absl::Duration dev =
          rtt_.smoothed_rtt > sample ? rtt_.smoothed_rtt - sample : sample - rtt_.smoothed_rtt;
      rtt_.rttvar = (rtt_.rttvar * 3 + dev) / 4;
      rtt_.smoothed_rtt = (rtt_.smoothed_rtt * 7 + sample) / 8;
    }
    size_t next_acked = 0;  // `acked` is in packet number order, like outstanding_
    for (auto it = outstanding_.begin(); it != outstanding_.end();) {
      // Arrivals keep send order, so nothing newer than this ACK's newest packet is affected.
      if (it->pn > newest.pn) break;
      if (next_acked < acked.size() && acked[next_acked].pn == it->pn) {
        ++next_acked;
        ev.acked.push_back({it->pn, config_.mss, it->sent});
        ev.largest_acked_sent_time = std::max(ev.largest_acked_sent_time, it->sent);
        sampler_.OnPacketAcked(now_, it->pn, it->sent, config_.mss, it->snapshot);
        in_flight_ -= config_.mss;
        it = outstanding_.erase(it);
        continue;
      }
      // RFC 9002 §6.1.1 packet threshold 3.
      if (it->dropped && *largest_acked_ >= it->pn + 3) {
        ev.lost.push_back({it->pn, config_.mss, it->sent});
        sampler_.OnPacketLost(config_.mss);
        in_flight_ -= config_.mss;
        ++lost_count_;
        it = outstanding_.erase(it);
        continue;
      }
      ++it;
    }
    ev.bytes_in_flight = in_flight_;
    ev.rtt = rtt_;
    ev.rate_sample = sampler_.GenerateSample(rtt_.min_rtt);
    cc_.OnCongestionEvent(ev);
    if (observer_) observer_(ev);
  }

  CongestionController& cc_;
  FakePathConfig config_;
  DeliveryRateSampler sampler_;
  absl::Time now_;
  absl::Time next_send_;
  absl::Time link_free_ = absl::InfinitePast();
  uint64_t next_pn_ = 0;
  size_t in_flight_ = 0;
  uint64_t lost_count_ = 0;
  std::optional<uint64_t> largest_acked_;
  RttState rtt_;
  std::deque<Packet> outstanding_;  // in flight, ascending packet number
  std::deque<Packet> arrivals_;     // delivered packets whose ACK is on its way
  std::optional<size_t> app_limit_;
  bool paused_ = false;
  bool reported_app_limited_ = false;
  std::function<bool(uint64_t)> drop_;
  std::function<void(const AckEvent&)> observer_;
};

}  // namespace kite::congestion::testing

#endif  // KITE_TEST_CONGESTION_FAKE_PATH_H_
