#include "http3/qpack_codec.h"

#include <string>
#include <string_view>

#include "http3/error_code.h"
#include "http3/qpack/qpack_error.h"

namespace kite::http3 {
namespace {

qpack::EncoderConfig EncoderConfigFor(uint64_t capacity) {
  qpack::EncoderConfig c;
  c.max_table_capacity = capacity;
  return c;
}

qpack::DecoderConfig DecoderConfigFor(const Settings& local) {
  qpack::DecoderConfig c;
  c.max_table_capacity = local.qpack_max_table_capacity;
  c.max_blocked_streams = local.qpack_blocked_streams;
  // Unlimited on the wire means "as much as we can hold": bound it anyway.
  c.max_field_section_size = local.max_field_section_size.value_or(uint64_t{1} << 20);
  return c;
}

// QPACK statuses carry their own payload; turn them into HTTP/3 error statuses.
absl::Status Translate(const absl::Status& st) {
  if (st.ok()) return st;
  uint64_t code = qpack::GetQpackErrorCode(st);
  return Http3ErrorStatus(static_cast<Http3ErrorCode>(code), std::string(st.message()));
}

std::string_view AsView(absl::Span<const uint8_t> b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace

QpackCodec::QpackCodec(const Settings& local, uint64_t encoder_table_capacity)
    : encoder_(EncoderConfigFor(encoder_table_capacity)), decoder_(DecoderConfigFor(local)) {}

void QpackCodec::OnPeerSettings(const Settings& peer) {
  encoder_.OnPeerSettings(peer.qpack_max_table_capacity, peer.qpack_blocked_streams);
}

std::vector<uint8_t> QpackCodec::EncodeFieldSection(uint64_t stream_id,
                                                    const HeaderList& fields) {
  std::string s = encoder_.EncodeFieldSection(stream_id, fields);
  return std::vector<uint8_t>(s.begin(), s.end());
}

absl::StatusOr<std::optional<HeaderList>> QpackCodec::DecodeFieldSection(
    uint64_t stream_id, absl::Span<const uint8_t> section) {
  absl::StatusOr<std::optional<HeaderList>> r =
      decoder_.DecodeFieldSection(stream_id, AsView(section));
  if (!r.ok()) return Translate(r.status());
  return r;
}

std::vector<std::pair<uint64_t, HeaderList>> QpackCodec::TakeUnblockedSections() {
  std::vector<std::pair<uint64_t, HeaderList>> out;
  for (qpack::Decoder::UnblockedSection& u : decoder_.TakeUnblockedSections()) {
    out.emplace_back(u.stream_id, std::move(u.headers));
  }
  return out;
}

absl::Status QpackCodec::OnEncoderStreamData(absl::Span<const uint8_t> data) {
  return Translate(decoder_.OnEncoderStreamData(AsView(data)));
}

absl::Status QpackCodec::OnDecoderStreamData(absl::Span<const uint8_t> data) {
  return Translate(encoder_.OnDecoderStreamData(AsView(data)));
}

std::string QpackCodec::TakeEncoderStreamData() { return encoder_.TakeEncoderStreamData(); }
std::string QpackCodec::TakeDecoderStreamData() { return decoder_.TakeDecoderStreamData(); }
void QpackCodec::CancelStream(uint64_t stream_id) { decoder_.CancelStream(stream_id); }

std::unique_ptr<FieldSectionCodec> MakeQpackCodec(const Settings& local,
                                                  uint64_t encoder_table_capacity) {
  return std::make_unique<QpackCodec>(local, encoder_table_capacity);
}

}  // namespace kite::http3
