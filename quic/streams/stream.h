// One QUIC stream: the RFC 9000 §3 sending and receiving state machines over a SendBuffer, a
// RecvBuffer and a stream-level FlowController, plus the control frames the stream needs sent
// (MAX_STREAM_DATA, STREAM_DATA_BLOCKED, RESET_STREAM, STOP_SENDING) as flags the connection
// polls, clears when it writes the frame and raises again when the frame is lost.
#ifndef KITE_QUIC_STREAMS_STREAM_H_
#define KITE_QUIC_STREAMS_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/container/btree_set.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "quic/streams/flow_control.h"
#include "quic/streams/perspective.h"
#include "quic/streams/recv_buffer.h"
#include "quic/streams/send_buffer.h"

namespace kite::quic {

// RFC 9000 §3.1.
enum class SendState { kReady, kSend, kDataSent, kResetSent, kDataRecvd, kResetRecvd };
// RFC 9000 §3.2.
enum class RecvState { kRecv, kSizeKnown, kDataRecvd, kDataRead, kResetRecvd, kResetRead };

enum class StreamControlFrame : uint8_t {
  kMaxStreamData = 1 << 0,
  kStreamDataBlocked = 1 << 1,
  kResetStream = 1 << 2,
  kStopSending = 1 << 3,
};

struct ResetStreamInfo {
  uint64_t error_code = 0;
  uint64_t final_size = 0;
};

// What the streams of one connection share (owned by StreamManager): connection-level flow
// control (§4.1), the connection-level frames it calls for, and which streams have control
// frames pending.
struct ConnectionFlow {
  ConnectionFlow(uint64_t send_limit, uint64_t receive_window, uint64_t max_receive_window)
      : controller(send_limit, receive_window, max_receive_window) {}
  FlowController controller;
  bool max_data_pending = false;      // MAX_DATA with controller.receive_limit()
  bool data_blocked_pending = false;  // DATA_BLOCKED with controller.send_limit()
  absl::btree_set<uint64_t> streams_with_control_frames;
};

struct StreamConfig {
  uint64_t send_limit = 0;               // the peer's initial MAX_STREAM_DATA for us
  uint64_t receive_window = 0;           // the initial MAX_STREAM_DATA we advertised
  uint64_t max_receive_window = 0;       // auto-tuning cap (and receive buffer span)
  size_t max_recv_fragments = RecvBuffer::kDefaultMaxFragments;
};

class Stream {
 public:
  // `connection` may be null (no connection-level accounting); it must outlive the stream.
  Stream(uint64_t id, Perspective local, const StreamConfig& config,
         ConnectionFlow* connection = nullptr);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  uint64_t id() const { return id_; }
  bool has_send_side() const { return has_send_; }
  bool has_recv_side() const { return has_recv_; }
  SendState send_state() const { return send_state_; }
  RecvState recv_state() const { return recv_state_; }

  // --- Application, sending ---
  // Queues data (and the FIN). FailedPrecondition on a receive-only stream, after the FIN or
  // after a reset; OutOfRange past 2^62-1 bytes.
  absl::Status Write(absl::Span<const uint8_t> data, bool fin = false);
  // Abandons sending with an application error code: RESET_STREAM (§3.1, §19.4) with the
  // final size = bytes sent so far. No-op once the send side is done or reset.
  absl::Status Reset(uint64_t application_error_code);
  // Bytes written and not yet acknowledged.
  uint64_t bytes_buffered() const { return send_.bytes_buffered(); }

  // --- Application, receiving ---
  // In-order reads; consumption returns flow control credit. Reading a reset stream returns
  // 0 and moves it to Reset Read.
  size_t Read(uint8_t* dst, size_t max, absl::Time now, absl::Duration srtt);
  absl::Span<const uint8_t> Peek() const;
  void Consume(size_t n, absl::Time now, absl::Duration srtt);
  // Asks the peer to stop sending (STOP_SENDING, §3.5); buffered and later data is dropped.
  absl::Status StopSending(uint64_t application_error_code);
  // All data through the FIN was read.
  bool IsReadFinished() const { return recv_state_ == RecvState::kDataRead; }
  std::optional<uint64_t> peer_reset_error() const { return peer_reset_error_; }
  std::optional<uint64_t> peer_stop_sending_error() const { return peer_stop_sending_error_; }

