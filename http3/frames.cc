#include "http3/frames.h"

#include <string>
#include <type_traits>

#include "http3/error_code.h"
#include "quic/codec/data_reader.h"
#include "quic/codec/varint.h"

namespace kite::http3 {
void AppendVarInt(uint64_t v, std::vector<uint8_t>* out) {
  size_t len = quic::VarIntLength(v);
  size_t prefix = len == 1 ? 0x00 : len == 2 ? 0x40 : len == 4 ? 0x80 : 0xc0;
  size_t start = out->size();
  out->resize(start + len);
  for (size_t i = 0; i < len; ++i) {
    (*out)[start + len - 1 - i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
  (*out)[start] |= static_cast<uint8_t>(prefix);
}

namespace {

void AppendBytes(absl::Span<const uint8_t> b, std::vector<uint8_t>* out) {
  out->insert(out->end(), b.begin(), b.end());
}

std::vector<uint8_t> Payload(const Frame& frame) {
  std::vector<uint8_t> p;
  std::visit(
      [&](const auto& f) {
        using T = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<T, DataFrame>) {
          p = f.payload;
        } else if constexpr (std::is_same_v<T, HeadersFrame>) {
          p = f.field_section;
        } else if constexpr (std::is_same_v<T, CancelPushFrame>) {
          AppendVarInt(f.push_id, &p);
        } else if constexpr (std::is_same_v<T, SettingsFrame>) {
          for (const auto& [id, value] : f.parameters) {
            AppendVarInt(id, &p);
            AppendVarInt(value, &p);
          }
        } else if constexpr (std::is_same_v<T, PushPromiseFrame>) {
          AppendVarInt(f.push_id, &p);
          AppendBytes(f.field_section, &p);
        } else if constexpr (std::is_same_v<T, GoawayFrame>) {
          AppendVarInt(f.id, &p);
        } else if constexpr (std::is_same_v<T, MaxPushIdFrame>) {
          AppendVarInt(f.push_id, &p);
        } else if constexpr (std::is_same_v<T, PriorityUpdateFrame>) {
          AppendVarInt(f.element_id, &p);
          p.insert(p.end(), f.priority_field_value.begin(), f.priority_field_value.end());
        } else {
          p = f.payload;
        }
      },
      frame);
  return p;
}

absl::Status FrameError(const char* what) {
  return Http3ErrorStatus(Http3ErrorCode::kFrameError, what);
}

// Reads exactly one varint that must fill the payload (RFC 9114 §7.1: no extra bytes).
absl::StatusOr<uint64_t> SoleVarInt(absl::Span<const uint8_t> payload, const char* frame) {
  quic::DataReader r(payload);
  uint64_t v = 0;
  if (!r.ReadVarInt(&v)) return FrameError(frame);
  if (!r.empty()) return FrameError(frame);
  return v;
}

}  // namespace

uint64_t FrameTypeOf(const Frame& frame) {
  switch (frame.index()) {
    case 0: return kFrameData;
    case 1: return kFrameHeaders;
    case 2: return kFrameCancelPush;
    case 3: return kFrameSettings;
    case 4: return kFramePushPromise;
    case 5: return kFrameGoaway;
    case 6: return kFrameMaxPushId;
    case 7:
      return std::get<PriorityUpdateFrame>(frame).push ? kFramePriorityUpdatePush
                                                       : kFramePriorityUpdateRequest;
    default: return std::get<UnknownFrame>(frame).type;
  }
}

void AppendFrameHeader(uint64_t type, uint64_t payload_length, std::vector<uint8_t>* out) {
  AppendVarInt(type, out);
  AppendVarInt(payload_length, out);
}

void AppendFrame(const Frame& frame, std::vector<uint8_t>* out) {
  std::vector<uint8_t> payload = Payload(frame);
  AppendFrameHeader(FrameTypeOf(frame), payload.size(), out);
  AppendBytes(payload, out);
}

std::vector<uint8_t> EncodeFrame(const Frame& frame) {
  std::vector<uint8_t> out;
  AppendFrame(frame, &out);
  return out;
}

absl::StatusOr<Frame> DecodeFramePayload(uint64_t type, absl::Span<const uint8_t> payload) {
  switch (type) {
    case kFrameData: return Frame(DataFrame{{payload.begin(), payload.end()}});
    case kFrameHeaders: return Frame(HeadersFrame{{payload.begin(), payload.end()}});
    case kFrameCancelPush: {
      absl::StatusOr<uint64_t> v = SoleVarInt(payload, "malformed CANCEL_PUSH");
      if (!v.ok()) return v.status();
      return Frame(CancelPushFrame{*v});
    }
    case kFrameSettings: {
      // RFC 9114 §7.2.4: a sequence of (identifier, value) varint pairs.
      quic::DataReader r(payload);
      SettingsFrame f;
      while (!r.empty()) {
        uint64_t id = 0;
        uint64_t value = 0;
        if (!r.ReadVarInt(&id) || !r.ReadVarInt(&value)) {
          return FrameError("SETTINGS ends inside a parameter");
        }
        f.parameters.emplace_back(id, value);
      }
      return Frame(std::move(f));
    }
    case kFramePushPromise: {
      quic::DataReader r(payload);
      PushPromiseFrame f;
      if (!r.ReadVarInt(&f.push_id)) return FrameError("malformed PUSH_PROMISE");
      absl::Span<const uint8_t> rest = r.ReadRemaining();
      f.field_section.assign(rest.begin(), rest.end());
      return Frame(std::move(f));
    }
    case kFrameGoaway: {
      absl::StatusOr<uint64_t> v = SoleVarInt(payload, "malformed GOAWAY");
      if (!v.ok()) return v.status();
      return Frame(GoawayFrame{*v});
    }
    case kFrameMaxPushId: {
      absl::StatusOr<uint64_t> v = SoleVarInt(payload, "malformed MAX_PUSH_ID");
      if (!v.ok()) return v.status();
      return Frame(MaxPushIdFrame{*v});
    }
    case kFramePriorityUpdateRequest:
    case kFramePriorityUpdatePush: {
      // RFC 9218 §7.1: Prioritized Element ID (i), Priority Field Value (..).
      quic::DataReader r(payload);
      PriorityUpdateFrame f;
      f.push = type == kFramePriorityUpdatePush;
      if (!r.ReadVarInt(&f.element_id)) return FrameError("malformed PRIORITY_UPDATE");
      absl::Span<const uint8_t> rest = r.ReadRemaining();
      f.priority_field_value.assign(rest.begin(), rest.end());
      return Frame(std::move(f));
    }
    default:
      return Frame(UnknownFrame{type, {payload.begin(), payload.end()}});
  }
}

}  // namespace kite::http3
