#include "quic/codec/frame_decoder.h"

#include <cstddef>
#include <utility>
#include <variant>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/utility/utility.h"
#include "quic/codec/frame_rules.h"
#include "quic/codec/frame_type.h"
#include "quic/codec/transport_error.h"
#include "quic/codec/varint.h"

namespace kite::quic {
namespace {

// Out of line and marked cold: the error paths stay out of the inlined field readers.
ABSL_ATTRIBUTE_NOINLINE ABSL_ATTRIBUTE_COLD absl::Status EncodingError(uint64_t type,
                                                                       std::string_view what) {
  return TransportErrorStatus(TransportErrorCode::kFrameEncodingError, what, type);
}

// RFC 9000 §12.4: a frame type MUST use its shortest encoding; kite treats a longer one as a
// PROTOCOL_VIOLATION, as the RFC allows.
absl::Status ReadFrameType(DataReader& r, uint64_t* type) {
  uint8_t first = 0;
  if (!r.PeekUInt8(&first)) {
    return TransportErrorStatus(TransportErrorCode::kFrameEncodingError, "missing frame type");
  }
  const size_t encoded_length = VarIntLengthFromFirstByte(first);
  if (!r.ReadVarInt(type)) {
    return TransportErrorStatus(TransportErrorCode::kFrameEncodingError, "truncated frame type");
  }
  if (VarIntLength(*type) != encoded_length) {
    return TransportErrorStatus(TransportErrorCode::kProtocolViolation,
                                "frame type not in its shortest encoding", *type);
  }
  return absl::OkStatus();
}

// Reads a varint field or fails with FRAME_ENCODING_ERROR naming the frame type. Inlined: it
// runs for every field of every frame, and the OK status then costs nothing.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline absl::Status ReadField(DataReader& r, uint64_t type,
                                                           uint64_t* out) {
  if (ABSL_PREDICT_FALSE(!r.ReadVarInt(out))) return EncodingError(type, "truncated frame field");
  return absl::OkStatus();
}

// Reads a Length field followed by that many bytes, the length bounded by the input.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline absl::Status ReadLengthPrefixed(
    DataReader& r, uint64_t type, absl::Span<const uint8_t>* out) {
  uint64_t length = 0;
  if (ABSL_PREDICT_FALSE(!r.ReadVarInt(&length))) return EncodingError(type, "truncated length");
  if (ABSL_PREDICT_FALSE(length > r.remaining())) {
    return EncodingError(type, "length exceeds packet");
  }
  r.ReadBytes(static_cast<size_t>(length), out);
  return absl::OkStatus();
}

// RFC 9000 §19.1: consecutive PADDING bytes collapse into one frame.
absl::Status DecodePadding(uint64_t, DataReader& r, PaddingFrame& f) {
  absl::Span<const uint8_t> rest = r.PeekRemaining();
  size_t run = 0;
  while (run < rest.size() && rest[run] == 0x00) ++run;
  r.Skip(run);
  f.length = 1 + run;
  return absl::OkStatus();
}

// RFC 9000 §19.3.
absl::Status DecodeAck(uint64_t type, DataReader& r, AckFrame& f) {
  uint64_t largest = 0, range_count = 0, first_range = 0;
  absl::Status s;
  if (!(s = ReadField(r, type, &largest)).ok()) return s;
  if (!(s = ReadField(r, type, &f.ack_delay)).ok()) return s;
  if (!(s = ReadField(r, type, &range_count)).ok()) return s;
  if (!(s = ReadField(r, type, &first_range)).ok()) return s;
  // §19.3.1: smallest = largest - First ACK Range, which must not go below zero.
  if (first_range > largest) return EncodingError(type, "ACK range below packet number 0");
  uint64_t smallest = largest - first_range;
  f.ranges.clear();
  f.ranges.push_back(AckRange{smallest, largest});
  // Each further range is a Gap and a Length, at least two bytes: a count the input cannot hold
  // is rejected before looping over it.
  if (range_count > r.remaining() / 2) return EncodingError(type, "ACK range count exceeds packet");
  for (uint64_t i = 0; i < range_count; ++i) {
    uint64_t gap = 0, length = 0;
    if (!(s = ReadField(r, type, &gap)).ok()) return s;
    if (!(s = ReadField(r, type, &length)).ok()) return s;
    // largest = previous_smallest - gap - 2; gap <= 2^62-1 so gap + 2 cannot overflow.
    if (gap + 2 > smallest) return EncodingError(type, "ACK range below packet number 0");
    const uint64_t range_largest = smallest - gap - 2;
    if (length > range_largest) return EncodingError(type, "ACK range below packet number 0");
    smallest = range_largest - length;
    // Beyond kMaxAckRanges, ranges are validated but dropped: they are the oldest.
    f.ranges.push_back(AckRange{smallest, range_largest});
  }
  if (type == kFrameTypeAckEcn) {
    EcnCounts ecn;
    if (!(s = ReadField(r, type, &ecn.ect0)).ok()) return s;
    if (!(s = ReadField(r, type, &ecn.ect1)).ok()) return s;
    if (!(s = ReadField(r, type, &ecn.ecn_ce)).ok()) return s;
    f.ecn = ecn;
  } else {
    f.ecn.reset();
  }
  return absl::OkStatus();
}

