// What the HTTP/3 session needs from field compression (RFC 9114 §4.2.1, RFC 9204): encode and
// decode field sections per stream, consume the peer's encoder/decoder stream bytes and
// produce ours. The session owns the streams; the codec only sees bytes. QpackCodec
// (qpack_codec.h) is the implementation; tests may substitute their own.
#ifndef KITE_HTTP3_FIELD_SECTION_CODEC_H_
#define KITE_HTTP3_FIELD_SECTION_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "http3/header_field.h"
#include "http3/settings.h"

namespace kite::http3 {

class FieldSectionCodec {
 public:
  virtual ~FieldSectionCodec() = default;

  // The peer's settings that bound our encoder (its table capacity, blocked streams). Called
  // at most once: with the settings remembered for 0-RTT or with the first SETTINGS frame.
  virtual void OnPeerSettings(const Settings& peer) = 0;

  // Encodes one field section for `stream_id`; table updates it relies on are queued for
  // TakeEncoderStreamData, which the session sends before or with the section.
  virtual std::vector<uint8_t> EncodeFieldSection(uint64_t stream_id,
                                                  const HeaderList& fields) = 0;

  // Decodes one HEADERS payload. nullopt: blocked on encoder-stream inserts; the section is
  // kept and comes back from TakeUnblockedSections. Errors carry an Http3ErrorCode
  // (QPACK_DECOMPRESSION_FAILED, H3_EXCESSIVE_LOAD for a section above our limit).
  virtual absl::StatusOr<std::optional<HeaderList>> DecodeFieldSection(
      uint64_t stream_id, absl::Span<const uint8_t> section) = 0;
  virtual std::vector<std::pair<uint64_t, HeaderList>> TakeUnblockedSections() = 0;

  // The peer's encoder stream (feeds our decoder) and decoder stream (feeds our encoder).
  // Errors carry QPACK_ENCODER_STREAM_ERROR / QPACK_DECODER_STREAM_ERROR.
  virtual absl::Status OnEncoderStreamData(absl::Span<const uint8_t> data) = 0;
  virtual absl::Status OnDecoderStreamData(absl::Span<const uint8_t> data) = 0;
  // Bytes for our encoder and decoder streams.
  virtual std::string TakeEncoderStreamData() = 0;
  virtual std::string TakeDecoderStreamData() = 0;

  // RFC 9204 §2.2.2.2: a request stream was reset or abandoned before its sections were read.
  virtual void CancelStream(uint64_t stream_id) = 0;
};

}  // namespace kite::http3

#endif  // KITE_HTTP3_FIELD_SECTION_CODEC_H_
