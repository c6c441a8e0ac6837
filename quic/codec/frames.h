// One plain struct per QUIC frame (RFC 9000 §19, RFC 9221 §4) and `Frame`, the variant over them.
//
// Data-bearing frames (STREAM, CRYPTO, NEW_TOKEN, DATAGRAM, the CONNECTION_CLOSE reason) hold views
// into the packet buffer they were decoded from; a Frame must not outlive that buffer. ACK ranges
// live in an inline fixed-capacity list, so decoding never allocates.
#ifndef KITE_QUIC_CODEC_FRAMES_H_
#define KITE_QUIC_CODEC_FRAMES_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <variant>

#include "absl/types/span.h"
#include "quic/codec/connection_id.h"
#include "quic/codec/perspective.h"

namespace kite::quic {

// RFC 9000 §19.1. A run of consecutive PADDING bytes is decoded as one frame; `length` is the
// number of bytes (at least 1).
struct PaddingFrame {
  size_t length = 1;
};

// RFC 9000 §19.2.
struct PingFrame {};

// An inclusive range of acknowledged packet numbers.
struct AckRange {
  uint64_t smallest;
  uint64_t largest;
};

// RFC 9000 §19.3.2, in wire order.
struct EcnCounts {
  uint64_t ect0 = 0;
  uint64_t ect1 = 0;
  uint64_t ecn_ce = 0;
};

// How many ACK ranges a decoded ACK frame keeps. A peer may send more (all are validated); only
// the first kMaxAckRanges, i.e. the highest packet numbers, are kept.
inline constexpr size_t kMaxAckRanges = 256;

// A fixed-capacity list of ACK ranges stored inline. Only the used prefix is ever read or copied,
// so an ACK with a handful of ranges costs a handful of copies despite the large capacity.
class AckRangeList {
 public:
  // User-provided so that value-initialization does not zero the whole array.
  AckRangeList() {}
  AckRangeList(std::initializer_list<AckRange> ranges) {
    for (const AckRange& r : ranges) push_back(r);
  }
  AckRangeList(const AckRangeList& other) : size_(other.size_) { CopyFrom(other); }
  AckRangeList& operator=(const AckRangeList& other) {
    size_ = other.size_;
    CopyFrom(other);
    return *this;
  }

  static constexpr size_t capacity() { return kMaxAckRanges; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == kMaxAckRanges; }
  void clear() { size_ = 0; }
  // False (and nothing stored) when the list is full.
  bool push_back(const AckRange& r) {
    if (size_ == kMaxAckRanges) return false;
    ranges_[size_++] = r;
    return true;
  }

  const AckRange& operator[](size_t i) const { return ranges_[i]; }
  const AckRange* begin() const { return ranges_; }
  const AckRange* end() const { return ranges_ + size_; }
  absl::Span<const AckRange> span() const { return absl::Span<const AckRange>(ranges_, size_); }

  friend bool operator==(const AckRangeList& a, const AckRangeList& b) {
    if (a.size_ != b.size_) return false;
    for (size_t i = 0; i < a.size_; ++i) {
      if (a.ranges_[i].smallest != b.ranges_[i].smallest ||
          a.ranges_[i].largest != b.ranges_[i].largest) {
        return false;
      }
    }
    return true;
  }
  friend bool operator!=(const AckRangeList& a, const AckRangeList& b) { return !(a == b); }

 private:
  void CopyFrom(const AckRangeList& other) {
    for (size_t i = 0; i < size_; ++i) ranges_[i] = other.ranges_[i];
  }

  AckRange ranges_[kMaxAckRanges];
  size_t size_ = 0;
};

// RFC 9000 §19.3: ACK (0x02) and, when `ecn` is set, ACK_ECN (0x03). `ranges` are in descending
// order, ranges[0].largest being the Largest Acknowledged. `ack_delay` is the raw field, not yet
// scaled by the peer's ack_delay_exponent.
struct AckFrame {
  // User-provided (like AckRangeList's) so that value-initialization, e.g. Frame's emplace or
  // in_place construction, does not zero the whole range array first.
  AckFrame() {}

  AckRangeList ranges;
  uint64_t ack_delay = 0;
  std::optional<EcnCounts> ecn;

