#include "quic/streams/send_buffer.h"

#include <algorithm>
#include <cstring>

namespace kite::quic {

uint64_t SendBuffer::SentEnd(uint64_t offset, size_t len) const {
  // Only what was sent can be acknowledged or lost; clamp defensively (no overflow).
  if (offset >= next_send_offset_) return offset;
  return offset + std::min<uint64_t>(len, next_send_offset_ - offset);
}

void SendBuffer::Append(absl::Span<const uint8_t> data) {
  if (finished_ || discarded_ || data.empty()) return;
  size_t copied = 0;
  while (copied < data.size()) {
    const size_t in_block = static_cast<size_t>(end_offset_ % kBlockSize);
    if (in_block == 0 && end_offset_ / kBlockSize >= first_block_ + blocks_.size()) {
      if (blocks_.empty()) first_block_ = end_offset_ / kBlockSize;
      // Not zeroed: only bytes appended below are ever read.
      if (spare_block_ != nullptr) {
        blocks_.push_back(std::move(spare_block_));
      } else {
        blocks_.push_back(std::unique_ptr<uint8_t[]>(new uint8_t[kBlockSize]));
      }
    }
    const size_t n = std::min(kBlockSize - in_block, data.size() - copied);
    std::memcpy(blocks_.back().get() + in_block, data.data() + copied, n);
    copied += n;
    end_offset_ += n;
  }
}

void SendBuffer::Finish() { finished_ = true; }

bool SendBuffer::HasDataToSend() const {
  if (discarded_) return false;
  return HasRetransmission() || next_send_offset_ < end_offset_ || (finished_ && !fin_sent_);
}

std::optional<SendChunk> SendBuffer::NextChunk(size_t max_len, uint64_t new_data_limit) {
  if (discarded_) return std::nullopt;
  // Lost ranges first, lowest offset first.
  if (auto first = lost_.First(); first.has_value() && max_len > 0) {
    const size_t len = static_cast<size_t>(std::min<uint64_t>(first->length(), max_len));
    lost_.Remove(first->start, first->start + len);
    SendChunk chunk{first->start, len, false, true};
    if (fin_lost_ && first->start + len == end_offset_) {
      chunk.fin = true;
      fin_lost_ = false;
    }
    return chunk;
  }
  if (fin_lost_ && lost_.empty()) {
    fin_lost_ = false;
    return SendChunk{end_offset_, 0, true, true};
  }
  // New data, within flow control.
  const uint64_t limit = std::min(end_offset_, std::max(new_data_limit, next_send_offset_));
  const uint64_t available = limit - next_send_offset_;
  const size_t len = static_cast<size_t>(std::min<uint64_t>(available, max_len));
  const bool fin = finished_ && !fin_sent_ && next_send_offset_ + len == end_offset_;
  if (len == 0 && !fin) return std::nullopt;
  SendChunk chunk{next_send_offset_, len, fin, false};
  next_send_offset_ += len;
  if (fin) fin_sent_ = true;
  return chunk;
}

bool SendBuffer::CopyData(uint64_t offset, size_t len, uint8_t* dst) const {
  if (len == 0) return true;
  if (offset < first_block_ * kBlockSize || offset < acked_prefix_ ||
      offset > end_offset_ || len > end_offset_ - offset) {
    return false;
  }
  size_t copied = 0;
  while (copied < len) {
    const uint64_t pos = offset + copied;
    const size_t block = static_cast<size_t>(pos / kBlockSize - first_block_);
    const size_t in_block = static_cast<size_t>(pos % kBlockSize);
    const size_t n = std::min(kBlockSize - in_block, len - copied);
    std::memcpy(dst + copied, blocks_[block].get() + in_block, n);
    copied += n;
  }
  return true;
}

void SendBuffer::OnAcked(uint64_t offset, size_t len, bool fin) {
  if (discarded_) return;
  const uint64_t end = SentEnd(offset, len);
  if (offset < end) {
    if (!lost_.empty()) lost_.Remove(offset, end);
    if (acked_.empty() && offset <= acked_prefix_) {
      // In order (the common case): the acknowledged prefix grows without touching acked_.
      if (fin && fin_sent_) {
        fin_acked_ = true;
        fin_lost_ = false;
      }
      if (end > acked_prefix_) {
        acked_prefix_ = end;
        FreeAckedBlocks();
      }
      return;
    }
    // Only what lies above the prefix needs recording.
    const uint64_t above = std::max<uint64_t>(offset, acked_prefix_);
    if (above < end) acked_.Add(above, end);
  }
  if (fin && fin_sent_) {
    fin_acked_ = true;
    fin_lost_ = false;
  }
  const uint64_t new_prefix = acked_.ContiguousEnd(acked_prefix_);
  if (new_prefix > acked_prefix_) {
    acked_prefix_ = new_prefix;
    acked_.RemoveBelow(acked_prefix_);
    FreeAckedBlocks();
  }
}

void SendBuffer::OnLost(uint64_t offset, size_t len, bool fin) {
  if (discarded_) return;  // RFC 9000 §13.3: no retransmission after RESET_STREAM
  const uint64_t end = SentEnd(offset, len);
  const uint64_t start = std::max(offset, acked_prefix_);
  if (start < end) {
    acked_.ForEachGap(start, end, [this](Range r) { lost_.Add(r.start, r.end); });
  }
  if (fin && fin_sent_ && !fin_acked_) fin_lost_ = true;
}

void SendBuffer::Discard() {
  blocks_.clear();
  spare_block_.reset();
  first_block_ = end_offset_ / kBlockSize;
  acked_.Clear();
  lost_.Clear();
  fin_lost_ = false;
  // Nothing is left to send or to wait for.
  acked_prefix_ = end_offset_;
  discarded_ = true;
}

bool SendBuffer::AllDataAcked() const {
  return finished_ && fin_acked_ && acked_prefix_ == end_offset_;
}

void SendBuffer::FreeAckedBlocks() {
  while (!blocks_.empty() && (first_block_ + 1) * kBlockSize <= acked_prefix_) {
    // Keep one freed block for the next Append instead of freeing and allocating again.
    if (spare_block_ == nullptr && !finished_) spare_block_ = std::move(blocks_.front());
    blocks_.pop_front();
    ++first_block_;
  }
}

}  // namespace kite::quic
