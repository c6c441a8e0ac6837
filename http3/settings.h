// HTTP/3 SETTINGS (RFC 9114 §7.2.4) with the parameters kite understands: QPACK's (RFC 9204
// §5), MAX_FIELD_SECTION_SIZE, ENABLE_CONNECT_PROTOCOL (RFC 9220 §3, RFC 8441 §3) and
// H3_DATAGRAM (RFC 9297 §2.1.1).
#ifndef KITE_HTTP3_SETTINGS_H_
#define KITE_HTTP3_SETTINGS_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "http3/frames.h"

namespace kite::http3 {

inline constexpr uint64_t kSettingQpackMaxTableCapacity = 0x01;
inline constexpr uint64_t kSettingMaxFieldSectionSize = 0x06;
inline constexpr uint64_t kSettingQpackBlockedStreams = 0x07;
inline constexpr uint64_t kSettingEnableConnectProtocol = 0x08;
inline constexpr uint64_t kSettingH3Datagram = 0x33;

// RFC 9114 §7.2.4.1: reserved identifiers 0x1f * N + 0x21 ("grease").
constexpr bool IsReservedSettingId(uint64_t id) { return id >= 0x21 && (id - 0x21) % 0x1f == 0; }
// RFC 9114 §7.2.4.1, §11.2.2: HTTP/2 settings without an HTTP/3 counterpart.
constexpr bool IsHttp2OnlySettingId(uint64_t id) { return id >= 0x02 && id <= 0x05; }

// Bound on the parameters in one SETTINGS frame we accept (each is at least two bytes; the
// frame itself is bounded by the reader, this bounds the work).
inline constexpr size_t kMaxSettingsParameters = 256;

struct Settings {
  uint64_t qpack_max_table_capacity = 0;
  uint64_t qpack_blocked_streams = 0;
  std::optional<uint64_t> max_field_section_size;  // unlimited by default
  bool enable_connect_protocol = false;
  bool h3_datagram = false;

  bool operator==(const Settings& o) const {
    return qpack_max_table_capacity == o.qpack_max_table_capacity &&
           qpack_blocked_streams == o.qpack_blocked_streams &&
           max_field_section_size == o.max_field_section_size &&
           enable_connect_protocol == o.enable_connect_protocol && h3_datagram == o.h3_datagram;
  }
};

// The frame we send: every non-default value, plus one reserved parameter when `grease_n` is
// set (RFC 9114 §7.2.4.1: endpoints SHOULD include one).
SettingsFrame ToSettingsFrame(const Settings& settings, std::optional<uint64_t> grease_n);

// Gives meaning to a received frame. H3_SETTINGS_ERROR for a duplicate identifier, an HTTP/2
// identifier, or a boolean setting other than 0/1; unknown and reserved ones are ignored.
absl::StatusOr<Settings> ParseSettingsFrame(const SettingsFrame& frame);

// RFC 9114 §7.2.4.2: settings a server sends after accepting 0-RTT must not reduce a limit or
// withdraw a value the client may have relied on under the remembered ones.
bool SettingsCompatibleWithRemembered(const Settings& remembered, const Settings& current);

// The settings as bytes for a resumption ticket's application data (a SETTINGS payload).
std::vector<uint8_t> SerializeSettingsForTicket(const Settings& settings);
absl::StatusOr<Settings> ParseSettingsFromTicket(absl::Span<const uint8_t> bytes);

}  // namespace kite::http3

#endif  // KITE_HTTP3_SETTINGS_H_
