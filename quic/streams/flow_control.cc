#include "quic/streams/flow_control.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "quic/codec/transport_error.h"
#include "quic/codec/varint.h"

namespace kite::quic {

FlowController::FlowController(uint64_t initial_send_limit, uint64_t initial_receive_window,
                               uint64_t max_receive_window)
    : send_limit_(initial_send_limit),
      receive_window_(std::min(initial_receive_window, kMaxVarInt)),
      max_receive_window_(std::min(std::max(max_receive_window, initial_receive_window),
                                   kMaxVarInt)),
      receive_limit_(receive_window_) {}

bool FlowController::SetSendLimit(uint64_t limit) {
  if (limit <= send_limit_) return false;
  send_limit_ = limit;
  return true;
}

void FlowController::OnBytesSent(uint64_t n) {
  bytes_sent_ += std::min(n, SendWindow());
}

bool FlowController::ShouldSendBlocked() {
  if (SendWindow() != 0) return false;
  if (blocked_reported_at_ == send_limit_) return false;
  blocked_reported_at_ = send_limit_;
  return true;
}

absl::Status FlowController::OnHighestOffsetReceived(uint64_t offset) {
  if (offset <= highest_received_) return absl::OkStatus();
  if (offset > receive_limit_) {
    return TransportErrorStatus(TransportErrorCode::kFlowControlError,
                                absl::StrCat("received up to ", offset, " beyond limit ",
                                             receive_limit_));
  }
  highest_received_ = offset;
  return absl::OkStatus();
}

void FlowController::OnBytesConsumed(uint64_t n) {
  // Consumption cannot pass what was received.
  bytes_consumed_ += std::min(n, highest_received_ - bytes_consumed_);
}

void FlowController::OnBytesConsumed(uint64_t n, absl::Time now, absl::Duration srtt) {
  OnBytesConsumed(n);
  last_consumed_time_ = now;
  srtt_ = srtt;
}

std::optional<uint64_t> FlowController::MaybeNewLimit() {
  const uint64_t unused = receive_limit_ - bytes_consumed_;
  // Update once at least half the window has been consumed since the last limit.
  if (unused > receive_window_ / 2) return std::nullopt;
  // Updates needed within two round trips mean the window limits throughput: grow it.
  if (last_update_time_ != absl::InfinitePast() && srtt_ > absl::ZeroDuration() &&
      last_consumed_time_ - last_update_time_ < 2 * srtt_) {
    receive_window_ = std::min(receive_window_ * 2, max_receive_window_);
  }
  last_update_time_ = last_consumed_time_;
  const uint64_t new_limit = std::min(bytes_consumed_ + receive_window_, kMaxVarInt);
  if (new_limit <= receive_limit_) return std::nullopt;
  receive_limit_ = new_limit;
  return new_limit;
}

}  // namespace kite::quic
