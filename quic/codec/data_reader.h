// A bounds-checked big-endian reader over peer-supplied bytes. Every read either succeeds
// completely or fails without consuming anything, so decoders cannot read past their input.
#ifndef KITE_QUIC_CODEC_DATA_READER_H_
#define KITE_QUIC_CODEC_DATA_READER_H_

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "quic/codec/varint.h"

namespace kite::quic {

class DataReader {
 public:
  explicit DataReader(absl::Span<const uint8_t> data) : data_(data) {}
  DataReader(const uint8_t* data, size_t len) : data_(data, len) {}

  size_t offset() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return remaining() == 0; }
  absl::Span<const uint8_t> data() const { return data_; }
  absl::Span<const uint8_t> PeekRemaining() const { return data_.subspan(pos_); }

  bool ReadUInt8(uint8_t* out) {
    if (remaining() < 1) return false;
    *out = data_[pos_++];
    return true;
  }
  bool PeekUInt8(uint8_t* out) const {
    if (remaining() < 1) return false;
    *out = data_[pos_];
    return true;
  }
  bool ReadUInt16(uint16_t* out) { return ReadBigEndian(2, out); }
  bool ReadUInt24(uint32_t* out) { return ReadBigEndian(3, out); }
  bool ReadUInt32(uint32_t* out) { return ReadBigEndian(4, out); }
  bool ReadUInt64(uint64_t* out) { return ReadBigEndian(8, out); }

  // Reads an unsigned big-endian integer of `len` bytes (0..8).
  bool ReadUIntN(size_t len, uint64_t* out) { return ReadBigEndian(len, out); }

  // RFC 9000 §16.
  bool ReadVarInt(uint64_t* out) {
    if (remaining() < 1) return false;
    const size_t len = VarIntLengthFromFirstByte(data_[pos_]);
    if (remaining() < len) return false;
    // One straight-line case per encoded length (1, 2, 4 or 8 bytes): varints are read for
    // every field of every frame.
    const uint8_t* p = data_.data() + pos_;
    uint64_t v = p[0] & 0x3f;
    switch (len) {
      case 1:
        break;
      case 2:
        v = (v << 8) | p[1];
        break;
      case 4:
        v = (v << 24) | (uint64_t{p[1]} << 16) | (uint64_t{p[2]} << 8) | p[3];
        break;
      default:
        v = (v << 56) | (uint64_t{p[1]} << 48) | (uint64_t{p[2]} << 40) |
            (uint64_t{p[3]} << 32) | (uint64_t{p[4]} << 24) | (uint64_t{p[5]} << 16) |
            (uint64_t{p[6]} << 8) | p[7];
        break;
    }
    pos_ += len;
    *out = v;
    return true;
  }

  // A view of the next `len` bytes (no copy).
  bool ReadBytes(size_t len, absl::Span<const uint8_t>* out) {
    if (remaining() < len) return false;
    *out = data_.subspan(pos_, len);
    pos_ += len;
    return true;
  }
  bool CopyBytes(size_t len, uint8_t* out) {
    if (remaining() < len) return false;
    for (size_t i = 0; i < len; ++i) out[i] = data_[pos_ + i];
    pos_ += len;
    return true;
  }
  absl::Span<const uint8_t> ReadRemaining() {
    absl::Span<const uint8_t> rest = data_.subspan(pos_);
    pos_ = data_.size();
    return rest;
  }
  bool Skip(size_t len) {
    if (remaining() < len) return false;
    pos_ += len;
    return true;
  }

 private:
  template <typename T>
  bool ReadBigEndian(size_t len, T* out) {
    if (len > 8 || remaining() < len) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; ++i) v = (v << 8) | data_[pos_ + i];
    pos_ += len;
    *out = static_cast<T>(v);
    return true;
  }

  absl::Span<const uint8_t> data_;
  size_t pos_ = 0;
};

}  // namespace kite::quic

#endif  // KITE_QUIC_CODEC_DATA_READER_H_
