// HTTP/3 frames (RFC 9114 §7.2) and PRIORITY_UPDATE (RFC 9218 §7.1): plain structs in a
// variant, their encoding and the decoding of one complete payload. Knows nothing of streams:
// which frame may appear where is the session's business.
#ifndef KITE_HTTP3_FRAMES_H_
#define KITE_HTTP3_FRAMES_H_

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace kite::http3 {

// RFC 9114 §11.2.1; RFC 9218 §7.1.
inline constexpr uint64_t kFrameData = 0x00;
inline constexpr uint64_t kFrameHeaders = 0x01;
inline constexpr uint64_t kFrameCancelPush = 0x03;
inline constexpr uint64_t kFrameSettings = 0x04;
inline constexpr uint64_t kFramePushPromise = 0x05;
inline constexpr uint64_t kFrameGoaway = 0x07;
inline constexpr uint64_t kFrameMaxPushId = 0x0d;
inline constexpr uint64_t kFramePriorityUpdateRequest = 0xF0700;
inline constexpr uint64_t kFramePriorityUpdatePush = 0xF0701;

// RFC 9114 §7.2.8: 0x1f * N + 0x21 are reserved to exercise the "ignore unknown" rule.
constexpr bool IsReservedFrameType(uint64_t type) {
  return type >= 0x21 && (type - 0x21) % 0x1f == 0;
}
// RFC 9114 §7.2.8: HTTP/2 frame types without an HTTP/3 counterpart (PRIORITY, PING,
// WINDOW_UPDATE, CONTINUATION); receiving one is H3_FRAME_UNEXPECTED.
constexpr bool IsHttp2OnlyFrameType(uint64_t type) {
  return type == 0x02 || type == 0x06 || type == 0x08 || type == 0x09;
}
// A reserved ("grease") frame type for N (RFC 9114 §7.2.8).
constexpr uint64_t ReservedFrameType(uint64_t n) { return 0x1f * n + 0x21; }

struct DataFrame {
  std::vector<uint8_t> payload;
  bool operator==(const DataFrame& o) const { return payload == o.payload; }
};
struct HeadersFrame {
  std::vector<uint8_t> field_section;  // encoded by QPACK
  bool operator==(const HeadersFrame& o) const { return field_section == o.field_section; }
};
struct CancelPushFrame {
  uint64_t push_id = 0;
  bool operator==(const CancelPushFrame& o) const { return push_id == o.push_id; }
};
// The raw parameters in wire order; settings.h gives them meaning and checks them.
struct SettingsFrame {
  std::vector<std::pair<uint64_t, uint64_t>> parameters;
  bool operator==(const SettingsFrame& o) const { return parameters == o.parameters; }
};
struct PushPromiseFrame {
  uint64_t push_id = 0;
  std::vector<uint8_t> field_section;
  bool operator==(const PushPromiseFrame& o) const {
    return push_id == o.push_id && field_section == o.field_section;
  }
};
// A stream ID (from a server) or push ID (from a client), RFC 9114 §5.2.
struct GoawayFrame {
  uint64_t id = 0;
  bool operator==(const GoawayFrame& o) const { return id == o.id; }
};
struct MaxPushIdFrame {
  uint64_t push_id = 0;
  bool operator==(const MaxPushIdFrame& o) const { return push_id == o.push_id; }
};
// RFC 9218 §7.1: type 0xF0700 names a request stream, 0xF0701 a push ID.
struct PriorityUpdateFrame {
  bool push = false;
  uint64_t element_id = 0;
  std::string priority_field_value;  // an RFC 9218 §4 Priority field value
  bool operator==(const PriorityUpdateFrame& o) const {
    return push == o.push && element_id == o.element_id &&
           priority_field_value == o.priority_field_value;
  }
};
// Any other type (reserved or an extension we do not know): kept for encoding tests and
// grease; the reader skips such frames without buffering them.
struct UnknownFrame {
  uint64_t type = 0;
  std::vector<uint8_t> payload;
  bool operator==(const UnknownFrame& o) const { return type == o.type && payload == o.payload; }
};

using Frame = std::variant<DataFrame, HeadersFrame, CancelPushFrame, SettingsFrame,
                           PushPromiseFrame, GoawayFrame, MaxPushIdFrame, PriorityUpdateFrame,
                           UnknownFrame>;

uint64_t FrameTypeOf(const Frame& frame);

// Appends type, length and payload (RFC 9114 §7.1).
void AppendFrame(const Frame& frame, std::vector<uint8_t>* out);
// Appends a QUIC variable-length integer (RFC 9000 §16), shortest form.
void AppendVarInt(uint64_t value, std::vector<uint8_t>* out);
// Appends only a frame header (DATA headers in front of body bytes the caller appends).
void AppendFrameHeader(uint64_t type, uint64_t payload_length, std::vector<uint8_t>* out);
std::vector<uint8_t> EncodeFrame(const Frame& frame);

// Decodes the complete payload of a frame of a known, non-DATA `type`. H3_FRAME_ERROR when the
// payload is shorter or longer than its fields (RFC 9114 §7.1). DATA and unknown types come
// back as DataFrame / UnknownFrame holding the payload.
absl::StatusOr<Frame> DecodeFramePayload(uint64_t type, absl::Span<const uint8_t> payload);

}  // namespace kite::http3

#endif  // KITE_HTTP3_FRAMES_H_
