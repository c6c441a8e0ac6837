// The sending half of a stream's data: bytes the application wrote, kept until acknowledged,
// with the bookkeeping to resend exactly the lost ranges (RFC 9000 §13.3: lost STREAM data is
// retransmitted in new frames, never whole packets).
#ifndef KITE_QUIC_STREAMS_SEND_BUFFER_H_
#define KITE_QUIC_STREAMS_SEND_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <optional>

#include "absl/types/span.h"
#include "quic/streams/range_set.h"

namespace kite::quic {

// What to put in the next STREAM frame. A chunk with length 0 carries only the FIN.
struct SendChunk {
  uint64_t offset = 0;
  size_t length = 0;
  bool fin = false;
  bool retransmission = false;  // lost data (or a lost FIN) being sent again

  bool operator==(const SendChunk& o) const {
    return offset == o.offset && length == o.length && fin == o.fin &&
           retransmission == o.retransmission;
  }
};

class SendBuffer {
 public:
  // Data lives in blocks of this size, aligned to stream offsets, so a block is freed as soon
  // as the acknowledged prefix passes its end.
  static constexpr size_t kBlockSize = 16 * 1024;

  SendBuffer() = default;
  SendBuffer(const SendBuffer&) = delete;
  SendBuffer& operator=(const SendBuffer&) = delete;

  // Copies `data` to the end of the stream. Callers (Stream) reject writes after Finish(); a
  // write after Finish() is dropped here.
  void Append(absl::Span<const uint8_t> data);
  // Marks the current end as the final size (the FIN goes with the last byte).
  void Finish();

  // Whether NextChunk() would return a chunk given unlimited flow control credit.
  bool HasDataToSend() const;
  // Whether lost data or a lost FIN is waiting (sent regardless of flow control credit).
  bool HasRetransmission() const { return !lost_.empty() || fin_lost_; }

  // The next chunk to send, at most `max_len` bytes: lost ranges first (lowest offset first),
  // then new data. New data may not extend past `new_data_limit` (the flow control limit, as a
  // stream offset); retransmissions ignore it since their credit was already counted. The
  // chunk is marked in flight. Returns nullopt if nothing can be sent.
  std::optional<SendChunk> NextChunk(
      size_t max_len, uint64_t new_data_limit = std::numeric_limits<uint64_t>::max());

  // Copies stream bytes [offset, offset + len) into `dst`. The range must have been handed out
  // by NextChunk() and not yet acknowledged; returns false (copying nothing) otherwise.
  bool CopyData(uint64_t offset, size_t len, uint8_t* dst) const;

  // A frame carrying [offset, offset + len) (and the FIN if `fin`) was acknowledged / lost.
  // Ranges never sent are ignored. A loss only schedules the parts not acknowledged since.
  void OnAcked(uint64_t offset, size_t len, bool fin);
  void OnLost(uint64_t offset, size_t len, bool fin);

  // Drops all data and pending retransmissions (the stream was reset, RFC 9000 §3.1).
  void Discard();

  // Every byte and the FIN were acknowledged.
  bool AllDataAcked() const;

  // Bytes written but not yet acknowledged (for application backpressure).
  uint64_t bytes_buffered() const { return end_offset_ - acked_prefix_; }
  // Bytes written so far (the offset of the next Append).
  uint64_t end_offset() const { return end_offset_; }
  // Offset of the first byte never sent: the flow control credit used so far.
  uint64_t highest_sent() const { return next_send_offset_; }
  bool finished() const { return finished_; }
  bool fin_sent() const { return fin_sent_; }
  // Storage actually held, in blocks of kBlockSize.
  size_t blocks_held() const { return blocks_.size(); }
  const RangeSet& lost_ranges() const { return lost_; }

 private:
  void FreeAckedBlocks();
  // The end of the part of [offset, offset + len) that was ever sent.
  uint64_t SentEnd(uint64_t offset, size_t len) const;

  // blocks_[i] holds stream offsets [(first_block_ + i) * kBlockSize, ... + kBlockSize).
  std::deque<std::unique_ptr<uint8_t[]>> blocks_;
  // A freed block kept for the next Append (none once the stream is finished).
  std::unique_ptr<uint8_t[]> spare_block_;
  uint64_t first_block_ = 0;
  uint64_t end_offset_ = 0;
  uint64_t next_send_offset_ = 0;
  uint64_t acked_prefix_ = 0;  // every byte below it is acknowledged
  RangeSet acked_;             // acknowledged ranges above acked_prefix_
  RangeSet lost_;              // lost and not acknowledged since: resend these
  bool finished_ = false;
  bool fin_sent_ = false;
  bool fin_acked_ = false;
  bool fin_lost_ = false;
  bool discarded_ = false;
};

}  // namespace kite::quic

#endif  // KITE_QUIC_STREAMS_SEND_BUFFER_H_
