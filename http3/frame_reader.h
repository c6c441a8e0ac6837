// Incremental HTTP/3 frame parsing from a stream's bytes (RFC 9114 §7.1), fed in pieces of any
// size. DATA payloads pass through without being buffered, as chunks pointing into the input;
// other known frames are buffered up to a named bound and decoded when complete; unknown and
// reserved types are skipped as they arrive, whatever their length.
#ifndef KITE_HTTP3_FRAME_READER_H_
#define KITE_HTTP3_FRAME_READER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "http3/frames.h"

namespace kite::http3 {

// Bound on the payload of a buffered (non-DATA) frame; HEADERS frames are the big ones.
inline constexpr uint64_t kDefaultMaxBufferedFramePayload = 64 * 1024;

class FrameReader {
 public:
  struct Item {
    enum class Kind : uint8_t {
      kFrame,         // a complete non-DATA frame of a known type
      kDataChunk,     // part of a DATA payload (possibly empty for an empty DATA frame)
      kUnknownFrame,  // the header of a frame being skipped (type only)
    };
    Kind kind = Kind::kFrame;
    Frame frame;                      // kFrame
    absl::Span<const uint8_t> data;   // kDataChunk: points into the input given to Next
    bool data_frame_end = false;      // kDataChunk: the DATA frame is complete
    uint64_t type = 0;                // kUnknownFrame / kFrame
  };

  explicit FrameReader(uint64_t max_buffered_payload = kDefaultMaxBufferedFramePayload)
      : max_buffered_payload_(max_buffered_payload) {}

  // Consumes bytes from the front of `*input` up to and including the next item. Returns
  // nullopt once all of `*input` is consumed without completing an item. Errors:
  // H3_FRAME_ERROR for a malformed payload, H3_FRAME_UNEXPECTED for an HTTP/2-only type,
  // H3_EXCESSIVE_LOAD for a buffered frame above the bound. After an error the reader is dead.
  absl::StatusOr<std::optional<Item>> Next(absl::Span<const uint8_t>* input);

  // The stream ended cleanly: H3_FRAME_ERROR if it ended inside a frame (RFC 9114 §7.1).
  absl::Status OnStreamEnd() const;

  // True between frames.
  bool at_frame_boundary() const { return state_ == State::kHeader && header_len_ == 0; }

 private:
  enum class State : uint8_t { kHeader, kData, kBuffer, kSkip, kFailed };

  const uint64_t max_buffered_payload_;
  State state_ = State::kHeader;
  uint8_t header_[16];
  size_t header_len_ = 0;
  uint64_t type_ = 0;
  uint64_t remaining_ = 0;  // payload bytes still to come
  std::vector<uint8_t> payload_;
};

}  // namespace kite::http3

#endif  // KITE_HTTP3_FRAME_READER_H_
