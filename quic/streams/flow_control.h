// Credit-based flow control (RFC 9000 §4), one class for a stream (MAX_STREAM_DATA,
// STREAM_DATA_BLOCKED) and for the connection (MAX_DATA, DATA_BLOCKED). It reports which
// frames are due; the owner builds and sends them.
#ifndef KITE_QUIC_STREAMS_FLOW_CONTROL_H_
#define KITE_QUIC_STREAMS_FLOW_CONTROL_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace kite::quic {

class FlowController {
 public:
  // `initial_send_limit`: the peer's initial credit for us (0 until its transport parameters
  // arrive). `initial_receive_window`: the credit we advertised. `max_receive_window`: how far
  // auto-tuning may grow the window (at least the initial window).
  FlowController(uint64_t initial_send_limit, uint64_t initial_receive_window,
                 uint64_t max_receive_window);

  // --- Send side ---
  // MAX_DATA / MAX_STREAM_DATA: limits only ever rise (§4.1: smaller values are ignored).
  // Returns true if the limit rose.
  bool SetSendLimit(uint64_t limit);
  uint64_t send_limit() const { return send_limit_; }
  uint64_t bytes_sent() const { return bytes_sent_; }
  uint64_t SendWindow() const { return send_limit_ - bytes_sent_; }
  // Charges `n` bytes of new data; never beyond the limit (excess is clamped).
  void OnBytesSent(uint64_t n);
  // True once per limit when the window is exhausted: time to send DATA_BLOCKED or
  // STREAM_DATA_BLOCKED carrying send_limit() (§4.1).
  bool ShouldSendBlocked();

  // --- Receive side ---
  // The peer's highest offset (stream) or sum of highest offsets (connection) grew to
  // `offset`. Beyond the advertised limit: FLOW_CONTROL_ERROR (§4.1).
  absl::Status OnHighestOffsetReceived(uint64_t offset);
  // The application consumed `n` bytes (for the connection: over all streams). `now` and
  // `srtt` drive window auto-tuning; a zero srtt disables it.
  void OnBytesConsumed(uint64_t n, absl::Time now, absl::Duration srtt);
  // Consumption with no timing information (data discarded after a reset or STOP_SENDING);
  // leaves auto-tuning state alone.
  void OnBytesConsumed(uint64_t n);
  // A new, larger limit to advertise once the unused credit falls below half the window;
  // commits it as the advertised limit. Auto-tuning: if the previous update was less than
  // two round trips ago, the window doubles first, up to max_receive_window (§4.2 leaves the
  // strategy to the receiver; this is QUICHE's and quinn's).
  std::optional<uint64_t> MaybeNewLimit();

  uint64_t receive_limit() const { return receive_limit_; }
  uint64_t receive_window() const { return receive_window_; }
  uint64_t max_receive_window() const { return max_receive_window_; }
  uint64_t highest_received() const { return highest_received_; }
  uint64_t bytes_consumed() const { return bytes_consumed_; }

 private:
  // Send.
  uint64_t send_limit_;
  uint64_t bytes_sent_ = 0;
  std::optional<uint64_t> blocked_reported_at_;
  // Receive.
  uint64_t receive_window_;
  uint64_t max_receive_window_;
  uint64_t receive_limit_;
  uint64_t highest_received_ = 0;
  uint64_t bytes_consumed_ = 0;
  absl::Time last_consumed_time_ = absl::InfinitePast();
  absl::Duration srtt_ = absl::ZeroDuration();
  absl::Time last_update_time_ = absl::InfinitePast();
};

}  // namespace kite::quic

#endif  // KITE_QUIC_STREAMS_FLOW_CONTROL_H_
