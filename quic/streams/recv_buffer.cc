#include "quic/streams/recv_buffer.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "quic/codec/transport_error.h"
#include "quic/codec/varint.h"

namespace kite::quic {

RecvBuffer::RecvBuffer(uint64_t max_buffered_span, size_t max_fragments)
    : max_buffered_span_(max_buffered_span), max_fragments_(max_fragments) {}

absl::Status RecvBuffer::CheckFinalSize(uint64_t end, bool fin) const {
  // RFC 9000 §4.5: the final size cannot change, and no data may lie at or beyond it.
  if (final_size_.has_value()) {
    if (end > *final_size_) {
      return TransportErrorStatus(TransportErrorCode::kFinalSizeError,
                                  absl::StrCat("data to ", end, " beyond final size ",
                                               *final_size_));
    }
    if (fin && end != *final_size_) {
      return TransportErrorStatus(TransportErrorCode::kFinalSizeError,
                                  absl::StrCat("final size changed from ", *final_size_,
                                               " to ", end));
    }
  } else if (fin && end < highest_offset_) {
    return TransportErrorStatus(TransportErrorCode::kFinalSizeError,
                                absl::StrCat("final size ", end, " below received offset ",
                                             highest_offset_));
  }
  return absl::OkStatus();
}

absl::Status RecvBuffer::OnData(uint64_t offset, absl::Span<const uint8_t> data, bool fin) {
  // RFC 9000 §19.8: offset + length cannot exceed 2^62-1.
  if (offset > kMaxVarInt || data.size() > kMaxVarInt - offset) {
    return TransportErrorStatus(TransportErrorCode::kFlowControlError,
                                "stream data beyond 2^62-1");
  }
  const uint64_t end = offset + data.size();
  if (absl::Status s = CheckFinalSize(end, fin); !s.ok()) return s;
  if (!discarded_ && end > read_offset_ && end - read_offset_ > max_buffered_span_) {
    return TransportErrorStatus(TransportErrorCode::kFlowControlError,
                                absl::StrCat("stream data to ", end, " beyond buffer span"));
  }

  const uint64_t start = std::max(offset, read_offset_);
  if (!discarded_ && start < end) {
    // §2.2: data at an offset must not change. Compare against what is still buffered (the
    // first copy is kept); bytes already read are gone and cannot be compared.
    bool consistent = true;
    auto compare = [&](Range r) {
      for (uint64_t pos = r.start; pos < r.end && consistent;) {
        const size_t in_block = static_cast<size_t>(pos % kBlockSize);
        const size_t n =
            static_cast<size_t>(std::min<uint64_t>(kBlockSize - in_block, r.end - pos));
        if (std::memcmp(BlockFor(pos) + in_block, data.data() + (pos - offset), n) != 0) {
          consistent = false;
        }
        pos += n;
      }
    };
    if (start < contiguous_end_) compare(Range{start, std::min(end, contiguous_end_)});
    if (!received_.empty()) received_.ForEachOverlap(start, end, compare);
    if (!consistent) {
      return TransportErrorStatus(TransportErrorCode::kProtocolViolation,
                                  "stream data changed on retransmission");
    }
    // Fragments that the new range overlaps or touches merge with it. The prefix fragment
    // [read_offset_, contiguous_end_) starts at or below `start`, so it touches the new range
    // exactly when it reaches `start`.
    const uint64_t touch_start = start == 0 ? 0 : start - 1;
    size_t touching = contiguous_end_ > read_offset_ && contiguous_end_ > touch_start ? 1 : 0;
    if (!received_.empty()) {
      received_.ForEachOverlap(touch_start, end + 1, [&](Range) { ++touching; });
    }
    if (fragment_count() + 1 - touching > max_fragments_) {
      return TransportErrorStatus(TransportErrorCode::kProtocolViolation,
                                  "too many out-of-order stream fragments");
    }
  }

  // Validation done; commit.
  if (fin) final_size_ = end;
  highest_offset_ = std::max(highest_offset_, end);
  if (discarded_ || start >= end) return absl::OkStatus();
  auto copy = [&](Range gap) {
    for (uint64_t pos = gap.start; pos < gap.end;) {
      const size_t in_block = static_cast<size_t>(pos % kBlockSize);
      const size_t n =
          static_cast<size_t>(std::min<uint64_t>(kBlockSize - in_block, gap.end - pos));
      std::memcpy(BlockFor(pos) + in_block, data.data() + (pos - offset), n);
      pos += n;
    }
  };
  // Bytes below contiguous_end_ are all here already; above it only the gaps between the
  // out-of-order fragments are new.
  const uint64_t new_start = std::max(start, contiguous_end_);
  if (new_start < end) {
    if (received_.empty()) {
      copy(Range{new_start, end});
    } else {
      received_.ForEachGap(new_start, end, copy);
    }
  }
  if (start <= contiguous_end_) {
    // In order (the common case): extend the prefix, then absorb the out-of-order fragments
    // it now reaches.
    contiguous_end_ = std::max(contiguous_end_, end);
    while (!received_.empty()) {
      const Range first = *received_.First();
      if (first.start > contiguous_end_) break;
      contiguous_end_ = std::max(contiguous_end_, first.end);
      received_.Remove(first.start, first.end);
    }
  } else {
    received_.Add(start, end);
  }
  return absl::OkStatus();
}

absl::Status RecvBuffer::OnFinalSize(uint64_t final_size) {
  if (final_size > kMaxVarInt) {
    return TransportErrorStatus(TransportErrorCode::kFlowControlError,
                                "final size beyond 2^62-1");
  }
  if (absl::Status s = CheckFinalSize(final_size, /*fin=*/true); !s.ok()) return s;
  final_size_ = final_size;
  highest_offset_ = std::max(highest_offset_, final_size);
  return absl::OkStatus();
}

uint8_t* RecvBuffer::BlockFor(uint64_t offset) {
  const size_t index = static_cast<size_t>(offset / kBlockSize - first_block_);
  while (blocks_.size() <= index) blocks_.emplace_back();
  if (!blocks_[index]) {
    // Not zeroed: only received ranges are ever read or compared.
    if (!spare_blocks_.empty()) {
      blocks_[index] = std::move(spare_blocks_.back());
      spare_blocks_.pop_back();
    } else {
      blocks_[index] = std::unique_ptr<uint8_t[]>(new uint8_t[kBlockSize]);
    }
  }
  return blocks_[index].get();
}

const uint8_t* RecvBuffer::BlockFor(uint64_t offset) const {
  // Only called for received (hence allocated) offsets.
  return blocks_[static_cast<size_t>(offset / kBlockSize - first_block_)].get();
}


absl::Span<const uint8_t> RecvBuffer::Peek() const {
  const uint64_t readable = readable_bytes();
  if (readable == 0) return {};
  const size_t in_block = static_cast<size_t>(read_offset_ % kBlockSize);
  const size_t n = static_cast<size_t>(std::min<uint64_t>(kBlockSize - in_block, readable));
  return absl::Span<const uint8_t>(BlockFor(read_offset_) + in_block, n);
}

void RecvBuffer::Consume(size_t n) {
  n = static_cast<size_t>(std::min<uint64_t>(n, readable_bytes()));
  if (n == 0) return;
  // n <= contiguous_end_ - read_offset_, and every out-of-order fragment lies above
  // contiguous_end_: nothing else to drop.
  read_offset_ += n;
  while (first_block_ < read_offset_ / kBlockSize) {
    if (!blocks_.empty()) {
      // Keep a few freed blocks for the data still to come instead of freeing them.
      if (blocks_.front() != nullptr && spare_blocks_.size() < kMaxSpareBlocks) {
        spare_blocks_.push_back(std::move(blocks_.front()));
      }
      blocks_.pop_front();
    }
    ++first_block_;
  }
}

size_t RecvBuffer::Read(uint8_t* dst, size_t max) {
  size_t total = 0;
  while (total < max) {
    absl::Span<const uint8_t> chunk = Peek();
    if (chunk.empty()) break;
    const size_t n = std::min(chunk.size(), max - total);
    std::memcpy(dst + total, chunk.data(), n);
    Consume(n);
    total += n;
  }
  return total;
}

void RecvBuffer::Discard() {
  discarded_ = true;
  blocks_.clear();
  spare_blocks_.clear();
  received_.Clear();
  contiguous_end_ = read_offset_;
}

bool RecvBuffer::AllDataReceived() const {
  if (!final_size_.has_value()) return false;
  if (discarded_) return true;
  return contiguous_end_ >= *final_size_;
}

size_t RecvBuffer::blocks_held() const {
  size_t n = 0;
  for (const auto& b : blocks_) n += b != nullptr;
  return n;
}

}  // namespace kite::quic