  uint64_t largest_acknowledged() const { return ranges.empty() ? 0 : ranges[0].largest; }
};

// RFC 9000 §19.4.
struct ResetStreamFrame {
  uint64_t stream_id = 0;
  uint64_t application_error_code = 0;
  uint64_t final_size = 0;
};

// RFC 9000 §19.5.
struct StopSendingFrame {
  uint64_t stream_id = 0;
  uint64_t application_error_code = 0;
};

// RFC 9000 §19.6.
struct CryptoFrame {
  uint64_t offset = 0;
  absl::Span<const uint8_t> data;
};

// RFC 9000 §19.7. The token is never empty on the wire.
struct NewTokenFrame {
  absl::Span<const uint8_t> token;
};

// RFC 9000 §19.8, types 0x08..0x0f. Without a Length field (`has_length` false) the data runs to
// the end of the packet, so such a frame must be the packet's last. The encoder sets the OFF bit
// exactly when `offset` is non-zero.
struct StreamFrame {
  uint64_t stream_id = 0;
  uint64_t offset = 0;
  absl::Span<const uint8_t> data;
  bool fin = false;
  bool has_length = true;
};

// RFC 9000 §19.9.
struct MaxDataFrame {
  uint64_t maximum_data = 0;
};

// RFC 9000 §19.10.
struct MaxStreamDataFrame {
  uint64_t stream_id = 0;
  uint64_t maximum_stream_data = 0;
};


// RFC 9000 §19.11: 0x12 (bidirectional) and 0x13 (unidirectional).
struct MaxStreamsFrame {
  bool bidirectional = true;
  uint64_t maximum_streams = 0;
};

// RFC 9000 §19.12.
struct DataBlockedFrame {
  uint64_t maximum_data = 0;
};

// RFC 9000 §19.13.
struct StreamDataBlockedFrame {
  uint64_t stream_id = 0;
  uint64_t maximum_stream_data = 0;
};

// RFC 9000 §19.14: 0x16 (bidirectional) and 0x17 (unidirectional).
struct StreamsBlockedFrame {
  bool bidirectional = true;
  uint64_t maximum_streams = 0;
};

// RFC 9000 §19.15. The connection ID is 1..20 bytes on the wire.
struct NewConnectionIdFrame {
  uint64_t sequence_number = 0;
  uint64_t retire_prior_to = 0;
  ConnectionId connection_id;
  StatelessResetToken stateless_reset_token{};
};

// RFC 9000 §19.16.
struct RetireConnectionIdFrame {
  uint64_t sequence_number = 0;
};

// RFC 9000 §19.17, §19.18: 8 bytes of arbitrary data.
inline constexpr size_t kPathChallengeDataLength = 8;
using PathChallengeData = std::array<uint8_t, kPathChallengeDataLength>;

struct PathChallengeFrame {
  PathChallengeData data{};
};

struct PathResponseFrame {
  PathChallengeData data{};
};

// RFC 9000 §19.19: 0x1c signals a transport error and names the frame type that caused it;
// 0x1d signals an application error and has no Frame Type field (`frame_type` is then unused).
struct ConnectionCloseFrame {
  bool is_application = false;
  uint64_t error_code = 0;
  uint64_t frame_type = 0;
  absl::Span<const uint8_t> reason_phrase;
};

// RFC 9000 §19.20.
struct HandshakeDoneFrame {};

// RFC 9221 §4: 0x30 (no Length, data runs to the end of the packet) and 0x31 (with Length).
struct DatagramFrame {
  absl::Span<const uint8_t> data;
  bool has_length = true;
};

using Frame = std::variant<PaddingFrame, PingFrame, AckFrame, ResetStreamFrame, StopSendingFrame,
                           CryptoFrame, NewTokenFrame, StreamFrame, MaxDataFrame,
                           MaxStreamDataFrame, MaxStreamsFrame, DataBlockedFrame,
                           StreamDataBlockedFrame, StreamsBlockedFrame, NewConnectionIdFrame,
                           RetireConnectionIdFrame, PathChallengeFrame, PathResponseFrame,
                           ConnectionCloseFrame, HandshakeDoneFrame, DatagramFrame>;

// Field-wise equality (spans compare by content), for tests and retransmission checks.
bool operator==(const PaddingFrame& a, const PaddingFrame& b);
bool operator==(const PingFrame& a, const PingFrame& b);
bool operator==(const AckRange& a, const AckRange& b);
bool operator==(const EcnCounts& a, const EcnCounts& b);
bool operator==(const AckFrame& a, const AckFrame& b);
bool operator==(const ResetStreamFrame& a, const ResetStreamFrame& b);
bool operator==(const StopSendingFrame& a, const StopSendingFrame& b);
bool operator==(const CryptoFrame& a, const CryptoFrame& b);
bool operator==(const NewTokenFrame& a, const NewTokenFrame& b);
bool operator==(const StreamFrame& a, const StreamFrame& b);
bool operator==(const MaxDataFrame& a, const MaxDataFrame& b);
bool operator==(const MaxStreamDataFrame& a, const MaxStreamDataFrame& b);
bool operator==(const MaxStreamsFrame& a, const MaxStreamsFrame& b);
bool operator==(const DataBlockedFrame& a, const DataBlockedFrame& b);
bool operator==(const StreamDataBlockedFrame& a, const StreamDataBlockedFrame& b);
bool operator==(const StreamsBlockedFrame& a, const StreamsBlockedFrame& b);
bool operator==(const NewConnectionIdFrame& a, const NewConnectionIdFrame& b);
bool operator==(const RetireConnectionIdFrame& a, const RetireConnectionIdFrame& b);
bool operator==(const PathChallengeFrame& a, const PathChallengeFrame& b);
bool operator==(const PathResponseFrame& a, const PathResponseFrame& b);
bool operator==(const ConnectionCloseFrame& a, const ConnectionCloseFrame& b);
bool operator==(const HandshakeDoneFrame& a, const HandshakeDoneFrame& b);
bool operator==(const DatagramFrame& a, const DatagramFrame& b);

}  // namespace kite::quic

#endif  // KITE_QUIC_CODEC_FRAMES_H_
