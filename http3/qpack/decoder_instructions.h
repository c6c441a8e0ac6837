// Decoder-stream instructions (RFC 9204 §4.4).
#ifndef KITE_HTTP3_QPACK_DECODER_INSTRUCTIONS_H_
#define KITE_HTTP3_QPACK_DECODER_INSTRUCTIONS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "http3/qpack/prefix_int.h"

namespace kite::http3::qpack {

// §4.4.1: 1 + stream id (7+).
struct SectionAcknowledgment {
  uint64_t stream_id = 0;
  bool operator==(const SectionAcknowledgment& o) const { return stream_id == o.stream_id; }
};

// §4.4.2: 01 + stream id (6+).
struct StreamCancellation {
  uint64_t stream_id = 0;
  bool operator==(const StreamCancellation& o) const { return stream_id == o.stream_id; }
};

// §4.4.3: 00 + increment (6+).
struct InsertCountIncrement {
  uint64_t increment = 0;
  bool operator==(const InsertCountIncrement& o) const { return increment == o.increment; }
};

using DecoderInstruction =
    std::variant<SectionAcknowledgment, StreamCancellation, InsertCountIncrement>;

void AppendDecoderInstruction(const DecoderInstruction& instruction, std::string* out);

// Parses one instruction at in[*pos], advancing *pos on kOk.
ParseStatus ParseDecoderInstruction(std::string_view in, size_t* pos, DecoderInstruction* out);

}  // namespace kite::http3::qpack

#endif  // KITE_HTTP3_QPACK_DECODER_INSTRUCTIONS_H_
