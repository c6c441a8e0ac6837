#include "http3/settings.h"

#include "absl/container/flat_hash_set.h"
#include "http3/error_code.h"
#include "quic/codec/data_reader.h"

namespace kite::http3 {

SettingsFrame ToSettingsFrame(const Settings& s, std::optional<uint64_t> grease_n) {
  SettingsFrame f;
  if (s.qpack_max_table_capacity != 0) {
    f.parameters.emplace_back(kSettingQpackMaxTableCapacity, s.qpack_max_table_capacity);
  }
  if (s.max_field_section_size.has_value()) {
    f.parameters.emplace_back(kSettingMaxFieldSectionSize, *s.max_field_section_size);
  }
  if (s.qpack_blocked_streams != 0) {
    f.parameters.emplace_back(kSettingQpackBlockedStreams, s.qpack_blocked_streams);
  }
  if (s.enable_connect_protocol) f.parameters.emplace_back(kSettingEnableConnectProtocol, 1);
  if (s.h3_datagram) f.parameters.emplace_back(kSettingH3Datagram, 1);
  if (grease_n.has_value()) {
    // The value carries no meaning (§7.2.4.1); vary it with N so it is not a constant.
    f.parameters.emplace_back(0x1f * *grease_n + 0x21, *grease_n * 7 + 1);
  }
  return f;
}

absl::StatusOr<Settings> ParseSettingsFrame(const SettingsFrame& frame) {
  if (frame.parameters.size() > kMaxSettingsParameters) {
    return Http3ErrorStatus(Http3ErrorCode::kExcessiveLoad, "too many SETTINGS parameters");
  }
  Settings s;
  absl::flat_hash_set<uint64_t> seen;
  for (const auto& [id, value] : frame.parameters) {
    // §7.2.4: the same identifier MUST NOT occur more than once.
    if (!seen.insert(id).second) {
      return Http3ErrorStatus(Http3ErrorCode::kSettingsError, "duplicate setting");
    }
    if (IsHttp2OnlySettingId(id) || id == 0x00) {
      // 0x00 is reserved as well (§11.2.2), and no HTTP/3 setting uses it.
      return Http3ErrorStatus(Http3ErrorCode::kSettingsError, "HTTP/2 setting");
    }
    switch (id) {
      case kSettingQpackMaxTableCapacity: s.qpack_max_table_capacity = value; break;
      case kSettingQpackBlockedStreams: s.qpack_blocked_streams = value; break;
      case kSettingMaxFieldSectionSize: s.max_field_section_size = value; break;
      case kSettingEnableConnectProtocol:
        // RFC 8441 §3 (by way of RFC 9220 §3): 0 or 1.
        if (value > 1) {
          return Http3ErrorStatus(Http3ErrorCode::kSettingsError,
                                  "ENABLE_CONNECT_PROTOCOL other than 0/1");
        }
        s.enable_connect_protocol = value == 1;
        break;
      case kSettingH3Datagram:
        // RFC 9297 §2.1.1: any other value is H3_SETTINGS_ERROR.
        if (value > 1) {
          return Http3ErrorStatus(Http3ErrorCode::kSettingsError, "H3_DATAGRAM other than 0/1");
        }
        s.h3_datagram = value == 1;
        break;
      default:
        break;  // §7.2.4: unknown (and reserved) identifiers are ignored
    }
  }
  return s;
}

bool SettingsCompatibleWithRemembered(const Settings& remembered, const Settings& current) {
  if (current.qpack_max_table_capacity < remembered.qpack_max_table_capacity) return false;
  if (current.qpack_blocked_streams < remembered.qpack_blocked_streams) return false;
  if (remembered.max_field_section_size.has_value()) {
    // A limit may rise or disappear, never drop.
    if (current.max_field_section_size.has_value() &&
        *current.max_field_section_size < *remembered.max_field_section_size) {
      return false;
    }
  } else if (current.max_field_section_size.has_value()) {
    return false;  // unlimited before, limited now
  }
  if (remembered.enable_connect_protocol && !current.enable_connect_protocol) return false;
  if (remembered.h3_datagram && !current.h3_datagram) return false;
  return true;
}

std::vector<uint8_t> SerializeSettingsForTicket(const Settings& settings) {
  std::vector<uint8_t> out = EncodeFrame(ToSettingsFrame(settings, std::nullopt));
  return out;
}

absl::StatusOr<Settings> ParseSettingsFromTicket(absl::Span<const uint8_t> bytes) {
  // A whole SETTINGS frame: type, length, payload.
  if (bytes.empty() || bytes[0] != kFrameSettings) {
    return Http3ErrorStatus(Http3ErrorCode::kSettingsError, "ticket holds no SETTINGS");
  }
  quic::DataReader r(bytes.subspan(1));
  uint64_t len = 0;
  if (!r.ReadVarInt(&len) || len != r.remaining()) {
    return Http3ErrorStatus(Http3ErrorCode::kSettingsError, "ticket SETTINGS truncated");
  }
  absl::StatusOr<Frame> f = DecodeFramePayload(kFrameSettings, r.ReadRemaining());
  if (!f.ok()) return f.status();
  return ParseSettingsFrame(std::get<SettingsFrame>(*f));
}

}  // namespace kite::http3
