#include "buffers/packet_pool.h"

#include <algorithm>
#include <cassert>
#include <new>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#if defined(__SANITIZE_ADDRESS__)
#define KITE_POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KITE_POOL_ASAN 1
#endif
#endif

#if defined(KITE_POOL_ASAN)
#include <sanitizer/asan_interface.h>
#define KITE_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define KITE_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define KITE_POISON(p, n) ((void)(p), (void)(n))
#define KITE_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace kite::buffers {
namespace {

size_t RoundUp(size_t n, size_t alignment) { return (n + alignment - 1) & ~(alignment - 1); }

bool IsPowerOfTwo(size_t n) { return n != 0 && (n & (n - 1)) == 0; }

size_t DivCeil(size_t a, size_t b) { return (a + b - 1) / b; }

}  // namespace

// ---- PacketBuffer ----

PacketBuffer::PacketBuffer(PacketBuffer&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      data_(std::exchange(other.data_, nullptr)),
      capacity_(std::exchange(other.capacity_, 0)),
      size_(std::exchange(other.size_, 0)) {}

PacketBuffer& PacketBuffer::operator=(PacketBuffer&& other) noexcept {
  if (this != &other) {
    Release();
    pool_ = std::exchange(other.pool_, nullptr);
    data_ = std::exchange(other.data_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

bool PacketBuffer::set_size(size_t size) {
  if (size > capacity_) return false;
  size_ = size;
  return true;
}

void PacketBuffer::Release() {
  if (data_ == nullptr) return;
  pool_->Return(data_);
  pool_ = nullptr;
  data_ = nullptr;
  capacity_ = 0;
  size_ = 0;
}

// ---- PacketPool ----

absl::StatusOr<std::unique_ptr<PacketPool>> PacketPool::Create(const PacketPoolOptions& options) {
  if (options.buffer_size < kMinPacketBufferSize || options.buffer_size > kMaxPacketBufferSize) {
    return absl::InvalidArgumentError(absl::StrCat("buffer_size ", options.buffer_size,
                                                   " outside [", kMinPacketBufferSize, ", ",
                                                   kMaxPacketBufferSize, "]"));
  }
  if (!IsPowerOfTwo(options.alignment) || options.alignment < alignof(FreeNode) ||
      options.alignment > kMaxPacketBufferAlignment) {
    return absl::InvalidArgumentError(
        absl::StrCat("alignment ", options.alignment, " is not a power of two in [",
                     alignof(FreeNode), ", ", kMaxPacketBufferAlignment, "]"));
  }
  if (options.max_buffers == 0 || options.max_buffers > kMaxPacketPoolBuffers) {
    return absl::InvalidArgumentError(absl::StrCat("max_buffers ", options.max_buffers,
                                                   " outside [1, ", kMaxPacketPoolBuffers, "]"));
  }
  if (options.initial_buffers > options.max_buffers) {
    return absl::InvalidArgumentError(absl::StrCat("initial_buffers ", options.initial_buffers,
                                                   " exceeds max_buffers ",
                                                   options.max_buffers));
  }
  if (options.buffers_per_slab == 0) {
    return absl::InvalidArgumentError("buffers_per_slab must be at least 1");
  }
  std::unique_ptr<PacketPool> pool(new PacketPool(options));
  if (options.initial_buffers > 0 && !pool->AddSlab(options.initial_buffers)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot allocate ", options.initial_buffers, " packet buffers of ",
                     pool->stride_, " bytes"));
  }
  return pool;
}

PacketPool::PacketPool(const PacketPoolOptions& options)
    : buffer_size_(options.buffer_size),
      stride_(RoundUp(options.buffer_size, options.alignment)),
      alignment_(options.alignment),
      max_buffers_(options.max_buffers),
      buffers_per_slab_(options.buffers_per_slab) {
  // The initial slab plus every growth slab: reserving now means AddSlab never reallocates.
  size_t max_slabs = 1 + DivCeil(max_buffers_ - std::min(options.initial_buffers, max_buffers_),
                                 buffers_per_slab_);
  slabs_.reserve(max_slabs);
}

PacketPool::~PacketPool() {
  // Lifetime rule (packet_pool.h): every handle must be gone before its pool.
  assert(in_use_ == 0 && "PacketPool destroyed while PacketBuffers are outstanding");
  for (const Slab& slab : slabs_) {
    // Free buffers are poisoned under ASan; hand the memory back to the allocator clean.
    KITE_UNPOISON(slab.base, slab.count * stride_);
    ::operator delete(slab.base, std::align_val_t(alignment_));
  }
}

bool PacketPool::AddSlab(size_t count) {
  count = std::min(count, max_buffers_ - capacity_);
  if (count == 0 || slabs_.size() == slabs_.capacity()) return false;
  void* memory = ::operator new(count * stride_, std::align_val_t(alignment_), std::nothrow);
  if (memory == nullptr) return false;
  uint8_t* base = static_cast<uint8_t*>(memory);
  slabs_.push_back(Slab{base, count});
  capacity_ += count;
  // Pushed in reverse so the lowest address is handed out first.
  for (size_t i = count; i > 0; --i) PushFree(base + (i - 1) * stride_);
  return true;
}

void PacketPool::PushFree(uint8_t* data) {
  KITE_UNPOISON(data, sizeof(FreeNode));
  free_head_ = ::new (data) FreeNode{free_head_};
  KITE_POISON(data, stride_);
}

std::optional<PacketBuffer> PacketPool::Acquire() {
  if (free_head_ == nullptr && !AddSlab(buffers_per_slab_)) {
    ++acquire_failures_;
    return std::nullopt;
  }
  FreeNode* node = free_head_;
  KITE_UNPOISON(node, sizeof(FreeNode));
  free_head_ = node->next;
  uint8_t* data = reinterpret_cast<uint8_t*>(node);
  KITE_UNPOISON(data, buffer_size_);
  ++in_use_;
  high_water_mark_ = std::max(high_water_mark_, in_use_);
  return PacketBuffer(this, data, buffer_size_);
}

void PacketPool::Return(uint8_t* data) {
  assert(in_use_ > 0 && "PacketBuffer returned to a pool with nothing in use");
#ifndef NDEBUG
  bool owned = false;
  // Compared as integers: relational operators on pointers into different slabs are unspecified.
  const uintptr_t addr = reinterpret_cast<uintptr_t>(data);
  for (const Slab& slab : slabs_) {
    const uintptr_t base = reinterpret_cast<uintptr_t>(slab.base);
    if (addr >= base && addr < base + slab.count * stride_ && (addr - base) % stride_ == 0) {
      owned = true;
      break;
    }
  }
  assert(owned && "PacketBuffer returned to a pool that did not carve it");
#endif
  --in_use_;
  PushFree(data);
}

PacketPoolStats PacketPool::stats() const {
  PacketPoolStats s;
  s.in_use = in_use_;
  s.capacity = capacity_;
  s.max_buffers = max_buffers_;
  s.high_water_mark = high_water_mark_;
  s.acquire_failures = acquire_failures_;
  s.slabs = slabs_.size();
  return s;
}

}  // namespace kite::buffers
