// QUIC transport parameters (RFC 9000 §7.4, §18), plus version_information (RFC 9368 §3) and
// max_datagram_frame_size (RFC 9221 §3).
//
// Defaults: every integer parameter is a plain field initialised to its RFC default, so a
// parsed struct can be read without asking whether the peer sent the parameter; Serialize
// omits a parameter whose value equals its default. Parameters without a default (connection
// IDs, the stateless reset token, the preferred address, version information,
// max_datagram_frame_size) are std::optional: nullopt means absent.
#ifndef KITE_QUIC_CODEC_TRANSPORT_PARAMETERS_H_
#define KITE_QUIC_CODEC_TRANSPORT_PARAMETERS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "quic/codec/connection_id.h"
#include "quic/codec/perspective.h"

namespace kite::quic {

// Which end of the connection sent (or will send) a set of parameters. Transport parameters
// are where the codec first needs it: some parameters are server-only (RFC 9000 §18.2).

// Transport parameter IDs (RFC 9000 §18.2, RFC 9368 §9.1, RFC 9221 §3).
enum class TransportParameterId : uint64_t {
  kOriginalDestinationConnectionId = 0x00,
  kMaxIdleTimeout = 0x01,
  kStatelessResetToken = 0x02,
  kMaxUdpPayloadSize = 0x03,
  kInitialMaxData = 0x04,
  kInitialMaxStreamDataBidiLocal = 0x05,
  kInitialMaxStreamDataBidiRemote = 0x06,
  kInitialMaxStreamDataUni = 0x07,
  kInitialMaxStreamsBidi = 0x08,
  kInitialMaxStreamsUni = 0x09,
  kAckDelayExponent = 0x0a,
  kMaxAckDelay = 0x0b,
  kDisableActiveMigration = 0x0c,
  kPreferredAddress = 0x0d,
  kActiveConnectionIdLimit = 0x0e,
  kInitialSourceConnectionId = 0x0f,
  kRetrySourceConnectionId = 0x10,
  kVersionInformation = 0x11,
  kMaxDatagramFrameSize = 0x20,
};

// Bounds on what a peer may send. The whole encoding lives in one TLS extension (at most
// 65535 bytes); real stacks send a few hundred bytes.
inline constexpr size_t kMaxTransportParametersLength = 16384;
inline constexpr size_t kMaxTransportParameterCount = 256;
// Bound on version_information's Available Versions list (RFC 9368 §3).
inline constexpr size_t kMaxAvailableVersions = 64;

// RFC 9000 §18.2 defaults and limits.
inline constexpr uint64_t kDefaultMaxUdpPayloadSize = 65527;
inline constexpr uint64_t kMinMaxUdpPayloadSize = 1200;
inline constexpr uint64_t kDefaultAckDelayExponent = 3;
inline constexpr uint64_t kMaxAckDelayExponent = 20;
inline constexpr uint64_t kDefaultMaxAckDelayMs = 25;
inline constexpr uint64_t kMaxMaxAckDelayMs = (uint64_t{1} << 14) - 1;
inline constexpr uint64_t kDefaultActiveConnectionIdLimit = 2;
inline constexpr uint64_t kMinActiveConnectionIdLimit = 2;
inline constexpr uint64_t kMaxInitialMaxStreams = uint64_t{1} << 60;

// RFC 9000 §18.1: IDs of the form 31 * N + 27 are reserved to exercise the requirement that
// unknown parameters are ignored.
inline constexpr uint64_t kMaxGreaseTransportParameterN = ((uint64_t{1} << 62) - 1 - 27) / 31;
constexpr uint64_t GreaseTransportParameterId(uint64_t n) { return 31 * n + 27; }
constexpr bool IsGreaseTransportParameterId(uint64_t id) { return id >= 27 && (id - 27) % 31 == 0; }

// RFC 9000 §18.2, Figure 22.
struct PreferredAddress {
  std::array<uint8_t, 4> ipv4_address{};
  uint16_t ipv4_port = 0;
  std::array<uint8_t, 16> ipv6_address{};
  uint16_t ipv6_port = 0;
  ConnectionId connection_id;  // 1..20 bytes: a zero-length ID is invalid here
  StatelessResetToken stateless_reset_token{};