  // --- Frames from the peer (errors are transport error statuses) ---
  absl::Status OnStreamFrame(uint64_t offset, absl::Span<const uint8_t> data, bool fin);
  absl::Status OnResetStream(uint64_t error_code, uint64_t final_size);
  absl::Status OnStopSending(uint64_t error_code);
  absl::Status OnMaxStreamData(uint64_t limit);
  absl::Status OnStreamDataBlocked(uint64_t limit);

  // --- Packet assembly ---
  // Lost data, new data within stream and connection credit, or a FIN is waiting.
  bool HasDataToSend() const;
  // The next STREAM frame's data (see SendBuffer::NextChunk); charges flow control for new
  // data.
  std::optional<SendChunk> NextChunk(size_t max_len);
  bool CopyData(uint64_t offset, size_t len, uint8_t* dst) const {
    return send_.CopyData(offset, len, dst);
  }
  void OnChunkAcked(uint64_t offset, size_t len, bool fin);
  void OnChunkLost(uint64_t offset, size_t len, bool fin);

  // --- Control frames ---
  bool HasPendingControlFrames() const { return pending_ != 0; }
  bool IsPending(StreamControlFrame f) const { return (pending_ & Bit(f)) != 0; }
  std::optional<uint64_t> PendingMaxStreamData() const;      // the limit to advertise
  std::optional<uint64_t> PendingStreamDataBlocked() const;  // the limit we are blocked at
  std::optional<ResetStreamInfo> PendingResetStream() const;
  std::optional<uint64_t> PendingStopSending() const;  // the application error code
  void OnControlFrameSent(StreamControlFrame f) { ClearPending(f); }
  // Raises the flag again if the frame is still needed (§13.3).
  void OnControlFrameLost(StreamControlFrame f);
  void OnControlFrameAcked(StreamControlFrame f);

  // Both halves reached a terminal state (§3.3): the stream's state can be freed.
  bool IsClosed() const;

  const FlowController& flow_controller() const { return flow_; }
  const SendBuffer& send_buffer() const { return send_; }
  const RecvBuffer& recv_buffer() const { return recv_; }

 private:
  static uint8_t Bit(StreamControlFrame f) { return static_cast<uint8_t>(f); }
  void SetPending(StreamControlFrame f);
  void ClearPending(StreamControlFrame f);
  bool SendActive() const {
    return send_state_ == SendState::kReady || send_state_ == SendState::kSend ||
           send_state_ == SendState::kDataSent;
  }
  bool RecvActive() const {
    return recv_state_ == RecvState::kRecv || recv_state_ == RecvState::kSizeKnown;
  }
  uint64_t NewDataCredit() const;
  void MaybeMarkBlocked();
  absl::Status AccountReceived(uint64_t end);
  void AccountConsumed(uint64_t n, absl::Time now, absl::Duration srtt, bool timed);
  void ConsumeDiscarded();
  void UpdateRecvState();

  const uint64_t id_;
  const bool has_send_;
  const bool has_recv_;
  ConnectionFlow* const connection_;
  FlowController flow_;
  SendBuffer send_;
  RecvBuffer recv_;
  SendState send_state_ = SendState::kReady;
  RecvState recv_state_ = RecvState::kRecv;
  uint8_t pending_ = 0;
  std::optional<ResetStreamInfo> local_reset_;
  std::optional<uint64_t> local_stop_sending_;
  std::optional<uint64_t> peer_reset_error_;
  std::optional<uint64_t> peer_stop_sending_error_;
};

}  // namespace kite::quic

#endif  // KITE_QUIC_STREAMS_STREAM_H_
