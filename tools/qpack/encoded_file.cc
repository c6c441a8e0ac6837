#include "tools/qpack/encoded_file.h"

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace kite::tools::qpack {

absl::StatusOr<std::vector<EncodedRecord>> ParseEncodedFile(std::string_view bytes) {
  std::vector<EncodedRecord> records;
  size_t pos = 0;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 12) return absl::InvalidArgumentError("truncated record header");
    uint64_t stream_id = 0;
    for (int i = 0; i < 8; ++i) stream_id = (stream_id << 8) | static_cast<uint8_t>(bytes[pos++]);
    uint32_t length = 0;
    for (int i = 0; i < 4; ++i) length = (length << 8) | static_cast<uint8_t>(bytes[pos++]);
    if (bytes.size() - pos < length) return absl::InvalidArgumentError("truncated record");
    records.push_back(EncodedRecord{stream_id, std::string(bytes.substr(pos, length))});
    pos += length;
  }
  return records;
}

void AppendEncodedRecord(uint64_t stream_id, std::string_view data, std::string* out) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((stream_id >> (8 * i)) & 0xff));
  const uint32_t length = static_cast<uint32_t>(data.size());
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((length >> (8 * i)) & 0xff));
  out->append(data.data(), data.size());
}

std::optional<EncodedFileName> ParseEncodedFileName(std::string_view file_name) {
  const size_t out = file_name.find(".out");
  if (out == std::string_view::npos || out == 0) return std::nullopt;
  EncodedFileName name;
  name.qif = std::string(file_name.substr(0, out));
  std::string_view rest = file_name.substr(out + 4);
  if (rest.empty()) return name;
  if (rest.front() != '.') return std::nullopt;
  std::vector<std::string> parts =
      absl::StrSplit(absl::string_view(rest.data() + 1, rest.size() - 1), '.');
  uint64_t table = 0, blocked = 0, ack = 0;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &table) ||
      !absl::SimpleAtoi(parts[1], &blocked) || !absl::SimpleAtoi(parts[2], &ack) || ack > 1) {
    return std::nullopt;
  }
  name.table_size = table;
  name.max_blocked = blocked;
  name.immediate_ack = ack == 1;
  return name;
}

}  // namespace kite::tools::qpack
