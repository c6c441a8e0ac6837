// The encoded file of the QPACK offline interop: records of [stream id u64 BE][length u32 BE]
// [bytes]; stream 0 is the encoder stream, others carry one encoded field section each.
// Files are named <qif>.out.<table size>.<max blocked streams>.<ack mode>.
#ifndef KITE_TOOLS_QPACK_ENCODED_FILE_H_
#define KITE_TOOLS_QPACK_ENCODED_FILE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace kite::tools::qpack {

struct EncodedRecord {
  uint64_t stream_id = 0;
  std::string data;
};

absl::StatusOr<std::vector<EncodedRecord>> ParseEncodedFile(std::string_view bytes);
void AppendEncodedRecord(uint64_t stream_id, std::string_view data, std::string* out);

struct EncodedFileName {
  std::string qif;  // the part before ".out"
  // Absent when the name carries no settings (draft-examples.out).
  std::optional<uint64_t> table_size;
  std::optional<uint64_t> max_blocked;
  std::optional<bool> immediate_ack;
};

// nullopt if `file_name` (no directory) is not "<qif>.out[.<n>.<n>.<0|1>]".
std::optional<EncodedFileName> ParseEncodedFileName(std::string_view file_name);

}  // namespace kite::tools::qpack

#endif  // KITE_TOOLS_QPACK_ENCODED_FILE_H_
