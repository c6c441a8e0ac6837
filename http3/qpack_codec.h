// FieldSectionCodec over kite's QPACK encoder and decoder (http3/qpack).
#ifndef KITE_HTTP3_QPACK_CODEC_H_
#define KITE_HTTP3_QPACK_CODEC_H_

#include <memory>

#include "http3/field_section_codec.h"
#include "http3/qpack/decoder.h"
#include "http3/qpack/encoder.h"

namespace kite::http3 {

class QpackCodec : public FieldSectionCodec {
 public:
  // `local` are the settings we advertise: the decoder enforces their table capacity,
  // blocked-stream count and field section size. `encoder_table_capacity` is how much table
  // our encoder is willing to use, whatever the peer allows.
  QpackCodec(const Settings& local, uint64_t encoder_table_capacity);

  void OnPeerSettings(const Settings& peer) override;
  std::vector<uint8_t> EncodeFieldSection(uint64_t stream_id, const HeaderList& fields) override;
  absl::StatusOr<std::optional<HeaderList>> DecodeFieldSection(
      uint64_t stream_id, absl::Span<const uint8_t> section) override;
  std::vector<std::pair<uint64_t, HeaderList>> TakeUnblockedSections() override;
  absl::Status OnEncoderStreamData(absl::Span<const uint8_t> data) override;
  absl::Status OnDecoderStreamData(absl::Span<const uint8_t> data) override;
  std::string TakeEncoderStreamData() override;
  std::string TakeDecoderStreamData() override;
  void CancelStream(uint64_t stream_id) override;

  const qpack::Encoder& encoder() const { return encoder_; }
  const qpack::Decoder& decoder() const { return decoder_; }

 private:
  qpack::Encoder encoder_;
  qpack::Decoder decoder_;
};

std::unique_ptr<FieldSectionCodec> MakeQpackCodec(const Settings& local,
                                                  uint64_t encoder_table_capacity);

}  // namespace kite::http3

#endif  // KITE_HTTP3_QPACK_CODEC_H_
