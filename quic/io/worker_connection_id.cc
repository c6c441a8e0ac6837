#include "quic/io/worker_connection_id.h"

#include <array>

namespace kite::quic::io {

absl::Status ConnectionIdFormat::Validate() const {
  if (length < kMinIssuedConnectionIdLength || length > kMaxConnectionIdLength) {
    return absl::InvalidArgumentError("connection ID length out of range");
  }
  if (worker_bytes < 1 || worker_bytes > kMaxWorkerIndexBytes) {
    return absl::InvalidArgumentError("worker index bytes out of range");
  }
  return absl::OkStatus();
}

ConnectionId MakeWorkerConnectionId(const ConnectionIdFormat& format, uint32_t worker,
                                    const RandomBytes& random) {
  std::array<uint8_t, kMaxConnectionIdLength> bytes{};
  random(bytes.data(), format.length);
  for (size_t i = 0; i < format.worker_bytes; ++i) {
    bytes[i] = static_cast<uint8_t>(worker >> (8 * (format.worker_bytes - 1 - i)));
  }
  return ConnectionId(bytes.data(), format.length);
}

std::optional<uint32_t> WorkerIndexOf(const ConnectionIdFormat& format,
                                      absl::Span<const uint8_t> dcid) {
  if (dcid.size() != format.length || format.worker_bytes > dcid.size()) return std::nullopt;
  uint32_t index = 0;
  for (size_t i = 0; i < format.worker_bytes; ++i) index = (index << 8) | dcid[i];
  return index;
}

uint32_t SteerToWorker(const ConnectionIdFormat& format, absl::Span<const uint8_t> dcid,
                       uint32_t worker_count) {
  if (worker_count <= 1) return 0;
  std::optional<uint32_t> named = WorkerIndexOf(format, dcid);
  if (named.has_value() && *named < worker_count) return *named;
  uint32_t hash = 2166136261u;
  for (uint8_t b : dcid) {
    hash ^= b;
    hash *= 16777619u;
  }
  return hash % worker_count;
}

}  // namespace kite::quic::io