// RFC 9000 §19.4.
absl::Status DecodeResetStream(uint64_t type, DataReader& r, ResetStreamFrame& f) {
  absl::Status s;
  if (!(s = ReadField(r, type, &f.stream_id)).ok()) return s;
  if (!(s = ReadField(r, type, &f.application_error_code)).ok()) return s;
  return ReadField(r, type, &f.final_size);
}

// RFC 9000 §19.5.
absl::Status DecodeStopSending(uint64_t type, DataReader& r, StopSendingFrame& f) {
  absl::Status s;
  if (!(s = ReadField(r, type, &f.stream_id)).ok()) return s;
  return ReadField(r, type, &f.application_error_code);
}

// RFC 9000 §19.6: the end offset of CRYPTO data cannot exceed 2^62-1.
absl::Status DecodeCrypto(uint64_t type, DataReader& r, CryptoFrame& f) {
  absl::Status s;
  if (!(s = ReadField(r, type, &f.offset)).ok()) return s;
  if (!(s = ReadLengthPrefixed(r, type, &f.data)).ok()) return s;
  if (f.data.size() > kMaxVarInt - f.offset) {
    return EncodingError(type, "CRYPTO data ends beyond 2^62-1");
  }
  return absl::OkStatus();
}

// RFC 9000 §19.7: an empty token is a FRAME_ENCODING_ERROR.
absl::Status DecodeNewToken(uint64_t type, DataReader& r, NewTokenFrame& f) {
  absl::Status s;
  if (!(s = ReadLengthPrefixed(r, type, &f.token)).ok()) return s;
  if (f.token.empty()) return EncodingError(type, "empty NEW_TOKEN");
  return absl::OkStatus();
}

// RFC 9000 §19.8: OFF/LEN/FIN in the type's low bits; without LEN the data runs to the end of the
// packet; offset + length cannot exceed 2^62-1.
absl::Status DecodeStream(uint64_t type, DataReader& r, StreamFrame& f) {
  absl::Status s;
  if (!(s = ReadField(r, type, &f.stream_id)).ok()) return s;
  f.offset = 0;
  if ((type & kStreamFrameBitOff) != 0) {
    if (!(s = ReadField(r, type, &f.offset)).ok()) return s;
  }
  f.has_length = (type & kStreamFrameBitLen) != 0;
  if (f.has_length) {
    if (!(s = ReadLengthPrefixed(r, type, &f.data)).ok()) return s;
  } else {
    f.data = r.ReadRemaining();
  }
  f.fin = (type & kStreamFrameBitFin) != 0;
  if (f.data.size() > kMaxVarInt - f.offset) {
    return EncodingError(type, "STREAM data ends beyond 2^62-1");
  }
  return absl::OkStatus();
}

// RFC 9000 §19.9, §19.12.
absl::Status DecodeMaxData(uint64_t type, DataReader& r, MaxDataFrame& f) {
  return ReadField(r, type, &f.maximum_data);
}
absl::Status DecodeDataBlocked(uint64_t type, DataReader& r, DataBlockedFrame& f) {
  return ReadField(r, type, &f.maximum_data);
}

// RFC 9000 §19.10, §19.13.
absl::Status DecodeMaxStreamData(uint64_t type, DataReader& r, MaxStreamDataFrame& f) {
  absl::Status s;
  if (!(s = ReadField(r, type, &f.stream_id)).ok()) return s;
  return ReadField(r, type, &f.maximum_stream_data);
}
absl::Status DecodeStreamDataBlocked(uint64_t type, DataReader& r, StreamDataBlockedFrame& f) {
  absl::Status s;
  if (!(s = ReadField(r, type, &f.stream_id)).ok()) return s;
  return ReadField(r, type, &f.maximum_stream_data);
}

