// Server dispatch by Destination Connection ID (RFC 9000 §5.2), for one worker.
//
// The router maps the IDs this worker issued (and the client-chosen IDs of connections it is
// setting up) to connection handles, and decides for every received datagram: deliver it to a
// connection, start a new one, forward it to the worker that owns it, or answer it statelessly
// (Version Negotiation, Stateless Reset), or drop it. It reads only the version-independent
// header fields (RFC 8999 §5) plus, for supported versions, the long-header packet type.
//
// Single-threaded (one router per worker); the reply it writes goes into a caller buffer
// (a pool buffer on the I/O path).
#ifndef KITE_QUIC_IO_CONNECTION_ID_ROUTER_H_
#define KITE_QUIC_IO_CONNECTION_ID_ROUTER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "quic/codec/connection_id.h"
#include "quic/connection/connection_id_manager.h"
#include "quic/io/stateless_reset.h"
#include "quic/io/worker_connection_id.h"

namespace kite::quic::io {

// RFC 9000 §14.1: the smallest datagram that may carry a client's Initial, and (§5.2.2) the
// smallest that may be answered with Version Negotiation.
inline constexpr size_t kMinInitialDatagramSize = 1200;
// RFC 9000 §7.2: a client's first Destination Connection ID is at least 8 bytes.
inline constexpr size_t kMinClientInitialDcidLength = 8;
// Bound on the IDs one router holds (each connection holds a handful, RFC 9000 §5.1.1).
inline constexpr size_t kMaxRoutedConnectionIds = size_t{1} << 22;

using ConnectionHandle = uint64_t;

struct RouterConfig {
  ConnectionIdFormat cid_format;
  uint32_t worker_index = 0;
  uint32_t worker_count = 1;
  // What we speak, most preferred first; listed in Version Negotiation packets. Entries must be
  // versions kite implements (IsSupportedVersion).
  std::vector<uint32_t> versions = {0x00000001, 0x6b3343cf};
  // The static stateless-reset key shared by all workers (kStatelessResetKeySize bytes).
  std::vector<uint8_t> stateless_reset_key;
  // RFC 9000 §10.3: resets are optional ("MAY").
  bool send_stateless_resets = true;
};

enum class RouteAction {
  kConnection,          // deliver to `handle`
  kNewConnection,       // a client Initial for no known connection: accept (or Retry) it
  kOtherWorker,         // forward the datagram to worker `worker`
  kVersionNegotiation,  // send `reply_size` bytes of reply back on the reversed path
  kStatelessReset,      // likewise
  kDrop,
};

enum class DropReason {
  kNone,
  kMalformed,            // too short for its invariant header
  kUnknownShortHeader,   // unknown ID, and no reset may or should be sent
  kSmallDatagram,        // an Initial or unknown version in a datagram under 1200 bytes
  kVersionNegotiation,   // a VN packet for no connection (RFC 9000 §6.1: never answered)
  kUnroutableLongHeader, // 0-RTT/Handshake/Retry for no connection, or a too-short client DCID
  kReplyBufferTooSmall,
};

struct RouteResult {
  RouteAction action = RouteAction::kDrop;
  ConnectionHandle handle = 0;
  uint32_t worker = 0;
  size_t reply_size = 0;
  DropReason drop_reason = DropReason::kNone;
};

class ConnectionIdRouter {
 public:
  // InvalidArgument for a bad format, worker index/count, version list or reset key.
  static absl::StatusOr<ConnectionIdRouter> Create(const RouterConfig& config);

  const RouterConfig& config() const { return config_; }

  // A fresh ID naming this worker, not already routed. Its reset token is ResetToken(id).
  ConnectionId NewConnectionId(const RandomBytes& random) const;
  StatelessResetToken ResetToken(const ConnectionId& id) const {
    return resetter_.TokenFor(id.span());
  }

  // AlreadyExists if `id` is routed (to any handle), ResourceExhausted past
  // kMaxRoutedConnectionIds.
  absl::Status Add(const ConnectionId& id, ConnectionHandle handle);
  bool Remove(const ConnectionId& id);
  std::optional<ConnectionHandle> Lookup(const ConnectionId& id) const;
  size_t size() const { return routes_.size(); }

  // Decides what to do with one received datagram. For kVersionNegotiation and
  // kStatelessReset the reply is in reply[0, reply_size). `random` fills unpredictable bits.
  RouteResult Route(absl::Span<const uint8_t> datagram, absl::Span<uint8_t> reply,
                    const RandomBytes& random) const;

 private:
  ConnectionIdRouter(const RouterConfig& config, StatelessResetter resetter);
  std::optional<ConnectionHandle> LookupBytes(absl::Span<const uint8_t> id) const;

  RouterConfig config_;
  StatelessResetter resetter_;
  absl::flat_hash_map<ConnectionId, ConnectionHandle> routes_;
};

}  // namespace kite::quic::io

#endif  // KITE_QUIC_IO_CONNECTION_ID_ROUTER_H_
