#include "quic/codec/frame_encoder.h"

#include <algorithm>
#include <initializer_list>
#include <limits>
#include <variant>

#include "quic/codec/frame_type.h"
#include "quic/codec/varint.h"

namespace kite::quic {
namespace {

// Sum of the shortest encodings of `values`, or 0 if any exceeds 2^62-1.
size_t VarIntsSize(std::initializer_list<uint64_t> values) {
  size_t total = 0;
  for (uint64_t v : values) {
    const size_t len = VarIntLength(v);
    if (len == 0) return 0;
    total += len;
  }
  return total;
}

// Size of `type` followed by a field list; 0 if a field is out of range.
size_t WithType(uint64_t type, size_t fields_size) {
  return fields_size == 0 ? 0 : VarIntLength(type) + fields_size;
}

// Size of a Length-prefixed byte string.
size_t LengthPrefixedSize(absl::Span<const uint8_t> data) {
  const size_t len = VarIntLength(data.size());
  return len == 0 ? 0 : len + data.size();
}

bool EndWithinLimit(uint64_t offset, uint64_t len) {
  return offset <= kMaxVarInt && len <= kMaxVarInt - offset;
}

// --- ACK arithmetic (RFC 9000 §19.3) ---

size_t EcnSize(const std::optional<EcnCounts>& ecn) {
  if (!ecn.has_value()) return 0;
  const size_t s = VarIntsSize({ecn->ect0, ecn->ect1, ecn->ecn_ce});
  return s == 0 ? std::numeric_limits<size_t>::max() : s;
}

struct AckLayout {
  size_t ranges = 0;  // how many leading ranges are encoded
  size_t size = 0;    // bytes of the whole frame
};

// The largest prefix of `ranges` whose ACK frame fits in `budget`; ranges are validated as they
// are examined. {0, 0} if the first does not fit or an examined range is invalid.
AckLayout LayoutAck(absl::Span<const AckRange> ranges, uint64_t ack_delay,
                    const std::optional<EcnCounts>& ecn, size_t budget) {
  if (ranges.empty()) return {};
  const AckRange& first = ranges[0];
  if (first.smallest > first.largest || first.largest > kMaxVarInt) return {};
  const size_t ecn_size = EcnSize(ecn);
  const size_t head = VarIntsSize({first.largest, ack_delay, first.largest - first.smallest});
  if (head == 0 || ecn_size == std::numeric_limits<size_t>::max()) return {};
  const size_t fixed = 1 + head + ecn_size;
  AckLayout best;
  size_t ranges_size = 0;
  for (size_t k = 1; k <= ranges.size(); ++k) {
    if (k > 1) {
      const AckRange& prev = ranges[k - 2];
      const AckRange& cur = ranges[k - 1];
      // The Gap encodes prev.smallest - cur.largest - 2, so ranges must not touch or overlap.
      if (cur.smallest > cur.largest || cur.largest > kMaxVarInt || cur.largest + 2 > prev.smallest) {
        return {};
      }
      ranges_size += VarIntsSize({prev.smallest - cur.largest - 2, cur.largest - cur.smallest});
    }
    // Each extra range adds at least two bytes, so the size only grows with k.
    const size_t size = fixed + VarIntLength(k - 1) + ranges_size;
    if (size > budget) break;
    best = AckLayout{k, size};
  }
  return best;
}

bool WriteAckPrefix(DataWriter& w, absl::Span<const AckRange> ranges, size_t count,
                    uint64_t ack_delay, const std::optional<EcnCounts>& ecn) {
  bool ok = w.WriteVarInt(ecn.has_value() ? kFrameTypeAckEcn : kFrameTypeAck) &&
            w.WriteVarInt(ranges[0].largest) && w.WriteVarInt(ack_delay) &&
            w.WriteVarInt(count - 1) && w.WriteVarInt(ranges[0].largest - ranges[0].smallest);
  for (size_t i = 1; ok && i < count; ++i) {
    ok = w.WriteVarInt(ranges[i - 1].smallest - ranges[i].largest - 2) &&
         w.WriteVarInt(ranges[i].largest - ranges[i].smallest);
  }
  if (ok && ecn.has_value()) {
    ok = w.WriteVarInt(ecn->ect0) && w.WriteVarInt(ecn->ect1) && w.WriteVarInt(ecn->ecn_ce);
  }
  return ok;
}

uint64_t StreamType(uint64_t offset, bool fin, bool with_length) {
  return kFrameTypeStream | (offset != 0 ? kStreamFrameBitOff : 0) |
         (with_length ? kStreamFrameBitLen : 0) | (fin ? kStreamFrameBitFin : 0);
}

// --- Per-frame size ---

struct SizeOf {
  size_t operator()(const PaddingFrame& f) const { return f.length; }
  size_t operator()(const PingFrame&) const { return 1; }
  size_t operator()(const AckFrame& f) const {
    return AckFrameSizeForRanges(f.ranges.span(), f.ack_delay, f.ecn);
  }
  size_t operator()(const ResetStreamFrame& f) const {
    return WithType(kFrameTypeResetStream,
                    VarIntsSize({f.stream_id, f.application_error_code, f.final_size}));
  }
  size_t operator()(const StopSendingFrame& f) const {
    return WithType(kFrameTypeStopSending, VarIntsSize({f.stream_id, f.application_error_code}));
  }
  size_t operator()(const CryptoFrame& f) const {
    const size_t header = CryptoFrameHeaderSize(f.offset, f.data.size());
    return header == 0 ? 0 : header + f.data.size();
  }
  size_t operator()(const NewTokenFrame& f) const {
    // RFC 9000 §19.7: the token MUST NOT be empty.
    if (f.token.empty()) return 0;
    return WithType(kFrameTypeNewToken, LengthPrefixedSize(f.token));
  }
  size_t operator()(const StreamFrame& f) const {
    const size_t header =
        StreamFrameHeaderSize(f.stream_id, f.offset, f.data.size(), f.has_length);
    return header == 0 ? 0 : header + f.data.size();
  }
  size_t operator()(const MaxDataFrame& f) const {
    return WithType(kFrameTypeMaxData, VarIntsSize({f.maximum_data}));
  }
  size_t operator()(const MaxStreamDataFrame& f) const {
    return WithType(kFrameTypeMaxStreamData, VarIntsSize({f.stream_id, f.maximum_stream_data}));
  }
  size_t operator()(const MaxStreamsFrame& f) const {
    if (f.maximum_streams > kMaxStreamCount) return 0;
    return WithType(kFrameTypeMaxStreamsBidi, VarIntsSize({f.maximum_streams}));
  }
  size_t operator()(const DataBlockedFrame& f) const {
    return WithType(kFrameTypeDataBlocked, VarIntsSize({f.maximum_data}));
  }
  size_t operator()(const StreamDataBlockedFrame& f) const {
    return WithType(kFrameTypeStreamDataBlocked,
                    VarIntsSize({f.stream_id, f.maximum_stream_data}));
  }
  size_t operator()(const StreamsBlockedFrame& f) const {
    if (f.maximum_streams > kMaxStreamCount) return 0;
    return WithType(kFrameTypeStreamsBlockedBidi, VarIntsSize({f.maximum_streams}));
  }
  size_t operator()(const NewConnectionIdFrame& f) const {
    // RFC 9000 §19.15: length 1..20, Retire Prior To <= Sequence Number.
    if (f.connection_id.empty() || f.retire_prior_to > f.sequence_number) return 0;
    const size_t fields = VarIntsSize({f.sequence_number, f.retire_prior_to});
    if (fields == 0) return 0;
    return 1 + fields + 1 + f.connection_id.length() + kStatelessResetTokenLength;
  }
  size_t operator()(const RetireConnectionIdFrame& f) const {
    return WithType(kFrameTypeRetireConnectionId, VarIntsSize({f.sequence_number}));
  }
  size_t operator()(const PathChallengeFrame&) const { return 1 + kPathChallengeDataLength; }
  size_t operator()(const PathResponseFrame&) const { return 1 + kPathChallengeDataLength; }
  size_t operator()(const ConnectionCloseFrame& f) const {
    const size_t code = f.is_application ? VarIntsSize({f.error_code})
                                         : VarIntsSize({f.error_code, f.frame_type});
    const size_t reason = LengthPrefixedSize(f.reason_phrase);
    if (code == 0 || reason == 0) return 0;
    return 1 + code + reason;
  }
  size_t operator()(const HandshakeDoneFrame&) const { return 1; }
  size_t operator()(const DatagramFrame& f) const {
    if (!f.has_length) return 1 + f.data.size();
    const size_t data = LengthPrefixedSize(f.data);
    return data == 0 ? 0 : 1 + data;
  }
};

// --- Per-frame write; sizes were checked by EncodeFrame, so every write fits. ---

struct WriteTo {
  DataWriter& w;