// RFC 9000 §19.11, §19.14: a stream count above 2^60 is a FRAME_ENCODING_ERROR.
absl::Status ReadStreamCount(uint64_t type, DataReader& r, uint64_t* count) {
  absl::Status s;
  if (!(s = ReadField(r, type, count)).ok()) return s;
  if (*count > kMaxStreamCount) return EncodingError(type, "stream count exceeds 2^60");
  return absl::OkStatus();
}
absl::Status DecodeMaxStreams(uint64_t type, DataReader& r, MaxStreamsFrame& f) {
  f.bidirectional = type == kFrameTypeMaxStreamsBidi;
  return ReadStreamCount(type, r, &f.maximum_streams);
}
absl::Status DecodeStreamsBlocked(uint64_t type, DataReader& r, StreamsBlockedFrame& f) {
  f.bidirectional = type == kFrameTypeStreamsBlockedBidi;
  return ReadStreamCount(type, r, &f.maximum_streams);
}

// RFC 9000 §19.15.
absl::Status DecodeNewConnectionId(uint64_t type, DataReader& r, NewConnectionIdFrame& f) {
  absl::Status s;
  if (!(s = ReadField(r, type, &f.sequence_number)).ok()) return s;
  if (!(s = ReadField(r, type, &f.retire_prior_to)).ok()) return s;
  uint8_t length = 0;
  if (!r.ReadUInt8(&length)) return EncodingError(type, "truncated connection ID length");
  if (length < 1 || length > kMaxConnectionIdLength) {
    return EncodingError(type, "NEW_CONNECTION_ID length outside 1..20");
  }
  absl::Span<const uint8_t> id;
  if (!r.ReadBytes(length, &id)) return EncodingError(type, "truncated connection ID");
  f.connection_id = ConnectionId(id);
  if (!r.CopyBytes(kStatelessResetTokenLength, f.stateless_reset_token.data())) {
    return EncodingError(type, "truncated stateless reset token");
  }
  if (f.retire_prior_to > f.sequence_number) {
    return EncodingError(type, "Retire Prior To exceeds Sequence Number");
  }
  return absl::OkStatus();
}

// RFC 9000 §19.16.
absl::Status DecodeRetireConnectionId(uint64_t type, DataReader& r, RetireConnectionIdFrame& f) {
  return ReadField(r, type, &f.sequence_number);
}

// RFC 9000 §19.17, §19.18.
absl::Status ReadPathData(uint64_t type, DataReader& r, PathChallengeData* data) {
  if (!r.CopyBytes(kPathChallengeDataLength, data->data())) {
    return EncodingError(type, "truncated path data");
  }
  return absl::OkStatus();
}
absl::Status DecodePathChallenge(uint64_t type, DataReader& r, PathChallengeFrame& f) {
  return ReadPathData(type, r, &f.data);
}
absl::Status DecodePathResponse(uint64_t type, DataReader& r, PathResponseFrame& f) {
  return ReadPathData(type, r, &f.data);
}

// RFC 9000 §19.19.
absl::Status DecodeConnectionClose(uint64_t type, DataReader& r, ConnectionCloseFrame& f) {
  absl::Status s;
  f.is_application = type == kFrameTypeConnectionCloseApplication;
  if (!(s = ReadField(r, type, &f.error_code)).ok()) return s;
  f.frame_type = 0;
  if (!f.is_application) {
    if (!(s = ReadField(r, type, &f.frame_type)).ok()) return s;
  }
  return ReadLengthPrefixed(r, type, &f.reason_phrase);
}

// RFC 9221 §4.
absl::Status DecodeDatagram(uint64_t type, DataReader& r, DatagramFrame& f) {
  f.has_length = type == kFrameTypeDatagramWithLength;
  if (f.has_length) return ReadLengthPrefixed(r, type, &f.data);
  f.data = r.ReadRemaining();
  return absl::OkStatus();
}

absl::Status DecodeNothing(uint64_t, DataReader&, PingFrame&) { return absl::OkStatus(); }
absl::Status DecodeNothingHd(uint64_t, DataReader&, HandshakeDoneFrame&) {
  return absl::OkStatus();
}

// Switches `out` to alternative F (default-constructed, which for an ACK does not touch the
// range array) and decodes the body into it: no StatusOr<Frame> is built or moved per frame.
template <typename F>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline absl::Status DecodeInto(
    uint64_t type, DataReader& r, Frame& out, absl::Status (*decode)(uint64_t, DataReader&, F&)) {
  return decode(type, r, out.emplace<F>());
}