  friend bool operator==(const PreferredAddress& a, const PreferredAddress& b) {
    return a.ipv4_address == b.ipv4_address && a.ipv4_port == b.ipv4_port &&
           a.ipv6_address == b.ipv6_address && a.ipv6_port == b.ipv6_port &&
           a.connection_id == b.connection_id &&
           a.stateless_reset_token == b.stateless_reset_token;
  }
};

// RFC 9368 §3.
struct VersionInformation {
  uint32_t chosen_version = 0;
  std::vector<uint32_t> available_versions;

  friend bool operator==(const VersionInformation& a, const VersionInformation& b) {
    return a.chosen_version == b.chosen_version && a.available_versions == b.available_versions;
  }
};

// A reserved parameter to send (RFC 9000 §18.1): ID 31 * n + 27 and arbitrary content, both
// chosen by the caller (who owns the randomness).
struct GreaseTransportParameter {
  uint64_t n = 0;  // at most kMaxGreaseTransportParameterN
  std::vector<uint8_t> value;
};

struct TransportParameters {
  // Server only. The DCID of the client's first Initial (RFC 9000 §7.3).
  std::optional<ConnectionId> original_destination_connection_id;
  // Milliseconds; 0 (the default) means no idle timeout from this endpoint.
  uint64_t max_idle_timeout_ms = 0;
  // Server only.
  std::optional<StatelessResetToken> stateless_reset_token;
  uint64_t max_udp_payload_size = kDefaultMaxUdpPayloadSize;  // values below 1200 are invalid
  uint64_t initial_max_data = 0;
  uint64_t initial_max_stream_data_bidi_local = 0;
  uint64_t initial_max_stream_data_bidi_remote = 0;
  uint64_t initial_max_stream_data_uni = 0;
  uint64_t initial_max_streams_bidi = 0;  // at most 2^60
  uint64_t initial_max_streams_uni = 0;   // at most 2^60
  uint64_t ack_delay_exponent = kDefaultAckDelayExponent;  // at most 20
  uint64_t max_ack_delay_ms = kDefaultMaxAckDelayMs;       // below 2^14
  bool disable_active_migration = false;
  // Server only.
  std::optional<PreferredAddress> preferred_address;
  uint64_t active_connection_id_limit = kDefaultActiveConnectionIdLimit;  // at least 2
  // Required from both endpoints (RFC 9000 §7.3).
  std::optional<ConnectionId> initial_source_connection_id;
  // Server only; present exactly when the server sent a Retry (the connection checks that).
  std::optional<ConnectionId> retry_source_connection_id;
  // RFC 9368 §3.
  std::optional<VersionInformation> version_information;
  // RFC 9221 §3: absent means DATAGRAM frames are not accepted.
  std::optional<uint64_t> max_datagram_frame_size;
  // Sent only (Parse ignores reserved and other unknown IDs, RFC 9000 §7.4.2).
  std::vector<GreaseTransportParameter> grease;
};

// Checks the values of `params` as sent by `sender`, with the rules Parse applies to received
// parameters: ranges, server-only parameters from a client, a preferred address with a
// zero-length connection ID or from a server whose own connection ID is empty, required connection IDs (initial_source_connection_id from both, plus
// original_destination_connection_id from a server, RFC 9000 §7.3), version_information
// (RFC 9368 §4). Errors are TRANSPORT_PARAMETER_ERROR.
absl::Status ValidateTransportParameters(const TransportParameters& params, Perspective sender);

// Encodes `params` as the payload of the quic_transport_parameters TLS extension, after
// validating them as ValidateTransportParameters does. GREASE entries are written after the
// defined parameters, in order.
absl::StatusOr<std::vector<uint8_t>> SerializeTransportParameters(const TransportParameters& params,
                                                                  Perspective sender);

// Decodes and validates the peer's transport parameters; `sender` is the peer's perspective.
// Any error is a TRANSPORT_PARAMETER_ERROR (RFC 9000 §7.4, §18.2), including a repeated ID
// (known or not), a value whose length does not match its encoding, and exceeding
// kMaxTransportParametersLength or kMaxTransportParameterCount.
absl::StatusOr<TransportParameters> ParseTransportParameters(absl::Span<const uint8_t> data,
                                                             Perspective sender);

}  // namespace kite::quic

#endif  // KITE_QUIC_CODEC_TRANSPORT_PARAMETERS_H_
