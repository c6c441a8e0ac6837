// An arena-backed pool of fixed-size packet buffers.
//
// Buffers are carved out of large aligned slabs: one slab of `initial_buffers` at creation, then
// slabs of `buffers_per_slab` on demand until `max_buffers` are carved. Carved buffers never go
// back to the heap while the pool lives; they sit on an intrusive free list threaded through
// the free buffers themselves, so Acquire() and release are O(1) and allocate nothing once the
// buffers exist. When every buffer is in use and the pool is at `max_buffers`, Acquire() returns
// std::nullopt and counts an acquire failure: exhaustion is a value the caller handles (drop the
// datagram, stop reading), never a crash and never a fallback heap allocation.
//
// Threading: single-threaded by design. Each I/O worker owns its own pool; neither the pool nor
// its handles may be touched from two threads without external synchronisation.
//
// Lifetime rule: the pool must outlive every PacketBuffer it hands out. A PacketBuffer holds a
// raw pointer to its pool and returns the buffer there on destruction, so destroying the pool
// first would leave handles pointing at freed slabs. Owners declare the pool before (and so
// destroy it after) anything holding its buffers. Debug builds assert in ~PacketPool that no
// buffer is outstanding; ASan builds also poison free buffers, so a stale raw pointer into a
// released buffer is reported on first use.
#ifndef KITE_BUFFERS_PACKET_POOL_H_
#define KITE_BUFFERS_PACKET_POOL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace kite::buffers {

// The smallest buffer: an Ethernet-MTU datagram fits (RFC 9000 §14 requires 1200-byte UDP
// payloads; 1500 leaves room for any path MTU up to Ethernet's).
inline constexpr size_t kMinPacketBufferSize = 1500;
// The largest buffer: a batch of GSO/GRO segments (the kernel caps a UDP GSO super-packet at
// 64 KiB).
inline constexpr size_t kMaxPacketBufferSize = 64 * 1024;
// Cache-line alignment keeps buffers from sharing lines and suits vectorised AEAD code.
inline constexpr size_t kDefaultPacketBufferAlignment = 64;
inline constexpr size_t kMaxPacketBufferAlignment = 4096;
// Upper bound on `max_buffers` (1 Mi buffers: 1.5 GiB of 1500-byte buffers), so a mistyped
// option cannot ask for an absurd arena.
inline constexpr size_t kMaxPacketPoolBuffers = size_t{1} << 20;

struct PacketPoolOptions {
  // Usable bytes per buffer, in [kMinPacketBufferSize, kMaxPacketBufferSize].
  size_t buffer_size = kMinPacketBufferSize;
  // Buffers carved at creation (may be 0: the first Acquire() then grows the pool).
  size_t initial_buffers = 64;
  // Hard cap on carved buffers, in [max(1, initial_buffers), kMaxPacketPoolBuffers].
  size_t max_buffers = 1024;
  // Buffers per growth slab (>= 1); the last slab is cut short at max_buffers.
  size_t buffers_per_slab = 64;
  // Alignment of every buffer: a power of two in [alignof(void*), kMaxPacketBufferAlignment].
  size_t alignment = kDefaultPacketBufferAlignment;
};

struct PacketPoolStats {
  size_t in_use = 0;            // handles currently alive
  size_t capacity = 0;          // buffers carved so far (in use + free)
  size_t max_buffers = 0;       // the configured cap on `capacity`
  size_t high_water_mark = 0;   // the largest `in_use` ever seen
  uint64_t acquire_failures = 0;  // Acquire() calls that returned nullopt
  size_t slabs = 0;             // slabs allocated (1 + number of growths, or 0)
};

class PacketPool;

// Move-only RAII handle to one pool buffer. The buffer goes back to its pool when the handle is
// destroyed, assigned over, or Release()d. A default-constructed or moved-from handle is empty:
// it owns nothing, data() is null and capacity() is 0.
class PacketBuffer {
 public:
  PacketBuffer() = default;
  PacketBuffer(PacketBuffer&& other) noexcept;
  PacketBuffer& operator=(PacketBuffer&& other) noexcept;
  PacketBuffer(const PacketBuffer&) = delete;
  PacketBuffer& operator=(const PacketBuffer&) = delete;
  ~PacketBuffer() { Release(); }

  bool valid() const { return data_ != nullptr; }
  explicit operator bool() const { return valid(); }

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  // Usable bytes (the pool's buffer_size).
  size_t capacity() const { return capacity_; }
  // Bytes in use (a received datagram's length, or what a writer filled in). Starts at 0.
  size_t size() const { return size_; }
  // Sets the used length. Fails, changing nothing, if `size` exceeds capacity().
  [[nodiscard]] bool set_size(size_t size);

  // The used bytes, [0, size()).
  absl::Span<const uint8_t> span() const { return {data_, size_}; }
  absl::Span<uint8_t> mutable_span() { return {data_, size_}; }
  // The whole buffer, [0, capacity()): what a reader fills or a DataWriter writes into.
  absl::Span<uint8_t> writable_span() { return {data_, capacity_}; }

  // Returns the buffer to the pool now; the handle becomes empty. No-op on an empty handle.
  void Release();

 private:
  friend class PacketPool;
  PacketBuffer(PacketPool* pool, uint8_t* data, size_t capacity)
      : pool_(pool), data_(data), capacity_(capacity) {}

  PacketPool* pool_ = nullptr;
  uint8_t* data_ = nullptr;
  size_t capacity_ = 0;
  size_t size_ = 0;
};

class PacketPool {
 public:
  // Validates `options` (InvalidArgument) and carves the initial slab (ResourceExhausted if the
  // allocation fails). The pool is returned by pointer because handles point back to it: it
  // never moves.
  static absl::StatusOr<std::unique_ptr<PacketPool>> Create(const PacketPoolOptions& options);

  PacketPool(const PacketPool&) = delete;
  PacketPool& operator=(const PacketPool&) = delete;
  // Requires that no PacketBuffer is outstanding (asserted in debug builds; see the lifetime
  // rule at the top of this file).
  ~PacketPool();

  // O(1). Takes a free buffer, growing by one slab if none is free and capacity < max_buffers.
  // Returns std::nullopt when the pool is exhausted (or a growth allocation failed).
  std::optional<PacketBuffer> Acquire();

  size_t buffer_size() const { return buffer_size_; }
  size_t in_use() const { return in_use_; }
  size_t capacity() const { return capacity_; }
  PacketPoolStats stats() const;

 private:
  struct FreeNode {
    FreeNode* next;
  };
  struct Slab {
    uint8_t* base;
    size_t count;  // buffers carved from it
  };

  explicit PacketPool(const PacketPoolOptions& options);
  // Allocates one slab of `count` buffers and pushes them on the free list.
  bool AddSlab(size_t count);
  void Return(uint8_t* data);
  void PushFree(uint8_t* data);

  friend class PacketBuffer;

  const size_t buffer_size_;
  const size_t stride_;  // buffer_size_ rounded up to the alignment
  const size_t alignment_;
  const size_t max_buffers_;
  const size_t buffers_per_slab_;

  FreeNode* free_head_ = nullptr;
  std::vector<Slab> slabs_;  // reserved up front: growth never reallocates it
  size_t capacity_ = 0;
  size_t in_use_ = 0;
  size_t high_water_mark_ = 0;
  uint64_t acquire_failures_ = 0;
};

}  // namespace kite::buffers

#endif  // KITE_BUFFERS_PACKET_POOL_H_
