// The connection IDs a (possibly multi-worker) server issues, and the steering rule that maps
// any received datagram to the worker owning it.
//
// With SO_REUSEPORT the kernel spreads datagrams over the workers' sockets by 4-tuple hash,
// which breaks as soon as a client migrates or rebinds (RFC 9000 §9). So every ID a worker
// issues starts with that worker's index (big-endian, `worker_bytes` bytes), the rest random:
// whichever socket a datagram reaches, its Destination Connection ID names the worker to hand
// it to. Datagrams whose DCID the server did not choose (a client's first Initial and its 0-RTT,
// RFC 9000 §7.2) are steered by a hash of the DCID, which is the same for all of them.
//
// The index is in the clear. It is shared by every connection of that worker, so it links
// nothing to one connection (RFC 9000 §9.5), but an observer can count workers; QUIC-LB style
// encryption of the ID would hide that and is not done here.
#ifndef KITE_QUIC_IO_WORKER_CONNECTION_ID_H_
#define KITE_QUIC_IO_WORKER_CONNECTION_ID_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "quic/codec/connection_id.h"
#include "quic/connection/connection_id_manager.h"

namespace kite::quic::io {

// RFC 9000 §7.2 has clients pick at least 8 unpredictable bytes; kite's own IDs are as long,
// which also keeps the random part large enough to be unguessable.
inline constexpr size_t kMinIssuedConnectionIdLength = 8;
inline constexpr size_t kMaxWorkerIndexBytes = 2;

struct ConnectionIdFormat {
  // Every ID we issue has this length (RFC 9000 §10.3.2: a stateless-reset capable endpoint
  // uses one length so it can find the ID in a short header without state).
  size_t length = 8;
  // Leading bytes holding the worker index: 1 (up to 256 workers) or 2.
  size_t worker_bytes = 1;

  // InvalidArgument unless length is in [kMinIssuedConnectionIdLength, kMaxConnectionIdLength]
  // and worker_bytes in [1, kMaxWorkerIndexBytes].
  absl::Status Validate() const;
  // How many workers the format can name.
  uint32_t max_workers() const { return worker_bytes >= 2 ? 65536u : 256u; }
};

// A new ID for `worker`: the index, then random bytes from `random`.
ConnectionId MakeWorkerConnectionId(const ConnectionIdFormat& format, uint32_t worker,
                                    const RandomBytes& random);

// The worker index a Destination Connection ID names, if it has our length.
std::optional<uint32_t> WorkerIndexOf(const ConnectionIdFormat& format,
                                      absl::Span<const uint8_t> dcid);

// The worker that must handle a datagram with this Destination Connection ID, out of
// `worker_count` (>= 1): the index it names when it has our length and names a worker that
// exists, else a stable hash of the ID (FNV-1a, identical in every worker and process).
uint32_t SteerToWorker(const ConnectionIdFormat& format, absl::Span<const uint8_t> dcid,
                       uint32_t worker_count);

}  // namespace kite::quic::io

#endif  // KITE_QUIC_IO_WORKER_CONNECTION_ID_H_
