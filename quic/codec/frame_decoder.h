// Decoding of QUIC frames from a decrypted packet payload (RFC 9000 §12.4, §19; RFC 9221 §4).
//
// Decoding copies no payload bytes and never allocates: data-bearing frames point into the input.
// Every error is a transport error status (quic/codec/transport_error.h) that records the frame
// type, ready to become a CONNECTION_CLOSE.
#ifndef KITE_QUIC_CODEC_FRAME_DECODER_H_
#define KITE_QUIC_CODEC_FRAME_DECODER_H_

#include <cstdint>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "quic/codec/data_reader.h"
#include "quic/codec/frames.h"
#include "quic/codec/packet_type.h"

namespace kite::quic {

// Decodes one frame at the reader's position and advances past it. A run of PADDING bytes is
// consumed whole as one PaddingFrame. Errors:
//  - PROTOCOL_VIOLATION: the frame type is not in its shortest varint encoding (§12.4);
//  - FRAME_ENCODING_ERROR: unknown type, truncated or malformed fields, or a value out of the
//    range §19 allows (ACK below packet number 0, STREAM/CRYPTO end beyond 2^62-1, stream counts
//    above 2^60, NEW_CONNECTION_ID length outside 1..20 or Retire Prior To above the sequence
//    number, empty NEW_TOKEN).
// After an error the reader's position is unspecified (the connection is closing anyway).
absl::StatusOr<Frame> DecodeFrame(DataReader& reader);

// Called for each frame of a payload, in order; a non-OK return stops the walk and is returned.
using FrameCallback = absl::FunctionRef<absl::Status(const Frame&)>;

// Decodes every frame of a decrypted packet payload of type `packet_type`, checking each against
// RFC 9000 §12.4 Table 3 (PROTOCOL_VIOLATION, before the frame's body is parsed), and calls
// `on_frame` for each. A payload with no frames is a PROTOCOL_VIOLATION (§12.4).
absl::Status DecodeFrames(absl::Span<const uint8_t> payload, PacketType packet_type,
                          FrameCallback on_frame);

}  // namespace kite::quic

#endif  // KITE_QUIC_CODEC_FRAME_DECODER_H_
