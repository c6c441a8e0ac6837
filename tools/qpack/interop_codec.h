// Runs kite's QPACK decoder and encoder over QPACK offline-interop files.
#ifndef KITE_TOOLS_QPACK_INTEROP_CODEC_H_
#define KITE_TOOLS_QPACK_INTEROP_CODEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "http3/qpack/header_list.h"
#include "tools/qpack/encoded_file.h"

namespace kite::tools::qpack {

struct InteropSettings {
  uint64_t table_size = 0;   // SETTINGS_QPACK_MAX_TABLE_CAPACITY
  uint64_t max_blocked = 0;  // SETTINGS_QPACK_BLOCKED_STREAMS
  // Encoding only: feed the decoder's acknowledgments back after every section, as if they
  // arrived at once; otherwise the encoder never hears from the decoder.
  bool immediate_ack = false;
};

struct DecodedSection {
  uint64_t stream_id = 0;
  http3::qpack::HeaderList headers;
};

// Decodes every record; sections come out sorted by stream id. Fails on any decoder error,
// or if at the end a section is still blocked or the encoder stream stops mid-instruction.
// The table capacity starts at `table_size`, as the interop files assume.
absl::StatusOr<std::vector<DecodedSection>> DecodeRecords(const std::vector<EncodedRecord>& records,
                                                          const InteropSettings& settings);

struct EncodeResult {
  std::string file;  // the encoded file
  uint64_t section_bytes = 0;
  uint64_t encoder_stream_bytes = 0;
  uint64_t plain_bytes = 0;  // sum of name and value lengths
};

// Encodes list i on stream i + 1. Each section record is followed by the encoder-stream
// record carrying the inserts it made, so a decoder sees sections that reference unacknowledged
// entries blocked for a moment. Fails only if the acknowledging decoder rejects the output.
absl::StatusOr<EncodeResult> EncodeLists(const std::vector<http3::qpack::HeaderList>& lists,
                                         const InteropSettings& settings);

}  // namespace kite::tools::qpack

#endif  // KITE_TOOLS_QPACK_INTEROP_CODEC_H_
