#include "quic/codec/transport_parameters.h"

#include <algorithm>
#include <string>

#include "quic/codec/data_reader.h"
#include "quic/codec/data_writer.h"
#include "quic/codec/transport_error.h"
#include "quic/codec/varint.h"

namespace kite::quic {
namespace {

using Id = TransportParameterId;

absl::Status ParamError(const std::string& reason) {
  return TransportErrorStatus(TransportErrorCode::kTransportParameterError, reason);
}

constexpr uint64_t Raw(Id id) { return static_cast<uint64_t>(id); }

// RFC 9000 §18.2, Figure 22: fixed part of preferred_address around the connection ID.
constexpr size_t kPreferredAddressFixedLength = 4 + 2 + 16 + 2 + 1 + kStatelessResetTokenLength;

// ---- Encoding ----------------------------------------------------------------------------

bool WriteIntegerParam(DataWriter& w, Id id, uint64_t value) {
  const size_t len = VarIntLength(value);
  return len != 0 && w.WriteVarInt(Raw(id)) && w.WriteVarInt(len) && w.WriteVarInt(value);
}

bool WriteBytesParam(DataWriter& w, uint64_t id, absl::Span<const uint8_t> value) {
  return w.WriteVarInt(id) && w.WriteVarInt(value.size()) && w.WriteBytes(value);
}

bool WriteCidParam(DataWriter& w, Id id, const ConnectionId& cid) {
  return WriteBytesParam(w, Raw(id), cid.span());
}

bool WritePreferredAddress(DataWriter& w, const PreferredAddress& pa) {
  const size_t len = kPreferredAddressFixedLength + pa.connection_id.length();
  return w.WriteVarInt(Raw(Id::kPreferredAddress)) && w.WriteVarInt(len) &&
         w.WriteBytes(pa.ipv4_address.data(), pa.ipv4_address.size()) &&
         w.WriteUInt16(pa.ipv4_port) &&
         w.WriteBytes(pa.ipv6_address.data(), pa.ipv6_address.size()) &&
         w.WriteUInt16(pa.ipv6_port) &&
         w.WriteUInt8(static_cast<uint8_t>(pa.connection_id.length())) &&
         w.WriteBytes(pa.connection_id.span()) &&
         w.WriteBytes(pa.stateless_reset_token.data(), pa.stateless_reset_token.size());
}

bool WriteVersionInformation(DataWriter& w, const VersionInformation& vi) {
  const size_t len = 4 * (1 + vi.available_versions.size());
  bool ok = w.WriteVarInt(Raw(Id::kVersionInformation)) && w.WriteVarInt(len) &&
            w.WriteUInt32(vi.chosen_version);
  for (uint32_t v : vi.available_versions) ok = ok && w.WriteUInt32(v);
  return ok;
}

// Writes an integer parameter only when it differs from its default.
bool WriteIfNotDefault(DataWriter& w, Id id, uint64_t value, uint64_t default_value) {
  return value == default_value || WriteIntegerParam(w, id, value);
}

// ---- Decoding ----------------------------------------------------------------------------

// RFC 9000 §18.2: an integer parameter's value is exactly one varint filling the value.
absl::Status ReadIntegerValue(absl::Span<const uint8_t> value, const char* name, uint64_t* out) {
  DataReader r(value);
  if (value.empty() || !r.ReadVarInt(out) || !r.empty()) {
    return ParamError(std::string(name) + ": value length does not match its varint");
  }
  return absl::OkStatus();
}

absl::Status ReadCidValue(absl::Span<const uint8_t> value, const char* name,
                          std::optional<ConnectionId>* out) {
  if (!ConnectionId::IsValidLength(value.size())) {
    return ParamError(std::string(name) + ": connection ID longer than 20 bytes");
  }
  *out = ConnectionId(value);
  return absl::OkStatus();
}

absl::Status ReadPreferredAddress(absl::Span<const uint8_t> value,
                                  std::optional<PreferredAddress>* out) {
  DataReader r(value);
  PreferredAddress pa;
  uint8_t cid_len = 0;
  absl::Span<const uint8_t> cid;
  if (!r.CopyBytes(pa.ipv4_address.size(), pa.ipv4_address.data()) ||
      !r.ReadUInt16(&pa.ipv4_port) ||
      !r.CopyBytes(pa.ipv6_address.size(), pa.ipv6_address.data()) ||
      !r.ReadUInt16(&pa.ipv6_port) || !r.ReadUInt8(&cid_len)) {
    return ParamError("preferred_address truncated");
  }
  // RFC 9000 §18.2: a zero-length connection ID here is invalid.
  if (cid_len == 0 || cid_len > kMaxConnectionIdLength) {
    return ParamError("preferred_address connection ID length must be 1..20");
  }
  if (!r.ReadBytes(cid_len, &cid) ||
      !r.CopyBytes(pa.stateless_reset_token.size(), pa.stateless_reset_token.data())) {
    return ParamError("preferred_address truncated");
  }
  if (!r.empty()) return ParamError("preferred_address has trailing bytes");
  pa.connection_id = ConnectionId(cid);
  *out = pa;
  return absl::OkStatus();
}

absl::Status ReadVersionInformation(absl::Span<const uint8_t> value,
                                    std::optional<VersionInformation>* out) {
  // RFC 9368 §4: too short or not a multiple of four is a parsing failure.
  if (value.size() < 4 || value.size() % 4 != 0) {
    return ParamError("version_information length is not a nonzero multiple of 4");
  }
  if (value.size() / 4 - 1 > kMaxAvailableVersions) {
    return ParamError("version_information lists too many versions");
  }
  DataReader r(value);
  VersionInformation vi;
  r.ReadUInt32(&vi.chosen_version);
  vi.available_versions.reserve(value.size() / 4 - 1);
  uint32_t v = 0;
  while (r.ReadUInt32(&v)) vi.available_versions.push_back(v);
  *out = std::move(vi);
  return absl::OkStatus();
}

// Decodes one known parameter into `params`; unknown IDs are left to the caller.
absl::Status DecodeKnownParameter(uint64_t id, absl::Span<const uint8_t> value,
                                  TransportParameters& p) {
  switch (static_cast<Id>(id)) {
    case Id::kOriginalDestinationConnectionId:
      return ReadCidValue(value, "original_destination_connection_id",
                          &p.original_destination_connection_id);
    case Id::kMaxIdleTimeout:
      return ReadIntegerValue(value, "max_idle_timeout", &p.max_idle_timeout_ms);
    case Id::kStatelessResetToken: {
      if (value.size() != kStatelessResetTokenLength) {
        return ParamError("stateless_reset_token must be 16 bytes");
      }
      StatelessResetToken token{};
      std::copy(value.begin(), value.end(), token.begin());
      p.stateless_reset_token = token;
      return absl::OkStatus();
    }
    case Id::kMaxUdpPayloadSize:
      return ReadIntegerValue(value, "max_udp_payload_size", &p.max_udp_payload_size);
    case Id::kInitialMaxData:
      return ReadIntegerValue(value, "initial_max_data", &p.initial_max_data);
    case Id::kInitialMaxStreamDataBidiLocal:
      return ReadIntegerValue(value, "initial_max_stream_data_bidi_local",
                              &p.initial_max_stream_data_bidi_local);
    case Id::kInitialMaxStreamDataBidiRemote:
      return ReadIntegerValue(value, "initial_max_stream_data_bidi_remote",
                              &p.initial_max_stream_data_bidi_remote);
    case Id::kInitialMaxStreamDataUni:
      return ReadIntegerValue(value, "initial_max_stream_data_uni",
                              &p.initial_max_stream_data_uni);
    case Id::kInitialMaxStreamsBidi:
      return ReadIntegerValue(value, "initial_max_streams_bidi", &p.initial_max_streams_bidi);
    case Id::kInitialMaxStreamsUni:
      return ReadIntegerValue(value, "initial_max_streams_uni", &p.initial_max_streams_uni);
    case Id::kAckDelayExponent:
      return ReadIntegerValue(value, "ack_delay_exponent", &p.ack_delay_exponent);
    case Id::kMaxAckDelay:
      return ReadIntegerValue(value, "max_ack_delay", &p.max_ack_delay_ms);
    case Id::kDisableActiveMigration:
      // RFC 9000 §18.2: a zero-length value.
      if (!value.empty()) return ParamError("disable_active_migration must be empty");
      p.disable_active_migration = true;
      return absl::OkStatus();
    case Id::kPreferredAddress:
      return ReadPreferredAddress(value, &p.preferred_address);
    case Id::kActiveConnectionIdLimit:
      return ReadIntegerValue(value, "active_connection_id_limit",
                              &p.active_connection_id_limit);
    case Id::kInitialSourceConnectionId:
      return ReadCidValue(value, "initial_source_connection_id", &p.initial_source_connection_id);
    case Id::kRetrySourceConnectionId:
      return ReadCidValue(value, "retry_source_connection_id", &p.retry_source_connection_id);
    case Id::kVersionInformation:
      return ReadVersionInformation(value, &p.version_information);
    case Id::kMaxDatagramFrameSize: {
      uint64_t v = 0;
      absl::Status s = ReadIntegerValue(value, "max_datagram_frame_size", &v);
      if (s.ok()) p.max_datagram_frame_size = v;
      return s;
    }
  }
  // Not reached for known IDs; the caller only passes IDs it recognised.
  return absl::OkStatus();
}

bool IsKnownId(uint64_t id) {
  return id <= Raw(Id::kVersionInformation) || id == Raw(Id::kMaxDatagramFrameSize);
}

}  // namespace

absl::Status ValidateTransportParameters(const TransportParameters& p, Perspective sender) {
  // RFC 9000 §18.2: parameters only a server may send.
  if (sender == Perspective::kClient) {
    if (p.original_destination_connection_id.has_value()) {
      return ParamError("client sent original_destination_connection_id");
    }
    if (p.stateless_reset_token.has_value()) {
      return ParamError("client sent stateless_reset_token");
    }
    if (p.preferred_address.has_value()) return ParamError("client sent preferred_address");
    if (p.retry_source_connection_id.has_value()) {
      return ParamError("client sent retry_source_connection_id");
    }
  }
  // RFC 9000 §7.3.
  if (!p.initial_source_connection_id.has_value()) {
    return ParamError("initial_source_connection_id missing");
  }
  if (sender == Perspective::kServer && !p.original_destination_connection_id.has_value()) {
    return ParamError("server did not send original_destination_connection_id");
  }
  // RFC 9000 §18.2 value ranges.
  if (p.max_udp_payload_size < kMinMaxUdpPayloadSize) {
    return ParamError("max_udp_payload_size below 1200");
  }
  if (p.initial_max_streams_bidi > kMaxInitialMaxStreams) {
    return ParamError("initial_max_streams_bidi above 2^60");
  }
  if (p.initial_max_streams_uni > kMaxInitialMaxStreams) {
    return ParamError("initial_max_streams_uni above 2^60");
  }
  if (p.ack_delay_exponent > kMaxAckDelayExponent) {
    return ParamError("ack_delay_exponent above 20");
  }
  if (p.max_ack_delay_ms > kMaxMaxAckDelayMs) return ParamError("max_ack_delay of 2^14 or more");
  if (p.active_connection_id_limit < kMinActiveConnectionIdLimit) {
    return ParamError("active_connection_id_limit below 2");
  }
  if (p.preferred_address.has_value()) {
    if (p.preferred_address->connection_id.empty()) {
      return ParamError("preferred_address with a zero-length connection ID");
    }
    // RFC 9000 §18.2: a server that chose a zero-length connection ID (its
    // initial_source_connection_id) MUST NOT provide a preferred address.
    if (p.initial_source_connection_id->empty()) {
      return ParamError("preferred_address from a server using zero-length connection IDs");
    }
  }
  // Integers must be encodable as varints (only reachable for locally built parameters).
  for (uint64_t v : {p.max_idle_timeout_ms, p.initial_max_data,
                     p.initial_max_stream_data_bidi_local, p.initial_max_stream_data_bidi_remote,
                     p.initial_max_stream_data_uni, p.max_udp_payload_size}) {
    if (v > kMaxVarInt) return ParamError("integer parameter above 2^62-1");
  }
  if (p.max_datagram_frame_size.has_value() && *p.max_datagram_frame_size > kMaxVarInt) {
    return ParamError("max_datagram_frame_size above 2^62-1");
  }
  // RFC 9368 §4.
  if (p.version_information.has_value()) {
    const VersionInformation& vi = *p.version_information;
    if (vi.chosen_version == 0) return ParamError("version_information chosen version is 0");
    if (vi.available_versions.size() > kMaxAvailableVersions) {
      return ParamError("version_information lists too many versions");
    }
    for (uint32_t v : vi.available_versions) {
      if (v == 0) return ParamError("version_information available version is 0");
    }
    if (sender == Perspective::kClient &&
        std::find(vi.available_versions.begin(), vi.available_versions.end(),
                  vi.chosen_version) == vi.available_versions.end()) {
      return ParamError("client version_information does not list its chosen version");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> SerializeTransportParameters(const TransportParameters& p,
                                                                  Perspective sender) {
  absl::Status valid = ValidateTransportParameters(p, sender);
  if (!valid.ok()) return valid;
  for (const GreaseTransportParameter& g : p.grease) {
    if (g.n > kMaxGreaseTransportParameterN) return ParamError("GREASE parameter N too large");
  }

  std::vector<uint8_t> out(kMaxTransportParametersLength);
  DataWriter w(absl::MakeSpan(out));
  bool ok = true;
  if (p.original_destination_connection_id.has_value()) {
    ok = ok && WriteCidParam(w, Id::kOriginalDestinationConnectionId,
                             *p.original_destination_connection_id);
  }
  ok = ok && WriteIfNotDefault(w, Id::kMaxIdleTimeout, p.max_idle_timeout_ms, 0);
  if (p.stateless_reset_token.has_value()) {
    ok = ok && WriteBytesParam(w, Raw(Id::kStatelessResetToken),
                               absl::MakeConstSpan(*p.stateless_reset_token));
  }
  ok = ok && WriteIfNotDefault(w, Id::kMaxUdpPayloadSize, p.max_udp_payload_size,
                               kDefaultMaxUdpPayloadSize);
  ok = ok && WriteIfNotDefault(w, Id::kInitialMaxData, p.initial_max_data, 0);
  ok = ok && WriteIfNotDefault(w, Id::kInitialMaxStreamDataBidiLocal,
                               p.initial_max_stream_data_bidi_local, 0);
  ok = ok && WriteIfNotDefault(w, Id::kInitialMaxStreamDataBidiRemote,
                               p.initial_max_stream_data_bidi_remote, 0);
  ok = ok && WriteIfNotDefault(w, Id::kInitialMaxStreamDataUni, p.initial_max_stream_data_uni, 0);
  ok = ok && WriteIfNotDefault(w, Id::kInitialMaxStreamsBidi, p.initial_max_streams_bidi, 0);
  ok = ok && WriteIfNotDefault(w, Id::kInitialMaxStreamsUni, p.initial_max_streams_uni, 0);
  ok = ok && WriteIfNotDefault(w, Id::kAckDelayExponent, p.ack_delay_exponent,
                               kDefaultAckDelayExponent);
  ok = ok && WriteIfNotDefault(w, Id::kMaxAckDelay, p.max_ack_delay_ms, kDefaultMaxAckDelayMs);
  if (p.disable_active_migration) {
    ok = ok && WriteBytesParam(w, Raw(Id::kDisableActiveMigration), {});
  }
  if (p.preferred_address.has_value()) ok = ok && WritePreferredAddress(w, *p.preferred_address);
  ok = ok && WriteIfNotDefault(w, Id::kActiveConnectionIdLimit, p.active_connection_id_limit,
                               kDefaultActiveConnectionIdLimit);
  if (p.initial_source_connection_id.has_value()) {
    ok = ok && WriteCidParam(w, Id::kInitialSourceConnectionId, *p.initial_source_connection_id);
  }
  if (p.retry_source_connection_id.has_value()) {
    ok = ok && WriteCidParam(w, Id::kRetrySourceConnectionId, *p.retry_source_connection_id);
  }
  if (p.version_information.has_value()) {
    ok = ok && WriteVersionInformation(w, *p.version_information);
  }
  if (p.max_datagram_frame_size.has_value()) {
    ok = ok && WriteIntegerParam(w, Id::kMaxDatagramFrameSize, *p.max_datagram_frame_size);
  }
  for (const GreaseTransportParameter& g : p.grease) {
    ok = ok && WriteBytesParam(w, GreaseTransportParameterId(g.n), g.value);
  }
  if (!ok) {
    // Our own peers enforce the same bound, so a larger set would be refused anyway.
    return ParamError("transport parameters exceed kMaxTransportParametersLength");
  }
  out.resize(w.length());
  // What we send must pass our own receive rules (parameter count, repeated GREASE IDs), so
  // the encoding is checked by the parser that peers running kite apply.
  absl::StatusOr<TransportParameters> reparsed = ParseTransportParameters(out, sender);
  if (!reparsed.ok()) return reparsed.status();
  return out;
}

absl::StatusOr<TransportParameters> ParseTransportParameters(absl::Span<const uint8_t> data,
                                                             Perspective sender) {
  if (data.size() > kMaxTransportParametersLength) {
    return ParamError("transport parameters longer than kMaxTransportParametersLength");
  }
  TransportParameters params;
  std::vector<uint64_t> seen;
  seen.reserve(32);
  DataReader r(data);
  while (!r.empty()) {
    uint64_t id = 0;
    uint64_t len = 0;
    absl::Span<const uint8_t> value;
    if (!r.ReadVarInt(&id) || !r.ReadVarInt(&len)) {
      return ParamError("transport parameter truncated in ID or length");
    }
    if (len > r.remaining() || !r.ReadBytes(static_cast<size_t>(len), &value)) {
      return ParamError("transport parameter value runs past the end");
    }
    // RFC 9000 §7.4: a parameter MUST NOT appear twice; kite rejects repeats of any ID.
    if (std::find(seen.begin(), seen.end(), id) != seen.end()) {
      return ParamError("duplicate transport parameter " + std::to_string(id));
    }
    if (seen.size() >= kMaxTransportParameterCount) {
      return ParamError("more than kMaxTransportParameterCount transport parameters");
    }
    seen.push_back(id);
    // RFC 9000 §7.4.2: unknown parameters, GREASE included, are ignored.
    if (!IsKnownId(id)) continue;
    absl::Status s = DecodeKnownParameter(id, value, params);
    if (!s.ok()) return s;
  }
  absl::Status valid = ValidateTransportParameters(params, sender);
  if (!valid.ok()) return valid;
  return params;
}

}  // namespace kite::quic
