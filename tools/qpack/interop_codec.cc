#include "tools/qpack/interop_codec.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "http3/qpack/decoder.h"
#include "http3/qpack/encoder.h"

namespace kite::tools::qpack {

using http3::qpack::Decoder;
using http3::qpack::DecoderConfig;
using http3::qpack::Encoder;
using http3::qpack::EncoderConfig;
using http3::qpack::HeaderList;

absl::StatusOr<std::vector<DecodedSection>> DecodeRecords(const std::vector<EncodedRecord>& records,
                                                          const InteropSettings& settings) {
  DecoderConfig config;
  config.max_table_capacity = settings.table_size;
  config.max_blocked_streams = settings.max_blocked;
  config.initial_table_capacity = settings.table_size;
  Decoder decoder(config);
  std::vector<DecodedSection> out;
  for (const EncodedRecord& record : records) {
    if (record.stream_id == 0) {
      absl::Status status = decoder.OnEncoderStreamData(record.data);
      if (!status.ok()) return status;
      for (auto& s : decoder.TakeUnblockedSections()) {
        out.push_back(DecodedSection{s.stream_id, std::move(s.headers)});
      }
      continue;
    }
    absl::StatusOr<std::optional<HeaderList>> headers =
        decoder.DecodeFieldSection(record.stream_id, record.data);
    if (!headers.ok()) return headers.status();
    if (headers->has_value()) out.push_back(DecodedSection{record.stream_id, std::move(**headers)});
  }
  if (decoder.has_incomplete_encoder_instruction()) {
    return absl::InvalidArgumentError("the encoder stream ends inside an instruction");
  }
  if (decoder.blocked_stream_count() > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(decoder.blocked_stream_count(), " streams still blocked at the end"));
  }
  std::stable_sort(out.begin(), out.end(), [](const DecodedSection& a, const DecodedSection& b) {
    return a.stream_id < b.stream_id;
  });
  return out;
}

absl::StatusOr<EncodeResult> EncodeLists(const std::vector<HeaderList>& lists,
                                         const InteropSettings& settings) {
  EncoderConfig encoder_config;
  encoder_config.max_table_capacity = settings.table_size;
  Encoder encoder(encoder_config);
  encoder.OnPeerSettings(settings.table_size, settings.max_blocked);
  // With immediate acknowledgments a decoder runs alongside and its decoder stream goes
  // straight back to the encoder.
  DecoderConfig decoder_config;
  decoder_config.max_table_capacity = settings.table_size;
  decoder_config.max_blocked_streams = settings.max_blocked;
  Decoder decoder(decoder_config);

  EncodeResult result;
  for (size_t i = 0; i < lists.size(); ++i) {
    const uint64_t stream_id = i + 1;
    for (const auto& f : lists[i]) result.plain_bytes += f.name.size() + f.value.size();
    const std::string section = encoder.EncodeFieldSection(stream_id, lists[i]);
    const std::string updates = encoder.TakeEncoderStreamData();
    AppendEncodedRecord(stream_id, section, &result.file);
    result.section_bytes += section.size();
    if (!updates.empty()) {
      AppendEncodedRecord(0, updates, &result.file);
      result.encoder_stream_bytes += updates.size();
    }
    if (settings.immediate_ack) {
      absl::StatusOr<std::optional<HeaderList>> decoded =
          decoder.DecodeFieldSection(stream_id, section);
      if (!decoded.ok()) return decoded.status();
      absl::Status status = decoder.OnEncoderStreamData(updates);
      if (!status.ok()) return status;
      decoder.TakeUnblockedSections();
      status = encoder.OnDecoderStreamData(decoder.TakeDecoderStreamData());
      if (!status.ok()) return status;
    }
  }
  return result;
}

}  // namespace kite::tools::qpack
