#include "quic/io/transmit_batcher.h"

#include <cstring>
#include <utility>

namespace kite::quic::io {

TransmitBatcher::TransmitBatcher(buffers::PacketPool* pool, UdpSocket* socket)
    : pool_(pool), socket_(socket) {}

TransmitBatcher::Train* TransmitBatcher::OpenTrain() {
  if (count_ == first_) return nullptr;
  Train& t = trains_[count_ - 1];
  return t.closed ? nullptr : &t;
}

void TransmitBatcher::Compact() {
  if (first_ == 0) return;
  size_t n = count_ - first_;
  for (size_t i = 0; i < n; ++i) trains_[i] = std::move(trains_[first_ + i]);
  for (size_t i = n; i < count_; ++i) trains_[i] = Train{};
  first_ = 0;
  count_ = n;
}

size_t TransmitBatcher::pending_datagrams() const {
  size_t n = 0;
  for (size_t i = first_; i < count_; ++i) n += trains_[i].segments;
  return n;
}

absl::Span<uint8_t> TransmitBatcher::NextBuffer(size_t max_datagram) {
  staged_ = Staged::kNone;
  if (max_datagram == 0 || max_datagram > pool_->buffer_size()) return {};
  if (count_ == trains_.size()) Compact();
  // Every datagram may need a train of its own (one that cannot join the open train moves).
  if (count_ == trains_.size()) return {};
  if (Train* t = OpenTrain()) {
    if (t->segments < kMaxGsoSegments && t->used + max_datagram <= t->buffer.capacity() &&
        t->used + max_datagram - t->offset <= kMaxGsoBytes) {
      staged_ = Staged::kTail;
      staged_size_ = max_datagram;
      return absl::MakeSpan(t->buffer.data() + t->used, max_datagram);
    }
    // Full: the next datagram starts a new train.
    t->closed = true;
  }
  if (!fresh_.valid()) {
    std::optional<buffers::PacketBuffer> b = pool_->Acquire();
    if (!b.has_value()) return {};
    fresh_ = std::move(*b);
  }
  staged_ = Staged::kFresh;
  staged_size_ = max_datagram;
  return fresh_.writable_span().first(max_datagram);
}

bool TransmitBatcher::Commit(size_t size, const NetworkPath& path, EcnCodepoint ecn) {
  const Staged staged = staged_;
  staged_ = Staged::kNone;
  if (staged == Staged::kNone || size == 0 || size > staged_size_) return false;

  if (staged == Staged::kTail) {
    Train* t = OpenTrain();
    if (t->path == path && t->ecn == ecn && size <= t->segment_size) {
      t->used += size;
      ++t->segments;
      // Only the last segment of a GSO train may be shorter.
      if (size < t->segment_size) t->closed = true;
      return true;
    }
    // Another path, codepoint or a larger datagram: move it into a train of its own.
    t->closed = true;
    if (!fresh_.valid()) {
      std::optional<buffers::PacketBuffer> b = pool_->Acquire();
      if (!b.has_value()) {
        ++dropped_;
        return false;
      }
      fresh_ = std::move(*b);
    }
    std::memcpy(fresh_.data(), t->buffer.data() + t->used, size);
  }

  Train& n = trains_[count_++];
  n.buffer = std::move(fresh_);
  n.offset = 0;
  n.used = size;
  n.segment_size = size;
  n.segments = 1;
  n.path = path;
  n.ecn = ecn;
  n.closed = false;
  return true;
}

absl::StatusOr<SendResult> TransmitBatcher::Flush() {
  staged_ = Staged::kNone;
  const size_t n = count_ - first_;
  if (n == 0) return SendResult{};
  for (size_t i = 0; i < n; ++i) {
    const Train& t = trains_[first_ + i];
    OutgoingDatagram& e = entries_[i];
    e.data = absl::MakeConstSpan(t.buffer.data() + t.offset, t.used - t.offset);
    e.path = t.path;
    e.ecn = t.ecn;
    e.segment_size = t.segments > 1 ? t.segment_size : 0;
  }
  absl::StatusOr<SendResult> r = socket_->Send(absl::MakeConstSpan(entries_.data(), n));
  if (!r.ok()) return r;
  for (size_t i = 0; i < r->entries_done; ++i) trains_[first_ + i] = Train{};
  first_ += r->entries_done;
  if (r->partial_segments > 0 && first_ < count_) {
    Train& t = trains_[first_];
    t.offset += r->partial_segments * t.segment_size;
    t.segments -= r->partial_segments;
  }
  if (first_ == count_) first_ = count_ = 0;
  return r;
}

}  // namespace kite::quic::io
