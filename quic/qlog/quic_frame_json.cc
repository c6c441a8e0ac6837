#include "quic/qlog/quic_frame_json.h"

#include <string>
#include <type_traits>
#include <variant>

namespace kite::quic::qlog {
namespace {

void RawLength(JsonWriter& w, uint64_t length) {
  w.Key("raw");
  w.BeginObject();
  w.Field("length", length);
  w.EndObject();
}

// Application error codes have no names at the QUIC layer (qlog's $ApplicationError is
// just "unknown"), so the code itself goes in error_code.
void ApplicationError(JsonWriter& w, uint64_t code) {
  w.Field("error", "unknown");
  w.Field("error_code", code);
}

std::string_view StreamType(bool bidirectional) {
  return bidirectional ? "bidirectional" : "unidirectional";
}

}  // namespace

std::string_view PacketTypeName(PacketType type) {
  switch (type) {
    case PacketType::kInitial: return "initial";
    case PacketType::kZeroRtt: return "0RTT";
    case PacketType::kHandshake: return "handshake";
    case PacketType::kRetry: return "retry";
    case PacketType::kOneRtt: return "1RTT";
    case PacketType::kVersionNegotiation: return "version_negotiation";
  }
  return "unknown";
}

std::string_view TransportErrorName(uint64_t code, char* buf) {
  // RFC 9000 §20.1, in code order 0x00..0x10.
  static constexpr std::string_view kNames[] = {
      "no_error",           "internal_error",        "connection_refused",
      "flow_control_error", "stream_limit_error",    "stream_state_error",
      "final_size_error",   "frame_encoding_error",  "transport_parameter_error",
      "connection_id_limit_error", "protocol_violation", "invalid_token",
      "application_error",  "crypto_buffer_exceeded", "key_update_error",
      "aead_limit_reached", "no_viable_path"};
  if (code < std::size(kNames)) return kNames[code];
  if (code >= 0x100 && code <= 0x1ff) {
    // RFC 9001 §4.8: CRYPTO_ERROR is 0x100 + the TLS alert; qlog's CryptoError string.
    static constexpr char kHex[] = "0123456789abcdef";
    std::string_view prefix = "crypto_error_0x1";
    size_t n = 0;
    for (char c : prefix) buf[n++] = c;
    buf[n++] = kHex[(code >> 4) & 0xf];
    buf[n++] = kHex[code & 0xf];
    return std::string_view(buf, n);
  }
  return "unknown";
}

void AppendQuicFrame(JsonWriter& w, const Frame& frame, uint8_t ack_delay_exponent) {
  w.BeginObject();
  std::visit(
      [&](const auto& f) {
        using T = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<T, PaddingFrame>) {
          // qlog PaddingFrame: one frame for the run, its size in raw.payload_length.
          w.Field("frame_type", "padding");
          w.Key("raw");
          w.BeginObject();
          w.Field("length", static_cast<uint64_t>(f.length));
          w.Field("payload_length", static_cast<uint64_t>(f.length));
          w.EndObject();
        } else if constexpr (std::is_same_v<T, PingFrame>) {
          w.Field("frame_type", "ping");
        } else if constexpr (std::is_same_v<T, AckFrame>) {
          w.Field("frame_type", "ack");
          uint8_t exponent = ack_delay_exponent > 20 ? 20 : ack_delay_exponent;  // RFC 9000 §18.2
          // The raw field is at most 2^62; shifting by up to 20 can overflow 64 bits, so
          // saturate (a peer sending that would be violating RFC 9000 §13.2.5 anyway).
          uint64_t us = f.ack_delay > (UINT64_MAX >> exponent) ? UINT64_MAX
                                                               : f.ack_delay << exponent;
          int64_t capped = us > static_cast<uint64_t>(INT64_MAX / 1000)
                               ? INT64_MAX / 1000
                               : static_cast<int64_t>(us);
          w.MsField("ack_delay", absl::Microseconds(capped));
          w.Key("acked_ranges");
          w.BeginArray();
          for (const AckRange& r : f.ranges) {
            // qlog AckFrame: [n] for a single packet, [from, to] otherwise.
            w.BeginArray();
            w.Uint(r.smallest);
            if (r.largest != r.smallest) w.Uint(r.largest);
            w.EndArray();
          }
          w.EndArray();
          if (f.ecn.has_value()) {
            w.Field("ect1", f.ecn->ect1);
            w.Field("ect0", f.ecn->ect0);
            w.Field("ce", f.ecn->ecn_ce);
          }
        } else if constexpr (std::is_same_v<T, ResetStreamFrame>) {
          w.Field("frame_type", "reset_stream");
          w.Field("stream_id", f.stream_id);
          ApplicationError(w, f.application_error_code);
          w.Field("final_size", f.final_size);
        } else if constexpr (std::is_same_v<T, StopSendingFrame>) {
          w.Field("frame_type", "stop_sending");
          w.Field("stream_id", f.stream_id);
          ApplicationError(w, f.application_error_code);
        } else if constexpr (std::is_same_v<T, CryptoFrame>) {
          // qlog CryptoFrame: the Length field goes in raw.length.
          w.Field("frame_type", "crypto");
          w.Field("offset", f.offset);
          w.Field("length", static_cast<uint64_t>(f.data.size()));
          RawLength(w, f.data.size());
        } else if constexpr (std::is_same_v<T, NewTokenFrame>) {
          // The token itself is an address-validation secret of the server; log its size only.
          w.Field("frame_type", "new_token");
          w.Key("token");
          w.BeginObject();
          RawLength(w, f.token.size());
          w.EndObject();
        } else if constexpr (std::is_same_v<T, StreamFrame>) {
          w.Field("frame_type", "stream");
          w.Field("stream_id", f.stream_id);
          w.Field("offset", f.offset);
          w.Field("length", static_cast<uint64_t>(f.data.size()));
          w.Field("fin", f.fin);
          RawLength(w, f.data.size());
        } else if constexpr (std::is_same_v<T, MaxDataFrame>) {
          w.Field("frame_type", "max_data");
          w.Field("maximum", f.maximum_data);
        } else if constexpr (std::is_same_v<T, MaxStreamDataFrame>) {
          w.Field("frame_type", "max_stream_data");
          w.Field("stream_id", f.stream_id);
          w.Field("maximum", f.maximum_stream_data);
        } else if constexpr (std::is_same_v<T, MaxStreamsFrame>) {
          w.Field("frame_type", "max_streams");
          w.Field("stream_type", StreamType(f.bidirectional));
          w.Field("maximum", f.maximum_streams);
        } else if constexpr (std::is_same_v<T, DataBlockedFrame>) {
          w.Field("frame_type", "data_blocked");
          w.Field("limit", f.maximum_data);
        } else if constexpr (std::is_same_v<T, StreamDataBlockedFrame>) {
          w.Field("frame_type", "stream_data_blocked");
          w.Field("stream_id", f.stream_id);
          w.Field("limit", f.maximum_stream_data);
        } else if constexpr (std::is_same_v<T, StreamsBlockedFrame>) {
          w.Field("frame_type", "streams_blocked");
          w.Field("stream_type", StreamType(f.bidirectional));
          w.Field("limit", f.maximum_streams);
        } else if constexpr (std::is_same_v<T, NewConnectionIdFrame>) {
          w.Field("frame_type", "new_connection_id");
          w.Field("sequence_number", f.sequence_number);
          w.Field("retire_prior_to", f.retire_prior_to);
          w.Field("connection_id_length", static_cast<uint64_t>(f.connection_id.length()));
          w.Key("connection_id");
          w.HexString(f.connection_id.span());
          w.Key("stateless_reset_token");
          w.HexString(absl::MakeConstSpan(f.stateless_reset_token.data(),
                                          f.stateless_reset_token.size()));
        } else if constexpr (std::is_same_v<T, RetireConnectionIdFrame>) {
          w.Field("frame_type", "retire_connection_id");
          w.Field("sequence_number", f.sequence_number);
        } else if constexpr (std::is_same_v<T, PathChallengeFrame>) {
          w.Field("frame_type", "path_challenge");
          w.Key("data");
          w.HexString(absl::MakeConstSpan(f.data.data(), f.data.size()));
        } else if constexpr (std::is_same_v<T, PathResponseFrame>) {
          w.Field("frame_type", "path_response");
          w.Key("data");
          w.HexString(absl::MakeConstSpan(f.data.data(), f.data.size()));
        } else if constexpr (std::is_same_v<T, ConnectionCloseFrame>) {
          w.Field("frame_type", "connection_close");
          w.Field("error_space", f.is_application ? "application" : "transport");
          if (f.is_application) {
            w.Field("error", "unknown");
          } else {
            char buf[24];
            w.Field("error", TransportErrorName(f.error_code, buf));
          }
          // Always the number too: tools should not have to map names back.
          w.Field("error_code", f.error_code);
          std::string_view reason(reinterpret_cast<const char*>(f.reason_phrase.data()),
                                  f.reason_phrase.size());
          // qlog ConnectionCloseFrame: "reason" when it is text, the bytes when it is not.
          w.Field("reason", reason);
          if (!IsValidUtf8(reason)) {
            w.Key("reason_bytes");
            w.HexString(f.reason_phrase);
          }
          if (!f.is_application) w.Field("trigger_frame_type", f.frame_type);
        } else if constexpr (std::is_same_v<T, HandshakeDoneFrame>) {
          w.Field("frame_type", "handshake_done");
        } else if constexpr (std::is_same_v<T, DatagramFrame>) {
          w.Field("frame_type", "datagram");
          w.Field("length", static_cast<uint64_t>(f.data.size()));
          RawLength(w, f.data.size());
        } else {
          static_assert(sizeof(T) == 0, "every Frame alternative needs a qlog mapping");
        }
      },
      frame);
  w.EndObject();
}

}  // namespace kite::quic::qlog
