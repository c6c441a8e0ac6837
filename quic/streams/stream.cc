#include "quic/streams/stream.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "quic/codec/transport_error.h"
#include "quic/codec/varint.h"
#include "quic/streams/stream_id.h"

namespace kite::quic {
namespace {

absl::Status StreamStateError(const char* what, uint64_t id) {
  return TransportErrorStatus(TransportErrorCode::kStreamStateError,
                              absl::StrCat(what, " on stream ", id));
}

}  // namespace

Stream::Stream(uint64_t id, Perspective local, const StreamConfig& config,
               ConnectionFlow* connection)
    : id_(id),
      has_send_(HasSendSide(id, local)),
      has_recv_(HasReceiveSide(id, local)),
      connection_(connection),
      flow_(has_send_ ? config.send_limit : 0, has_recv_ ? config.receive_window : 0,
            has_recv_ ? config.max_receive_window : 0),
      recv_(std::max(config.receive_window, config.max_receive_window),
            config.max_recv_fragments) {}

Stream::~Stream() {
  if (connection_ != nullptr) connection_->streams_with_control_frames.erase(id_);
}

void Stream::SetPending(StreamControlFrame f) {
  pending_ |= Bit(f);
  if (connection_ != nullptr) connection_->streams_with_control_frames.insert(id_);
}

void Stream::ClearPending(StreamControlFrame f) {
  pending_ &= static_cast<uint8_t>(~Bit(f));
  if (pending_ == 0 && connection_ != nullptr) {
    connection_->streams_with_control_frames.erase(id_);
  }
}

// --- Sending ---

absl::Status Stream::Write(absl::Span<const uint8_t> data, bool fin) {
  if (!has_send_) return absl::FailedPreconditionError("write on a receive-only stream");
  if (!(send_state_ == SendState::kReady || send_state_ == SendState::kSend) ||
      send_.finished()) {
    return absl::FailedPreconditionError("write after FIN or reset");
  }
  if (data.size() > kMaxVarInt - send_.end_offset()) {
    return absl::OutOfRangeError("stream length beyond 2^62-1");
  }
  send_.Append(data);
  if (fin) send_.Finish();
  MaybeMarkBlocked();
  return absl::OkStatus();
}

absl::Status Stream::Reset(uint64_t application_error_code) {
  if (!has_send_) return absl::FailedPreconditionError("reset of a receive-only stream");
  if (!SendActive()) return absl::OkStatus();
  // §19.4: the final size is the flow control credit consumed, i.e. the bytes ever sent.
  local_reset_ = ResetStreamInfo{application_error_code, send_.highest_sent()};
  send_state_ = SendState::kResetSent;
  send_.Discard();
  ClearPending(StreamControlFrame::kStreamDataBlocked);
  SetPending(StreamControlFrame::kResetStream);
  return absl::OkStatus();
}

uint64_t Stream::NewDataCredit() const {
  uint64_t credit = flow_.SendWindow();
  if (connection_ != nullptr) credit = std::min(credit, connection_->controller.SendWindow());
  return credit;
}

bool Stream::HasDataToSend() const {
  if (!SendActive()) return false;
  if (send_.HasRetransmission()) return true;
  const uint64_t unsent = send_.end_offset() - send_.highest_sent();
  if (unsent > 0) return NewDataCredit() > 0;
  return send_.finished() && !send_.fin_sent();
}

std::optional<SendChunk> Stream::NextChunk(size_t max_len) {
  if (!SendActive()) return std::nullopt;
  const uint64_t limit = send_.highest_sent() + NewDataCredit();
  std::optional<SendChunk> chunk = send_.NextChunk(max_len, limit);
  if (!chunk.has_value()) {
    MaybeMarkBlocked();
    return chunk;
  }
  if (!chunk->retransmission) {
    flow_.OnBytesSent(chunk->length);
    if (connection_ != nullptr) connection_->controller.OnBytesSent(chunk->length);
  }
  if (send_state_ == SendState::kReady) send_state_ = SendState::kSend;
  if (chunk->fin) send_state_ = SendState::kDataSent;
  MaybeMarkBlocked();
  return chunk;
}

void Stream::MaybeMarkBlocked() {
  if (!(send_state_ == SendState::kReady || send_state_ == SendState::kSend)) return;
  if (send_.end_offset() == send_.highest_sent()) return;  // nothing new waits for credit
  // §4.1: a sender SHOULD send (STREAM_)DATA_BLOCKED when it has data but no credit.
  if (flow_.SendWindow() == 0 && flow_.ShouldSendBlocked()) {
    SetPending(StreamControlFrame::kStreamDataBlocked);
  }
  if (connection_ != nullptr && connection_->controller.SendWindow() == 0 &&
      connection_->controller.ShouldSendBlocked()) {
    connection_->data_blocked_pending = true;
  }
}

void Stream::OnChunkAcked(uint64_t offset, size_t len, bool fin) {
  if (!SendActive()) return;
  send_.OnAcked(offset, len, fin);
  if (send_state_ == SendState::kDataSent && send_.AllDataAcked()) {
    send_state_ = SendState::kDataRecvd;
  }
}

void Stream::OnChunkLost(uint64_t offset, size_t len, bool fin) {
  // §13.3: data of a reset stream is not retransmitted.
  if (!SendActive()) return;
  send_.OnLost(offset, len, fin);
}

// --- Receiving ---

absl::Status Stream::AccountReceived(uint64_t end) {
  const uint64_t previous = recv_.highest_offset();
  if (end <= previous) return absl::OkStatus();
  if (absl::Status s = flow_.OnHighestOffsetReceived(end); !s.ok()) return s;
  if (connection_ != nullptr) {
    FlowController& conn = connection_->controller;
    const uint64_t delta = end - previous;
    if (delta > kMaxVarInt - conn.highest_received()) {
      return TransportErrorStatus(TransportErrorCode::kFlowControlError,
                                  "connection data beyond 2^62-1");
    }
    return conn.OnHighestOffsetReceived(conn.highest_received() + delta);
  }
  return absl::OkStatus();
}

void Stream::AccountConsumed(uint64_t n, absl::Time now, absl::Duration srtt, bool timed) {
  if (n == 0) return;
  if (timed) {
    flow_.OnBytesConsumed(n, now, srtt);
  } else {
    flow_.OnBytesConsumed(n);
  }
  // §3.2: no MAX_STREAM_DATA is needed once the final size is known.
  if (recv_state_ == RecvState::kRecv && !local_stop_sending_.has_value()) {
    if (flow_.MaybeNewLimit().has_value()) SetPending(StreamControlFrame::kMaxStreamData);
  }
  if (connection_ != nullptr) {
    if (timed) {
      connection_->controller.OnBytesConsumed(n, now, srtt);
    } else {
      connection_->controller.OnBytesConsumed(n);
    }
    if (connection_->controller.MaybeNewLimit().has_value()) {
      connection_->max_data_pending = true;
    }
  }
}

void Stream::ConsumeDiscarded() {
  // Data nobody will read still returns its credit, at both levels (§4.5: the final size
  // counts towards connection flow control).
  AccountConsumed(recv_.highest_offset() - flow_.bytes_consumed(), absl::InfinitePast(),
                  absl::ZeroDuration(), /*timed=*/false);
}

void Stream::UpdateRecvState() {
  if (recv_state_ == RecvState::kRecv && recv_.final_size().has_value()) {
    recv_state_ = RecvState::kSizeKnown;
    ClearPending(StreamControlFrame::kMaxStreamData);
  }
  if (recv_state_ == RecvState::kSizeKnown && recv_.AllDataReceived()) {
    recv_state_ = RecvState::kDataRecvd;
    ClearPending(StreamControlFrame::kStopSending);
  }
  if (recv_state_ == RecvState::kDataRecvd &&
      (recv_.IsFinished() || local_stop_sending_.has_value())) {
    recv_state_ = RecvState::kDataRead;
  }
}

absl::Status Stream::OnStreamFrame(uint64_t offset, absl::Span<const uint8_t> data, bool fin) {
  if (!has_recv_) return StreamStateError("STREAM frame", id_);  // §19.8
  if (offset > kMaxVarInt || data.size() > kMaxVarInt - offset) {
    return TransportErrorStatus(TransportErrorCode::kFlowControlError,
                                "stream data beyond 2^62-1");
  }
  const uint64_t end = offset + data.size();
  // Final size checks first, so a FIN below received data is reported as FINAL_SIZE_ERROR.
  if (absl::Status s = recv_.CheckFinalSize(end, fin); !s.ok()) return s;
  if (absl::Status s = AccountReceived(end); !s.ok()) return s;
  if (absl::Status s = recv_.OnData(offset, data, fin); !s.ok()) return s;
  if (local_stop_sending_.has_value() || recv_state_ == RecvState::kResetRecvd ||
      recv_state_ == RecvState::kResetRead) {
    ConsumeDiscarded();
  }
  UpdateRecvState();
  return absl::OkStatus();
}

absl::Status Stream::OnResetStream(uint64_t error_code, uint64_t final_size) {
  if (!has_recv_) return StreamStateError("RESET_STREAM", id_);  // §19.4
  if (absl::Status s = recv_.CheckFinalSize(final_size, true); !s.ok()) return s;
  if (absl::Status s = AccountReceived(final_size); !s.ok()) return s;
  if (absl::Status s = recv_.OnFinalSize(final_size); !s.ok()) return s;
  if (!RecvActive()) return absl::OkStatus();  // already reset, or all data is here (§3.2)
  peer_reset_error_ = error_code;
  recv_state_ = local_stop_sending_.has_value() ? RecvState::kResetRead : RecvState::kResetRecvd;
  recv_.Discard();
  ClearPending(StreamControlFrame::kMaxStreamData);
  ClearPending(StreamControlFrame::kStopSending);
  ConsumeDiscarded();
  return absl::OkStatus();
}

size_t Stream::Read(uint8_t* dst, size_t max, absl::Time now, absl::Duration srtt) {
  if (recv_state_ == RecvState::kResetRecvd) {
    recv_state_ = RecvState::kResetRead;  // the application has seen the reset
    return 0;
  }
  if (!has_recv_ || local_stop_sending_.has_value()) return 0;
  const size_t n = recv_.Read(dst, max);
  AccountConsumed(n, now, srtt, /*timed=*/true);
  UpdateRecvState();
  return n;
}

absl::Span<const uint8_t> Stream::Peek() const {
  if (!has_recv_ || local_stop_sending_.has_value() || recv_state_ == RecvState::kResetRecvd ||
      recv_state_ == RecvState::kResetRead) {
    return {};
  }
  return recv_.Peek();
}

void Stream::Consume(size_t n, absl::Time now, absl::Duration srtt) {
  if (Peek().empty()) return;
  const uint64_t before = recv_.read_offset();
  recv_.Consume(n);
  AccountConsumed(recv_.read_offset() - before, now, srtt, /*timed=*/true);
  UpdateRecvState();
}

absl::Status Stream::StopSending(uint64_t application_error_code) {
  if (!has_recv_) return absl::FailedPreconditionError("STOP_SENDING on a send-only stream");
  if (local_stop_sending_.has_value()) return absl::OkStatus();
  local_stop_sending_ = application_error_code;
  // §3.5: only worth sending while the peer may still be sending.
  if (RecvActive()) SetPending(StreamControlFrame::kStopSending);
  ClearPending(StreamControlFrame::kMaxStreamData);
  recv_.Discard();
  ConsumeDiscarded();
  if (recv_state_ == RecvState::kResetRecvd) recv_state_ = RecvState::kResetRead;
  UpdateRecvState();
  return absl::OkStatus();
}

absl::Status Stream::OnStopSending(uint64_t error_code) {
  if (!has_send_) return StreamStateError("STOP_SENDING", id_);  // §19.5
  if (!peer_stop_sending_error_.has_value()) peer_stop_sending_error_ = error_code;
  // §3.5: answer with RESET_STREAM carrying the peer's error code.
  return Reset(error_code);
}

absl::Status Stream::OnMaxStreamData(uint64_t limit) {
  if (!has_send_) return StreamStateError("MAX_STREAM_DATA", id_);  // §19.10
  if (flow_.SetSendLimit(limit)) ClearPending(StreamControlFrame::kStreamDataBlocked);
  return absl::OkStatus();
}

absl::Status Stream::OnStreamDataBlocked(uint64_t limit) {
  if (!has_recv_) return StreamStateError("STREAM_DATA_BLOCKED", id_);  // §19.13
  // §4.1: the peer is blocked at `limit`. If it has not seen our current limit, the
  // MAX_STREAM_DATA carrying it may have been lost: announce it again.
  if (recv_state_ == RecvState::kRecv && !local_stop_sending_.has_value() &&
      limit < flow_.receive_limit()) {
    SetPending(StreamControlFrame::kMaxStreamData);
  }
  return absl::OkStatus();
}

// --- Control frames ---

std::optional<uint64_t> Stream::PendingMaxStreamData() const {
  if (!IsPending(StreamControlFrame::kMaxStreamData)) return std::nullopt;
  return flow_.receive_limit();
}

std::optional<uint64_t> Stream::PendingStreamDataBlocked() const {
  if (!IsPending(StreamControlFrame::kStreamDataBlocked)) return std::nullopt;
  return flow_.send_limit();
}

std::optional<ResetStreamInfo> Stream::PendingResetStream() const {
  if (!IsPending(StreamControlFrame::kResetStream)) return std::nullopt;
  return local_reset_;
}

std::optional<uint64_t> Stream::PendingStopSending() const {
  if (!IsPending(StreamControlFrame::kStopSending)) return std::nullopt;
  return local_stop_sending_;
}

void Stream::OnControlFrameLost(StreamControlFrame f) {
  switch (f) {
    case StreamControlFrame::kMaxStreamData:
      if (recv_state_ == RecvState::kRecv && !local_stop_sending_.has_value()) SetPending(f);
      break;
    case StreamControlFrame::kStreamDataBlocked:
      if ((send_state_ == SendState::kReady || send_state_ == SendState::kSend) &&
          flow_.SendWindow() == 0 && send_.end_offset() > send_.highest_sent()) {
        SetPending(f);
      }
      break;
    case StreamControlFrame::kResetStream:
      if (send_state_ == SendState::kResetSent) SetPending(f);
      break;
    case StreamControlFrame::kStopSending:
      if (RecvActive()) SetPending(f);
      break;
  }
}

void Stream::OnControlFrameAcked(StreamControlFrame f) {
  // §3.1: an acknowledged RESET_STREAM ends the send side.
  if (f == StreamControlFrame::kResetStream && send_state_ == SendState::kResetSent) {
    send_state_ = SendState::kResetRecvd;
    ClearPending(f);
  }
}

bool Stream::IsClosed() const {
  const bool send_done = !has_send_ || send_state_ == SendState::kDataRecvd ||
                         send_state_ == SendState::kResetRecvd;
  const bool recv_done = !has_recv_ || recv_state_ == RecvState::kDataRead ||
                         recv_state_ == RecvState::kResetRead;
  return send_done && recv_done;
}

}  // namespace kite::quic