  bool operator()(const PaddingFrame& f) const { return w.WritePadding(f.length); }
  bool operator()(const PingFrame&) const { return w.WriteVarInt(kFrameTypePing); }
  bool operator()(const AckFrame& f) const {
    return WriteAckPrefix(w, f.ranges.span(), f.ranges.size(), f.ack_delay, f.ecn);
  }
  bool operator()(const ResetStreamFrame& f) const {
    return w.WriteVarInt(kFrameTypeResetStream) && w.WriteVarInt(f.stream_id) &&
           w.WriteVarInt(f.application_error_code) && w.WriteVarInt(f.final_size);
  }
  bool operator()(const StopSendingFrame& f) const {
    return w.WriteVarInt(kFrameTypeStopSending) && w.WriteVarInt(f.stream_id) &&
           w.WriteVarInt(f.application_error_code);
  }
  bool operator()(const CryptoFrame& f) const {
    return WriteCryptoFrameHeader(w, f.offset, f.data.size()) && w.WriteBytes(f.data);
  }
  bool operator()(const NewTokenFrame& f) const {
    return w.WriteVarInt(kFrameTypeNewToken) && w.WriteVarInt(f.token.size()) &&
           w.WriteBytes(f.token);
  }
  bool operator()(const StreamFrame& f) const {
    return WriteStreamFrameHeader(w, f.stream_id, f.offset, f.data.size(), f.fin, f.has_length) &&
           w.WriteBytes(f.data);
  }
  bool operator()(const MaxDataFrame& f) const {
    return w.WriteVarInt(kFrameTypeMaxData) && w.WriteVarInt(f.maximum_data);
  }
  bool operator()(const MaxStreamDataFrame& f) const {
    return w.WriteVarInt(kFrameTypeMaxStreamData) && w.WriteVarInt(f.stream_id) &&
           w.WriteVarInt(f.maximum_stream_data);
  }
  bool operator()(const MaxStreamsFrame& f) const {
    return w.WriteVarInt(f.bidirectional ? kFrameTypeMaxStreamsBidi : kFrameTypeMaxStreamsUni) &&
           w.WriteVarInt(f.maximum_streams);
  }
  bool operator()(const DataBlockedFrame& f) const {
    return w.WriteVarInt(kFrameTypeDataBlocked) && w.WriteVarInt(f.maximum_data);
  }
  bool operator()(const StreamDataBlockedFrame& f) const {
    return w.WriteVarInt(kFrameTypeStreamDataBlocked) && w.WriteVarInt(f.stream_id) &&
           w.WriteVarInt(f.maximum_stream_data);
  }
  bool operator()(const StreamsBlockedFrame& f) const {
    return w.WriteVarInt(f.bidirectional ? kFrameTypeStreamsBlockedBidi
                                         : kFrameTypeStreamsBlockedUni) &&
           w.WriteVarInt(f.maximum_streams);
  }
  bool operator()(const NewConnectionIdFrame& f) const {
    return w.WriteVarInt(kFrameTypeNewConnectionId) && w.WriteVarInt(f.sequence_number) &&
           w.WriteVarInt(f.retire_prior_to) &&
           w.WriteUInt8(static_cast<uint8_t>(f.connection_id.length())) &&
           w.WriteBytes(f.connection_id.span()) &&
           w.WriteBytes(f.stateless_reset_token.data(), f.stateless_reset_token.size());
  }
  bool operator()(const RetireConnectionIdFrame& f) const {
    return w.WriteVarInt(kFrameTypeRetireConnectionId) && w.WriteVarInt(f.sequence_number);
  }
  bool operator()(const PathChallengeFrame& f) const {
    return w.WriteVarInt(kFrameTypePathChallenge) && w.WriteBytes(f.data.data(), f.data.size());
  }
  bool operator()(const PathResponseFrame& f) const {
    return w.WriteVarInt(kFrameTypePathResponse) && w.WriteBytes(f.data.data(), f.data.size());
  }
  bool operator()(const ConnectionCloseFrame& f) const {
    bool ok = w.WriteVarInt(f.is_application ? kFrameTypeConnectionCloseApplication
                                             : kFrameTypeConnectionCloseTransport) &&
              w.WriteVarInt(f.error_code);
    if (ok && !f.is_application) ok = w.WriteVarInt(f.frame_type);
    return ok && w.WriteVarInt(f.reason_phrase.size()) && w.WriteBytes(f.reason_phrase);
  }
  bool operator()(const HandshakeDoneFrame&) const {
    return w.WriteVarInt(kFrameTypeHandshakeDone);
  }
  bool operator()(const DatagramFrame& f) const {
    if (!f.has_length) return w.WriteVarInt(kFrameTypeDatagram) && w.WriteBytes(f.data);
    return w.WriteVarInt(kFrameTypeDatagramWithLength) && w.WriteVarInt(f.data.size()) &&
           w.WriteBytes(f.data);
  }
};

struct TypeOf {
  uint64_t operator()(const PaddingFrame&) const { return kFrameTypePadding; }
  uint64_t operator()(const PingFrame&) const { return kFrameTypePing; }
  uint64_t operator()(const AckFrame& f) const {
    return f.ecn.has_value() ? kFrameTypeAckEcn : kFrameTypeAck;
  }
  uint64_t operator()(const ResetStreamFrame&) const { return kFrameTypeResetStream; }
  uint64_t operator()(const StopSendingFrame&) const { return kFrameTypeStopSending; }
  uint64_t operator()(const CryptoFrame&) const { return kFrameTypeCrypto; }
  uint64_t operator()(const NewTokenFrame&) const { return kFrameTypeNewToken; }
  uint64_t operator()(const StreamFrame& f) const {
    return StreamType(f.offset, f.fin, f.has_length);
  }
  uint64_t operator()(const MaxDataFrame&) const { return kFrameTypeMaxData; }
  uint64_t operator()(const MaxStreamDataFrame&) const { return kFrameTypeMaxStreamData; }
  uint64_t operator()(const MaxStreamsFrame& f) const {
    return f.bidirectional ? kFrameTypeMaxStreamsBidi : kFrameTypeMaxStreamsUni;
  }
  uint64_t operator()(const DataBlockedFrame&) const { return kFrameTypeDataBlocked; }
  uint64_t operator()(const StreamDataBlockedFrame&) const { return kFrameTypeStreamDataBlocked; }
  uint64_t operator()(const StreamsBlockedFrame& f) const {
    return f.bidirectional ? kFrameTypeStreamsBlockedBidi : kFrameTypeStreamsBlockedUni;
  }
  uint64_t operator()(const NewConnectionIdFrame&) const { return kFrameTypeNewConnectionId; }
  uint64_t operator()(const RetireConnectionIdFrame&) const {
    return kFrameTypeRetireConnectionId;
  }
  uint64_t operator()(const PathChallengeFrame&) const { return kFrameTypePathChallenge; }
  uint64_t operator()(const PathResponseFrame&) const { return kFrameTypePathResponse; }
  uint64_t operator()(const ConnectionCloseFrame& f) const {
    return f.is_application ? kFrameTypeConnectionCloseApplication
                            : kFrameTypeConnectionCloseTransport;
  }
  uint64_t operator()(const HandshakeDoneFrame&) const { return kFrameTypeHandshakeDone; }
  uint64_t operator()(const DatagramFrame& f) const {
    return f.has_length ? kFrameTypeDatagramWithLength : kFrameTypeDatagram;
  }
};

}  // namespace

uint64_t FrameTypeOf(const Frame& frame) { return std::visit(TypeOf{}, frame); }

size_t EncodedSize(const Frame& frame) { return std::visit(SizeOf{}, frame); }

bool EncodeFrame(const Frame& frame, DataWriter& writer) {
  const size_t size = EncodedSize(frame);
  if (size == 0 || size > writer.remaining()) return false;
  return std::visit(WriteTo{writer}, frame);
}

size_t StreamFrameHeaderSize(uint64_t stream_id, uint64_t offset, size_t data_len,
                             bool with_length) {
  if (!EndWithinLimit(offset, data_len)) return 0;
  const size_t id_size = VarIntLength(stream_id);
  if (id_size == 0) return 0;
  return 1 + id_size + (offset != 0 ? VarIntLength(offset) : 0) +
         (with_length ? VarIntLength(data_len) : 0);
}

bool WriteStreamFrameHeader(DataWriter& writer, uint64_t stream_id, uint64_t offset,
                            size_t data_len, bool fin, bool with_length) {
  const size_t header = StreamFrameHeaderSize(stream_id, offset, data_len, with_length);
  if (header == 0 || writer.remaining() < header || writer.remaining() - header < data_len) {
    return false;
  }
  bool ok = writer.WriteVarInt(StreamType(offset, fin, with_length)) &&
            writer.WriteVarInt(stream_id);
  if (ok && offset != 0) ok = writer.WriteVarInt(offset);
  if (ok && with_length) ok = writer.WriteVarInt(data_len);
  return ok;
}

size_t MaxStreamDataThatFits(uint64_t stream_id, uint64_t offset, size_t budget,
                             bool with_length) {
  const size_t base = StreamFrameHeaderSize(stream_id, offset, 0, /*with_length=*/false);
  if (base == 0 || budget <= base) return 0;
  const size_t avail = budget - base;
  // §19.8: offset + length <= 2^62-1.
  const uint64_t by_offset = kMaxVarInt - offset;
  uint64_t best = 0;
  if (!with_length) {
    best = avail;
  } else {
    // Try each Length field size; a length that fits the field never needs more bytes than it.
    for (size_t field : {size_t{1}, size_t{2}, size_t{4}, size_t{8}}) {
      if (avail <= field) break;
      best = std::max<uint64_t>(best, std::min<uint64_t>(avail - field, MaxVarIntForLength(field)));
    }
  }
  return static_cast<size_t>(std::min(best, by_offset));
}

size_t CryptoFrameHeaderSize(uint64_t offset, size_t data_len) {
  if (!EndWithinLimit(offset, data_len)) return 0;
  return 1 + VarIntLength(offset) + VarIntLength(data_len);
}

bool WriteCryptoFrameHeader(DataWriter& writer, uint64_t offset, size_t data_len) {
  const size_t header = CryptoFrameHeaderSize(offset, data_len);
  if (header == 0 || writer.remaining() < header || writer.remaining() - header < data_len) {
    return false;
  }
  return writer.WriteVarInt(kFrameTypeCrypto) && writer.WriteVarInt(offset) &&
         writer.WriteVarInt(data_len);
}

size_t MaxCryptoDataThatFits(uint64_t offset, size_t budget) {
  if (offset > kMaxVarInt) return 0;
  const size_t base = 1 + VarIntLength(offset);
  if (budget <= base) return 0;
  const size_t avail = budget - base;
  uint64_t best = 0;
  for (size_t field : {size_t{1}, size_t{2}, size_t{4}, size_t{8}}) {
    if (avail <= field) break;
    best = std::max<uint64_t>(best, std::min<uint64_t>(avail - field, MaxVarIntForLength(field)));
  }
  return static_cast<size_t>(std::min<uint64_t>(best, kMaxVarInt - offset));
}

size_t AckFrameSizeForRanges(absl::Span<const AckRange> ranges, uint64_t ack_delay,
                             const std::optional<EcnCounts>& ecn) {
  const AckLayout layout =
      LayoutAck(ranges, ack_delay, ecn, std::numeric_limits<size_t>::max());
  return layout.ranges == ranges.size() ? layout.size : 0;
}

size_t AckRangesThatFit(absl::Span<const AckRange> ranges, uint64_t ack_delay,
                        const std::optional<EcnCounts>& ecn, size_t budget) {
  return LayoutAck(ranges, ack_delay, ecn, budget).ranges;
}

bool WriteAckFrame(DataWriter& writer, absl::Span<const AckRange> ranges, uint64_t ack_delay,
                   const std::optional<EcnCounts>& ecn) {
  const size_t size = AckFrameSizeForRanges(ranges, ack_delay, ecn);
  if (size == 0 || size > writer.remaining()) return false;
  return WriteAckPrefix(writer, ranges, ranges.size(), ack_delay, ecn);
}

size_t WriteAckFrameWithinBudget(DataWriter& writer, absl::Span<const AckRange> ranges,
                                 uint64_t ack_delay, const std::optional<EcnCounts>& ecn,
                                 size_t budget) {
  const AckLayout layout = LayoutAck(ranges, ack_delay, ecn, std::min(budget, writer.remaining()));
  if (layout.ranges == 0) return 0;
  return WriteAckPrefix(writer, ranges, layout.ranges, ack_delay, ecn) ? layout.ranges : 0;
}

}  // namespace kite::quic