// Decodes the body of a frame of type `type` (already read) into `out`. On error `out` holds
// an unspecified alternative.
absl::Status DecodeFrameBody(uint64_t type, DataReader& r, Frame& out) {
  if (IsStreamFrameType(type)) return DecodeInto<StreamFrame>(type, r, out, DecodeStream);
  switch (type) {
    case kFrameTypePadding: return DecodeInto<PaddingFrame>(type, r, out, DecodePadding);
    case kFrameTypePing: return DecodeInto<PingFrame>(type, r, out, DecodeNothing);
    case kFrameTypeAck:
    case kFrameTypeAckEcn: return DecodeInto<AckFrame>(type, r, out, DecodeAck);
    case kFrameTypeResetStream:
      return DecodeInto<ResetStreamFrame>(type, r, out, DecodeResetStream);
    case kFrameTypeStopSending:
      return DecodeInto<StopSendingFrame>(type, r, out, DecodeStopSending);
    case kFrameTypeCrypto: return DecodeInto<CryptoFrame>(type, r, out, DecodeCrypto);
    case kFrameTypeNewToken: return DecodeInto<NewTokenFrame>(type, r, out, DecodeNewToken);
    case kFrameTypeMaxData: return DecodeInto<MaxDataFrame>(type, r, out, DecodeMaxData);
    case kFrameTypeMaxStreamData:
      return DecodeInto<MaxStreamDataFrame>(type, r, out, DecodeMaxStreamData);
    case kFrameTypeMaxStreamsBidi:
    case kFrameTypeMaxStreamsUni:
      return DecodeInto<MaxStreamsFrame>(type, r, out, DecodeMaxStreams);
    case kFrameTypeDataBlocked:
      return DecodeInto<DataBlockedFrame>(type, r, out, DecodeDataBlocked);
    case kFrameTypeStreamDataBlocked:
      return DecodeInto<StreamDataBlockedFrame>(type, r, out, DecodeStreamDataBlocked);
    case kFrameTypeStreamsBlockedBidi:
    case kFrameTypeStreamsBlockedUni:
      return DecodeInto<StreamsBlockedFrame>(type, r, out, DecodeStreamsBlocked);
    case kFrameTypeNewConnectionId:
      return DecodeInto<NewConnectionIdFrame>(type, r, out, DecodeNewConnectionId);
    case kFrameTypeRetireConnectionId:
      return DecodeInto<RetireConnectionIdFrame>(type, r, out, DecodeRetireConnectionId);
    case kFrameTypePathChallenge:
      return DecodeInto<PathChallengeFrame>(type, r, out, DecodePathChallenge);
    case kFrameTypePathResponse:
      return DecodeInto<PathResponseFrame>(type, r, out, DecodePathResponse);
    case kFrameTypeConnectionCloseTransport:
    case kFrameTypeConnectionCloseApplication:
      return DecodeInto<ConnectionCloseFrame>(type, r, out, DecodeConnectionClose);
    case kFrameTypeHandshakeDone:
      return DecodeInto<HandshakeDoneFrame>(type, r, out, DecodeNothingHd);
    case kFrameTypeDatagram:
    case kFrameTypeDatagramWithLength:
      return DecodeInto<DatagramFrame>(type, r, out, DecodeDatagram);
    default: break;
  }
  // RFC 9000 §12.4: an unknown frame type is a FRAME_ENCODING_ERROR.
  return EncodingError(type, "unknown frame type");
}

}  // namespace

absl::StatusOr<Frame> DecodeFrame(DataReader& reader) {
  uint64_t type = 0;
  absl::Status s = ReadFrameType(reader, &type);
  if (!s.ok()) return s;
  // Built in place inside the result, so a large ACK is not copied on return.
  // Started as an AckFrame: constructing a Frame as any alternative with an implicit default
  // constructor zero-fills the whole (ACK-sized) variant.
  absl::StatusOr<Frame> result(absl::in_place, std::in_place_type<AckFrame>);
  s = DecodeFrameBody(type, reader, *result);
  if (!s.ok()) return s;
  return result;
}

absl::Status DecodeFrames(absl::Span<const uint8_t> payload, PacketType packet_type,
                          FrameCallback on_frame) {
  // RFC 9000 §12.4: a packet MUST contain at least one frame.
  if (payload.empty()) {
    return TransportErrorStatus(TransportErrorCode::kProtocolViolation, "packet has no frames");
  }
  DataReader reader(payload);
  // One Frame reused for every frame of the payload; each decode switches its alternative.
  // Started as an AckFrame: constructing a Frame as any alternative with an implicit default
  // constructor (value-initialization) zero-fills the whole ACK-sized variant.
  Frame frame(std::in_place_type<AckFrame>);
  while (!reader.empty()) {
    uint64_t type = 0;
    absl::Status s = ReadFrameType(reader, &type);
    if (!s.ok()) return s;
    // Unknown types fall through to the body decoder's FRAME_ENCODING_ERROR.
    if (IsKnownFrameType(type) && !FrameAllowedInPacket(type, packet_type)) {
      return TransportErrorStatus(TransportErrorCode::kProtocolViolation,
                                  "frame type not allowed in this packet type", type);
    }
    s = DecodeFrameBody(type, reader, frame);
    if (!s.ok()) return s;
    s = on_frame(frame);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace kite::quic
