// A bounds-checked big-endian writer into a caller-owned buffer (typically a pool packet).
// A write that does not fit fails and writes nothing.
#ifndef KITE_QUIC_CODEC_DATA_WRITER_H_
#define KITE_QUIC_CODEC_DATA_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/types/span.h"
#include "quic/codec/varint.h"

namespace kite::quic {

class DataWriter {
 public:
  explicit DataWriter(absl::Span<uint8_t> buffer) : buf_(buffer) {}
  DataWriter(uint8_t* buffer, size_t capacity) : buf_(buffer, capacity) {}

  size_t length() const { return pos_; }
  size_t capacity() const { return buf_.size(); }
  size_t remaining() const { return buf_.size() - pos_; }
  uint8_t* data() { return buf_.data(); }
  absl::Span<const uint8_t> written() const { return absl::Span<const uint8_t>(buf_.data(), pos_); }

  bool WriteUInt8(uint8_t v) { return WriteBigEndian(1, v); }
  bool WriteUInt16(uint16_t v) { return WriteBigEndian(2, v); }
  bool WriteUInt24(uint32_t v) { return v < (1u << 24) && WriteBigEndian(3, v); }
  bool WriteUInt32(uint32_t v) { return WriteBigEndian(4, v); }
  bool WriteUInt64(uint64_t v) { return WriteBigEndian(8, v); }
  // Writes the low `len` bytes of `v` big-endian (len 0..8).
  bool WriteUIntN(size_t len, uint64_t v) { return WriteBigEndian(len, v); }

  // RFC 9000 §16, shortest encoding.
  bool WriteVarInt(uint64_t v) {
    size_t len = VarIntLength(v);
    return len != 0 && WriteVarIntWithLength(v, len);
  }
  // Fixed-length encoding (1, 2, 4 or 8 bytes), e.g. a long header Length field written
  // before the payload size is known.
  bool WriteVarIntWithLength(uint64_t v, size_t len) {
    if ((len != 1 && len != 2 && len != 4 && len != 8) || v > MaxVarIntForLength(len)) {
      return false;
    }
    if (remaining() < len) return false;
    uint8_t prefix = static_cast<uint8_t>(len == 1 ? 0x00 : len == 2 ? 0x40 : len == 4 ? 0x80 : 0xc0);
    for (size_t i = 0; i < len; ++i) {
      buf_[pos_ + len - 1 - i] = static_cast<uint8_t>(v & 0xff);
      v >>= 8;
    }
    buf_[pos_] |= prefix;
    pos_ += len;
    return true;
  }

  bool WriteBytes(const void* data, size_t len) {
    if (remaining() < len) return false;
    if (len > 0) std::memcpy(buf_.data() + pos_, data, len);
    pos_ += len;
    return true;
  }
  bool WriteBytes(absl::Span<const uint8_t> data) { return WriteBytes(data.data(), data.size()); }
  bool WriteRepeated(uint8_t byte, size_t count) {
    if (remaining() < count) return false;
    if (count > 0) std::memset(buf_.data() + pos_, byte, count);
    pos_ += count;
    return true;
  }
  bool WritePadding(size_t count) { return WriteRepeated(0, count); }

  // Reserves `len` bytes to be filled later (returns their start), or nullptr.
  uint8_t* Reserve(size_t len) {
    if (remaining() < len) return nullptr;
    uint8_t* p = buf_.data() + pos_;
    pos_ += len;
    return p;
  }

 private:
  bool WriteBigEndian(size_t len, uint64_t v) {
    if (len > 8 || remaining() < len) return false;
    for (size_t i = 0; i < len; ++i) {
      buf_[pos_ + len - 1 - i] = static_cast<uint8_t>(v & 0xff);
      v >>= 8;
    }
    pos_ += len;
    return true;
  }

  absl::Span<uint8_t> buf_;
  size_t pos_ = 0;
};

}  // namespace kite::quic

#endif  // KITE_QUIC_CODEC_DATA_WRITER_H_
