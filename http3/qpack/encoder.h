// The QPACK encoder (RFC 9204 §2.1), sans-I/O. It uses the dynamic table when the peer allows
// one: it inserts fields worth keeping, references them (blocking at most the peer's
// SETTINGS_QPACK_BLOCKED_STREAMS streams), duplicates useful entries that are about to drain
// out, and never evicts an entry that is unacknowledged or still referenced (§2.1.1).
#ifndef KITE_HTTP3_QPACK_ENCODER_H_
#define KITE_HTTP3_QPACK_ENCODER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "http3/qpack/dynamic_table.h"
#include "http3/qpack/header_list.h"

namespace kite::http3::qpack {

struct EncoderConfig {
  // The most table memory we are willing to use, whatever the peer allows.
  uint64_t max_table_capacity = 4096;
  // The defaults below were tuned on the qifs header sets (test/http3/qpack/testdata).
  // Entries larger than this fraction of the capacity (in 1/16ths) are not inserted: they
  // would flush the table for one field.
  uint64_t max_entry_sixteenths = 4;
  // Share of the table (in 1/16ths) kept free or evictable: older entries are "draining"
  // and are duplicated rather than referenced (§2.1.1.1). A small share suits peers that
  // acknowledge promptly; a larger one keeps inserts possible when acknowledgments lag.
  uint64_t draining_sixteenths = 1;
  // A field is inserted when seen again within the last min(history_size, 2 * capacity / 32)
  // fields. With this set it is also inserted on first sight if the new entry can be
  // referenced at once and takes at most 1/8 of the table; that helps when most fields
  // repeat, and hurts when many values are one-offs (paths, dates) that push useful entries
  // out.
  bool insert_first_sight_if_referenceable = false;
  size_t history_size = 512;
  // Unacknowledged sections with dynamic references kept track of; beyond this (a peer that
  // never acknowledges) sections use only the static table and literals.
  size_t max_outstanding_sections = 1024;
};

class Encoder {
 public:
  explicit Encoder(const EncoderConfig& config);

  // The peer's SETTINGS_QPACK_MAX_TABLE_CAPACITY and SETTINGS_QPACK_BLOCKED_STREAMS (§5).
  // Until called the encoder uses the static table only; later calls are ignored.
  void OnPeerSettings(uint64_t max_table_capacity, uint64_t max_blocked_streams);

  // Encodes one field section for `stream_id`; any table updates it needs are queued for the
  // encoder stream and must be sent (TakeEncoderStreamData) along with it.
  std::string EncodeFieldSection(uint64_t stream_id, const HeaderList& headers);

  std::string TakeEncoderStreamData();

  // Decoder-stream bytes, in order, split anywhere (§4.4). Errors carry
  // QPACK_DECODER_STREAM_ERROR.
  absl::Status OnDecoderStreamData(std::string_view data);

  const DynamicTable& table() const { return table_; }
  uint64_t known_received_count() const { return known_received_count_; }
  // Streams with an unacknowledged section that needs inserts the decoder may not have.
  size_t BlockingStreamCount() const;
  uint64_t max_blocked_streams() const { return max_blocked_streams_; }

 private:
  struct OutstandingSection {
    uint64_t required_insert_count;
    std::vector<uint64_t> references;  // absolute indices, one per reference
  };

  bool StreamIsBlocking(uint64_t stream_id) const;
  // Inserting `entry_size` bytes evicts only evictable entries, and keeps `keep` (if any).
  bool CanInsert(uint64_t entry_size, uint64_t keep) const;
  uint64_t UnacknowledgedBytes() const;
  void Reference(uint64_t absolute_index, OutstandingSection* section);
  void Release(const OutstandingSection& section);
  absl::Status ApplyDecoderInstruction(std::string_view buffer, size_t* pos, bool* complete);
  // Records the field in the recent-fields history; true if it was there already.
  bool SeenRecently(const HeaderField& field);

  EncoderConfig config_;
  DynamicTable table_;
  bool settings_received_ = false;
  uint64_t max_entries_ = 0;  // from the peer's maximum capacity (§4.5.1.1)
  uint64_t max_blocked_streams_ = 0;
  uint64_t known_received_count_ = 0;
  std::string encoder_stream_;
  std::string decoder_buffer_;  // an incomplete decoder instruction
  std::map<uint64_t, std::deque<OutstandingSection>> outstanding_;  // by stream
  size_t outstanding_count_ = 0;
  std::map<uint64_t, uint64_t> reference_counts_;  // absolute index -> references
  std::deque<size_t> history_;                     // hashes of recent fields, oldest first
  std::unordered_map<size_t, size_t> history_counts_;
};

}  // namespace kite::http3::qpack

#endif  // KITE_HTTP3_QPACK_ENCODER_H_
