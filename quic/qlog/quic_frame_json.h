// QUIC frames and packet types as qlog values (draft-ietf-quic-qlog-quic-events, "QUIC data
// type definitions": PacketType, QUIC Frames, TransportError): one JSON object per kite Frame.
#ifndef KITE_QUIC_QLOG_QUIC_FRAME_JSON_H_
#define KITE_QUIC_QLOG_QUIC_FRAME_JSON_H_

#include <cstdint>
#include <string_view>

#include "quic/codec/frames.h"
#include "quic/codec/packet_type.h"
#include "quic/qlog/json_writer.h"

namespace kite::quic::qlog {

// "initial", "handshake", "0RTT", "1RTT", "retry", "version_negotiation" ($PacketType).
std::string_view PacketTypeName(PacketType type);

// The $TransportError string for a CONNECTION_CLOSE 0x1c error code ($TransportError,
// CryptoError):
// "protocol_violation", "crypto_error_0x12a", or "unknown" for codes without a name.
// Writes into `buf` (at least 24 bytes) when it must format one.
std::string_view TransportErrorName(uint64_t code, char* buf);

// Writes `frame` as a $QuicFrame object. The ACK Delay field is scaled by 2^`ack_delay_exponent`
// (RFC 9000 §19.3: the exponent of the frame's sender) and logged in milliseconds.
//
// Beyond the schema, STREAM, CRYPTO and DATAGRAM frames also carry "length" (the same value
// as raw.length) because tools built on earlier drafts (qvis) read it there.
void AppendQuicFrame(JsonWriter& w, const Frame& frame, uint8_t ack_delay_exponent);

}  // namespace kite::quic::qlog

#endif  // KITE_QUIC_QLOG_QUIC_FRAME_JSON_H_
