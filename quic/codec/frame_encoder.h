// Encoding of QUIC frames (RFC 9000 §19, RFC 9221 §4) and the size arithmetic the packet builder
// and the ACK generator need. Every write either fits entirely or leaves the writer untouched.
#ifndef KITE_QUIC_CODEC_FRAME_ENCODER_H_
#define KITE_QUIC_CODEC_FRAME_ENCODER_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/types/span.h"
#include "quic/codec/data_writer.h"
#include "quic/codec/frames.h"

namespace kite::quic {

// The frame type EncodeFrame writes for `frame` (e.g. a STREAM frame's flag bits: OFF when the
// offset is non-zero, LEN when has_length, FIN when fin).
uint64_t FrameTypeOf(const Frame& frame);

// Exact number of bytes EncodeFrame writes for `frame`, or 0 if the frame cannot be encoded (a
// field above 2^62-1, a STREAM/CRYPTO end beyond 2^62-1, a stream count above 2^60, an empty
// ACK range list or ranges not strictly descending with gaps, a connection ID of length 0 or over
// 20, an empty NEW_TOKEN, a zero-length PADDING).
size_t EncodedSize(const Frame& frame);

// Writes `frame`; false (nothing written) if it cannot be encoded or does not fit.
bool EncodeFrame(const Frame& frame, DataWriter& writer);

// --- STREAM (RFC 9000 §19.8), for copying stream bytes straight after the header. ---

// Bytes of a STREAM frame header (type, Stream ID, Offset if non-zero, Length if `with_length`);
// 0 if a field cannot be encoded.
size_t StreamFrameHeaderSize(uint64_t stream_id, uint64_t offset, size_t data_len,
                             bool with_length);
// Writes a STREAM frame header for `data_len` bytes that the caller writes next. False (nothing
// written) unless the header and the `data_len` bytes both fit in `writer` and
// offset + data_len <= 2^62-1.
bool WriteStreamFrameHeader(DataWriter& writer, uint64_t stream_id, uint64_t offset,
                            size_t data_len, bool fin, bool with_length);
// The most stream bytes a STREAM frame can carry within `budget` bytes (header included); 0 if not
// even one byte fits. A FIN-only frame needs StreamFrameHeaderSize(id, offset, 0, ...) bytes.
size_t MaxStreamDataThatFits(uint64_t stream_id, uint64_t offset, size_t budget,
                             bool with_length);

// --- CRYPTO (RFC 9000 §19.6). ---

size_t CryptoFrameHeaderSize(uint64_t offset, size_t data_len);
bool WriteCryptoFrameHeader(DataWriter& writer, uint64_t offset, size_t data_len);
size_t MaxCryptoDataThatFits(uint64_t offset, size_t budget);

// --- ACK / ACK_ECN (RFC 9000 §19.3) from descending ranges. ---

// Exact size of an ACK frame carrying all of `ranges` (descending, ranges[0] the highest, each
// next range at least one packet number below the previous: next.largest + 2 <= prev.smallest);
// 0 if the ranges are empty or invalid, or a value exceeds 2^62-1.
size_t AckFrameSizeForRanges(absl::Span<const AckRange> ranges, uint64_t ack_delay,
                             const std::optional<EcnCounts>& ecn);
// How many leading (highest) ranges fit in `budget` bytes; 0 if not even the first fits or the
// input is invalid.
size_t AckRangesThatFit(absl::Span<const AckRange> ranges, uint64_t ack_delay,
                        const std::optional<EcnCounts>& ecn, size_t budget);
// Writes an ACK (or ACK_ECN when `ecn` is set) carrying all of `ranges`; false (nothing written)
// if invalid or it does not fit.
bool WriteAckFrame(DataWriter& writer, absl::Span<const AckRange> ranges, uint64_t ack_delay,
                   const std::optional<EcnCounts>& ecn);
// Writes an ACK carrying as many of the highest ranges as fit in min(budget, writer.remaining()),
// dropping the oldest. Returns the number of ranges written; 0 means nothing was written.
size_t WriteAckFrameWithinBudget(DataWriter& writer, absl::Span<const AckRange> ranges,
                                 uint64_t ack_delay, const std::optional<EcnCounts>& ecn,
                                 size_t budget);

}  // namespace kite::quic

#endif  // KITE_QUIC_CODEC_FRAME_ENCODER_H_
