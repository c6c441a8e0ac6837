// What the HTTP/3 layer tells a qlog writer, in plain values so that quic/qlog never depends on
// http3/ (draft-ietf-quic-qlog-h3-events: stream_type_set, frame_created, frame_parsed,
// parameters_set).
#ifndef KITE_QUIC_QLOG_HTTP3_EVENT_TYPES_H_
#define KITE_QUIC_QLOG_HTTP3_EVENT_TYPES_H_

#include <cstdint>
#include <string_view>

#include "absl/types/span.h"

namespace kite::quic::qlog {

// qlog's $HTTP3StreamType.
enum class Http3StreamType : uint8_t {
  kRequest,
  kControl,
  kPush,
  kReserved,
  kUnknown,  // `stream_type_bytes` carries the wire value
  kQpackEncode,
  kQpackDecode,
};

// One field line, decoded (qlog HTTP3HTTPField). Invalid bytes are escaped by the writer.
struct Http3Field {
  std::string_view name;
  std::string_view value;
};

// One SETTINGS entry by its wire identifier (RFC 9114 §7.2.4.1).
struct Http3Setting {
  uint64_t id = 0;
  uint64_t value = 0;
};

// One HTTP/3 frame by its wire type (RFC 9114 §7.2); the writer picks the qlog name. Only the
// members that belong to `type` are read: `headers` for HEADERS and PUSH_PROMISE, `settings`
// for SETTINGS, `id` for GOAWAY (stream or push ID), CANCEL_PUSH, PUSH_PROMISE, MAX_PUSH_ID and
// PRIORITY_UPDATE (the prioritized element), `priority_field_value` for PRIORITY_UPDATE.
struct Http3FrameInfo {
  uint64_t type = 0;
  uint64_t payload_length = 0;
  absl::Span<const Http3Field> headers;
  absl::Span<const Http3Setting> settings;
  uint64_t id = 0;
  std::string_view priority_field_value;
};

// RFC 9114 §7.2 frame types and RFC 9218 §7.1 PRIORITY_UPDATE.
inline constexpr uint64_t kHttp3FrameData = 0x00;
inline constexpr uint64_t kHttp3FrameHeaders = 0x01;
inline constexpr uint64_t kHttp3FrameCancelPush = 0x03;
inline constexpr uint64_t kHttp3FrameSettings = 0x04;
inline constexpr uint64_t kHttp3FramePushPromise = 0x05;
inline constexpr uint64_t kHttp3FrameGoaway = 0x07;
inline constexpr uint64_t kHttp3FrameMaxPushId = 0x0d;
inline constexpr uint64_t kHttp3FramePriorityUpdateRequest = 0xf0700;
inline constexpr uint64_t kHttp3FramePriorityUpdatePush = 0xf0701;

}  // namespace kite::quic::qlog

#endif  // KITE_QUIC_QLOG_HTTP3_EVENT_TYPES_H_
