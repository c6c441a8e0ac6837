// The QPACK decoder (RFC 9204 §2.2), sans-I/O: it is handed encoder-stream bytes and
// encoded field sections, and hands back header lists and decoder-stream bytes.
#ifndef KITE_HTTP3_QPACK_DECODER_H_
#define KITE_HTTP3_QPACK_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "http3/qpack/dynamic_table.h"
#include "http3/qpack/header_list.h"

namespace kite::http3::qpack {

struct DecoderConfig {
  // SETTINGS_QPACK_MAX_TABLE_CAPACITY we advertise (RFC 9204 §5).
  uint64_t max_table_capacity = 4096;
  // The capacity before any Set Dynamic Table Capacity. RFC 9204 §3.2.3 makes it zero; the
  // QPACK offline interop files assume it starts at the maximum (most of their encoders
  // never send the instruction). At most max_table_capacity.
  uint64_t initial_table_capacity = 0;
  // SETTINGS_QPACK_BLOCKED_STREAMS we advertise (§2.2.1).
  uint64_t max_blocked_streams = 100;
  // SETTINGS_MAX_FIELD_SECTION_SIZE (RFC 9114 §4.2.2): decoded size, names + values + 32 each.
  uint64_t max_field_section_size = 64 * 1024;
  // Longest name or value accepted on either stream.
  size_t max_string_length = 16 * 1024;
  // Largest encoded field section kept while its stream is blocked.
  size_t max_encoded_section_size = 64 * 1024;
  // Blocked sections queued behind one another on one stream (headers, then trailers).
  size_t max_sections_per_blocked_stream = 4;
  // Encoder-stream bytes held while an instruction is incomplete.
  size_t max_buffered_encoder_stream_bytes = 40 * 1024;
};

class Decoder {
 public:
  explicit Decoder(const DecoderConfig& config);

  // Encoder-stream bytes, in order, split anywhere. Errors carry QPACK_ENCODER_STREAM_ERROR,
  // or QPACK_DECOMPRESSION_FAILED for a section that was unblocked and turned out invalid.
  absl::Status OnEncoderStreamData(std::string_view data);

  // One complete encoded field section (a HEADERS frame payload) of `stream_id`. Returns the
  // header list, or nullopt if the section is blocked (§2.1.2); it is then kept and comes out
  // of TakeUnblockedSections once the inserts it needs arrive.
  absl::StatusOr<std::optional<HeaderList>> DecodeFieldSection(uint64_t stream_id,
                                                               std::string_view section);

  struct UnblockedSection {
    uint64_t stream_id;
    HeaderList headers;
  };
  std::vector<UnblockedSection> TakeUnblockedSections();

  // §4.4.2: the stream was reset or its reading abandoned.
  void CancelStream(uint64_t stream_id);

  // Decoder-stream bytes to send (Section Acknowledgment, Stream Cancellation, Insert Count
  // Increment, §4.4); an Insert Count Increment covers inserts not yet acknowledged otherwise.
  std::string TakeDecoderStreamData();

  size_t blocked_stream_count() const { return blocked_.size(); }
  // The encoder stream so far ends inside an instruction.
  bool has_incomplete_encoder_instruction() const { return !encoder_buffer_.empty(); }
  const DynamicTable& table() const { return table_; }

 private:
  struct Pending {
    uint64_t required_insert_count;
    std::string section;
  };

  absl::Status ApplyInstruction(std::string_view buffer, size_t* pos, bool* complete);
  // Decodes a section whose Required Insert Count (decoded when it arrived, §4.5.1.1) is
  // satisfied.
  absl::StatusOr<HeaderList> DecodeReady(uint64_t stream_id, std::string_view section,
                                         uint64_t ric);
  absl::StatusOr<uint64_t> RequiredInsertCount(std::string_view section) const;
  absl::Status DrainUnblocked();

  DecoderConfig config_;
  DynamicTable table_;
  std::string encoder_buffer_;         // an incomplete encoder instruction
  uint64_t known_received_count_ = 0;  // what the encoder has been told (§2.1.4)
  std::string decoder_stream_;
  std::map<uint64_t, std::deque<Pending>> blocked_;
  std::vector<UnblockedSection> unblocked_;
};

}  // namespace kite::http3::qpack

#endif  // KITE_HTTP3_QPACK_DECODER_H_
