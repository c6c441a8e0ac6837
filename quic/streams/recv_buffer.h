// The receiving half of a stream's data: reassembles STREAM frame payloads that arrive out of
// order, duplicated or overlapping into the in-order byte stream the application reads, and
// enforces the final size rules (RFC 9000 §2.2, §4.5).
//
// Memory is bounded twice: bytes by the buffered span (no byte beyond read_offset() +
// max_buffered_span is accepted; the stream's flow control window is normally the tighter
// bound), and bookkeeping by the number of disjoint received fragments (adjacent fragments are
// coalesced). A frame that would create more than max_fragments disjoint fragments is a
// connection error (PROTOCOL_VIOLATION) rather than a silent drop: the packet carrying it is
// acknowledged, so a dropped frame would never be resent and the stream would stall (RFC 9000
// §21.10 asks for such limits on reassembly state).
#ifndef KITE_QUIC_STREAMS_RECV_BUFFER_H_
#define KITE_QUIC_STREAMS_RECV_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "quic/streams/range_set.h"

namespace kite::quic {

class RecvBuffer {
 public:
  static constexpr size_t kBlockSize = 16 * 1024;
  // Default bound on bytes held above the read offset (a generous stream window).
  static constexpr uint64_t kDefaultMaxBufferedSpan = 16 * 1024 * 1024;
  // Default bound on disjoint received fragments, i.e. on holes in the reassembly state. A
  // well-behaved sender with heavy loss stays far below it.
  static constexpr size_t kDefaultMaxFragments = 1024;

  explicit RecvBuffer(uint64_t max_buffered_span = kDefaultMaxBufferedSpan,
                      size_t max_fragments = kDefaultMaxFragments);
  RecvBuffer(const RecvBuffer&) = delete;
  RecvBuffer& operator=(const RecvBuffer&) = delete;

  // Payload of a STREAM frame. Errors (transport error statuses): FINAL_SIZE_ERROR for data
  // beyond a known final size, a FIN at a different final size or below data already seen;
  // FLOW_CONTROL_ERROR beyond 2^62-1 (§19.8) or the buffered span; PROTOCOL_VIOLATION for
  // data contradicting bytes already buffered (§2.2) or too many fragments. On error nothing
  // changes.
  absl::Status OnData(uint64_t offset, absl::Span<const uint8_t> data, bool fin);
  // Final size from RESET_STREAM: same final size checks as OnData.
  absl::Status OnFinalSize(uint64_t final_size);
  // The final size checks alone, changing nothing: data up to `end` (a FIN there if `fin`).
  absl::Status CheckFinalSize(uint64_t end, bool fin) const;

  // In-order reads. Peek() returns the next contiguous readable bytes (possibly fewer than
  // are readable: at most up to a block boundary); Consume(n) releases them.
  absl::Span<const uint8_t> Peek() const;
  void Consume(size_t n);
  size_t Read(uint8_t* dst, size_t max);

  // Drops buffered data and stops buffering (STOP_SENDING sent or stream reset); final size
  // checks still apply to later frames.
  void Discard();

  // All data up to the FIN has been read.
  bool IsFinished() const { return final_size_.has_value() && read_offset_ == *final_size_; }
  // All data up to the FIN has been received (not necessarily read).
  bool AllDataReceived() const;
  std::optional<uint64_t> final_size() const { return final_size_; }
  // One past the largest offset received (or the final size, once known).
  uint64_t highest_offset() const { return highest_offset_; }
  uint64_t read_offset() const { return read_offset_; }
  // Contiguous bytes available to read now.
  uint64_t readable_bytes() const { return contiguous_end_ - read_offset_; }
  // Disjoint received fragments at or above the read offset.
  size_t fragment_count() const {
    return received_.size() + (contiguous_end_ > read_offset_ ? 1 : 0);
  }
  size_t blocks_held() const;

 private:
  uint8_t* BlockFor(uint64_t offset);
  const uint8_t* BlockFor(uint64_t offset) const;

  const uint64_t max_buffered_span_;
  const size_t max_fragments_;
  // blocks_[i] holds offsets [(first_block_ + i) * kBlockSize, ...); null until written.
  // first_block_ is always read_offset_ / kBlockSize.
  std::deque<std::unique_ptr<uint8_t[]>> blocks_;
  uint64_t first_block_ = 0;
  // Received bytes at or above read_offset_ are [read_offset_, contiguous_end_) plus the
  // out-of-order fragments in received_, which all start above contiguous_end_ (a fragment
  // reaching it is absorbed). In-order data thus never touches the RangeSet.
  RangeSet received_;
  uint64_t contiguous_end_ = 0;
  // Up to kMaxSpareBlocks freed blocks, reused before allocating new ones (one block keeps a
  // steady stream from allocating and freeing a block per 16 KiB).
  static constexpr size_t kMaxSpareBlocks = 1;
  std::vector<std::unique_ptr<uint8_t[]>> spare_blocks_;
  uint64_t read_offset_ = 0;
  uint64_t highest_offset_ = 0;
  std::optional<uint64_t> final_size_;
  bool discarded_ = false;
};

}  // namespace kite::quic

#endif  // KITE_QUIC_STREAMS_RECV_BUFFER_H_
