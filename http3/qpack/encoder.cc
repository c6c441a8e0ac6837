#include "http3/qpack/encoder.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <optional>
#include <utility>
#include <variant>

#include "http3/qpack/decoder_instructions.h"
#include "http3/qpack/encoder_instructions.h"
#include "http3/qpack/field_line.h"
#include "http3/qpack/qpack_error.h"
#include "http3/qpack/required_insert_count.h"
#include "http3/qpack/static_table.h"

namespace kite::http3::qpack {
namespace {

// A decoder instruction is at most a byte plus ten continuation bytes; more buffered bytes
// without a complete instruction cannot be valid.
constexpr size_t kMaxBufferedDecoderStreamBytes = 16;

}  // namespace

Encoder::Encoder(const EncoderConfig& config) : config_(config), table_(0) {}

void Encoder::OnPeerSettings(uint64_t max_table_capacity, uint64_t max_blocked_streams) {
  // SETTINGS arrive once per connection (RFC 9114 §7.2.4); the peer's table state cannot be
  // reset, so a second call changes nothing.
  if (settings_received_) return;
  settings_received_ = true;
  // §4.5.1.1: MaxEntries comes from the decoder's maximum, not the capacity we pick.
  max_entries_ = MaxEntries(max_table_capacity);
  max_blocked_streams_ = max_blocked_streams;
  const uint64_t capacity = std::min(max_table_capacity, config_.max_table_capacity);
  table_ = DynamicTable(max_table_capacity);
  if (capacity > 0) {
    table_.SetCapacity(capacity);
    AppendEncoderInstruction(SetDynamicTableCapacity{capacity}, &encoder_stream_);
  }
}

bool Encoder::StreamIsBlocking(uint64_t stream_id) const {
  auto it = outstanding_.find(stream_id);
  if (it == outstanding_.end()) return false;
  for (const OutstandingSection& s : it->second) {
    if (s.required_insert_count > known_received_count_) return true;
  }
  return false;
}

size_t Encoder::BlockingStreamCount() const {
  size_t n = 0;
  for (const auto& [stream_id, sections] : outstanding_) {
    if (StreamIsBlocking(stream_id)) ++n;
  }
  return n;
}

bool Encoder::CanInsert(uint64_t entry_size, uint64_t keep) const {
  std::optional<uint64_t> survivors = table_.SurvivorsAfterInsert(entry_size);
  if (!survivors.has_value()) return false;
  if (*survivors == table_.first_index()) return true;  // nothing evicted
  // §2.1.1: evictable means acknowledged and not referenced by an unacknowledged section.
  uint64_t limit = std::min(known_received_count_, keep);
  if (!reference_counts_.empty()) limit = std::min(limit, reference_counts_.begin()->first);
  return *survivors <= limit;
}

uint64_t Encoder::UnacknowledgedBytes() const {
  uint64_t bytes = 0;
  for (uint64_t i = std::max(known_received_count_, table_.first_index());
       i < table_.insert_count(); ++i) {
    bytes += FieldSize(*table_.Get(i));
  }
  return bytes;
}

bool Encoder::SeenRecently(const HeaderField& field) {
  std::string key = field.name;
  key.push_back('\0');
  key += field.value;
  const size_t hash = std::hash<std::string>()(key);
  const bool seen = history_counts_.count(hash) > 0;
  history_.push_back(hash);
  ++history_counts_[hash];
  // A field seen again within what the table can hold is likely to be seen again while its
  // entry is still there.
  const size_t window = static_cast<size_t>(
      std::min<uint64_t>(config_.history_size, 2 * (table_.capacity() / kFieldOverhead)));
  while (history_.size() > window) {
    auto it = history_counts_.find(history_.front());
    if (--it->second == 0) history_counts_.erase(it);
    history_.pop_front();
  }
  return seen;
}

void Encoder::Reference(uint64_t absolute_index, OutstandingSection* section) {
  section->references.push_back(absolute_index);
  ++reference_counts_[absolute_index];
  section->required_insert_count = std::max(section->required_insert_count, absolute_index + 1);
}

void Encoder::Release(const OutstandingSection& section) {
  for (uint64_t index : section.references) {
    auto it = reference_counts_.find(index);
    if (--it->second == 0) reference_counts_.erase(it);
  }
}

std::string Encoder::EncodeFieldSection(uint64_t stream_id, const HeaderList& headers) {
  const uint64_t base = table_.insert_count();
  // Without room to track one more section, the dynamic table is left alone.
  const uint64_t capacity =
      outstanding_count_ < config_.max_outstanding_sections ? table_.capacity() : 0;
  const bool can_block =
      StreamIsBlocking(stream_id) || BlockingStreamCount() < max_blocked_streams_;
  OutstandingSection section{0, {}};
  std::string lines;

  auto referenceable = [&](uint64_t index) {
    return capacity > 0 && (index < known_received_count_ || can_block);
  };
  // Indexed or name reference to a dynamic entry, relative or post-base (§3.2.5, §3.2.6).
  auto dynamic_line = [&](uint64_t index, bool indexed, const std::string& value) {
    FieldLine line;
    const bool post_base = index >= base;
    line.index = post_base ? index - base : base - 1 - index;
    if (indexed) {
      line.kind = post_base ? FieldLine::Kind::kIndexedPostBase : FieldLine::Kind::kIndexed;
    } else {
      line.kind =
          post_base ? FieldLine::Kind::kLiteralPostBaseNameRef : FieldLine::Kind::kLiteralNameRef;
      line.value = value;
    }
    Reference(index, &section);
    AppendFieldLine(line, &lines);
  };

  for (const HeaderField& field : headers) {
    const StaticMatch in_static = FindInStaticTable(field.name, field.value);
    if (in_static.exact.has_value()) {
      FieldLine line;
      line.kind = FieldLine::Kind::kIndexed;
      line.is_static = true;
      line.index = *in_static.exact;
      AppendFieldLine(line, &lines);
      continue;
    }
    const uint64_t entry_size = FieldSize(field);
    const bool seen = SeenRecently(field);
    const uint64_t draining = table_.DrainingBoundary(capacity * config_.draining_sixteenths / 16);
    const std::optional<uint64_t> exact = table_.FindExact(field.name, field.value);
    if (exact.has_value() && *exact >= draining && referenceable(*exact)) {
      dynamic_line(*exact, true, field.value);
      continue;
    }
    if (exact.has_value()) {
      // §2.1.1.1: re-insert a draining (or unusable) entry with Duplicate, if the copy can be
      // referenced now.
      if (capacity > 0 && can_block && CanInsert(entry_size, *exact)) {
        AppendEncoderInstruction(Duplicate{table_.insert_count() - 1 - *exact}, &encoder_stream_);
        table_.Insert(field.name, field.value);
        dynamic_line(table_.insert_count() - 1, true, field.value);
        continue;
      }
    } else if (capacity > 0 && entry_size * 16 <= capacity * config_.max_entry_sixteenths &&
               (seen || (can_block && config_.insert_first_sight_if_referenceable &&
                         entry_size * 8 <= capacity)) &&
               (can_block || UnacknowledgedBytes() < capacity / 2) &&
               CanInsert(entry_size, std::numeric_limits<uint64_t>::max())) {
      // Insert, naming the static table or a dynamic entry that survives the insertion.
      const std::optional<uint64_t> survivors = table_.SurvivorsAfterInsert(entry_size);
      const std::optional<uint64_t> dynamic_name = table_.FindName(field.name);
      if (in_static.name.has_value()) {
        AppendEncoderInstruction(InsertWithNameReference{true, *in_static.name, field.value},
                                 &encoder_stream_);
      } else if (dynamic_name.has_value() && *dynamic_name >= *survivors) {
        AppendEncoderInstruction(
            InsertWithNameReference{false, table_.insert_count() - 1 - *dynamic_name, field.value},
            &encoder_stream_);
      } else {
        AppendEncoderInstruction(InsertWithLiteralName{field.name, field.value}, &encoder_stream_);
      }
      table_.Insert(field.name, field.value);
      if (can_block) {
        dynamic_line(table_.insert_count() - 1, true, field.value);
        continue;
      }
    }
    // A literal, naming the static table or a referenceable dynamic entry if possible.
    if (in_static.name.has_value()) {
      FieldLine line;
      line.kind = FieldLine::Kind::kLiteralNameRef;
      line.is_static = true;
      line.index = *in_static.name;
      line.value = field.value;
      AppendFieldLine(line, &lines);
      continue;
    }
    const std::optional<uint64_t> dynamic_name = table_.FindName(field.name);
    if (dynamic_name.has_value() && *dynamic_name >= draining && referenceable(*dynamic_name)) {
      dynamic_line(*dynamic_name, false, field.value);
      continue;
    }
    FieldLine line;
    line.kind = FieldLine::Kind::kLiteralName;
    line.name = field.name;
    line.value = field.value;
    AppendFieldLine(line, &lines);
  }

  std::string out;
  const uint64_t ric = section.required_insert_count;
  AppendFieldSectionPrefix(MakeFieldSectionPrefix(ric, ric == 0 ? 0 : base, max_entries_), &out);
  out.append(lines);
  if (ric > 0) {
    outstanding_[stream_id].push_back(std::move(section));
    ++outstanding_count_;
  }
  return out;
}

std::string Encoder::TakeEncoderStreamData() {
  std::string out;
  out.swap(encoder_stream_);
  return out;
}

absl::Status Encoder::OnDecoderStreamData(std::string_view data) {
  std::string_view input = data;
  if (!decoder_buffer_.empty()) {
    decoder_buffer_.append(data.data(), data.size());
    input = decoder_buffer_;
  }
  size_t pos = 0;
  while (pos < input.size()) {
    bool complete = false;
    absl::Status status = ApplyDecoderInstruction(input, &pos, &complete);
    if (!status.ok()) return status;
    if (!complete) break;
  }
  std::string rest(input.substr(pos));
  if (rest.size() > kMaxBufferedDecoderStreamBytes) {
    return QpackErrorStatus(QpackErrorCode::kDecoderStreamError, "overlong instruction");
  }
  decoder_buffer_ = std::move(rest);
  return absl::OkStatus();
}

absl::Status Encoder::ApplyDecoderInstruction(std::string_view buffer, size_t* pos,
                                              bool* complete) {
  DecoderInstruction instruction;
  const ParseStatus parsed = ParseDecoderInstruction(buffer, pos, &instruction);
  *complete = parsed == ParseStatus::kOk;
  if (parsed == ParseStatus::kIncomplete) return absl::OkStatus();
  if (parsed == ParseStatus::kError) {
    return QpackErrorStatus(QpackErrorCode::kDecoderStreamError, "malformed instruction");
  }
  if (auto* i = std::get_if<SectionAcknowledgment>(&instruction)) {
    // §4.4.1: acknowledges the earliest unacknowledged section with dynamic references.
    auto it = outstanding_.find(i->stream_id);
    if (it == outstanding_.end()) {
      return QpackErrorStatus(QpackErrorCode::kDecoderStreamError,
                              "Section Acknowledgment with no outstanding section");
    }
    const OutstandingSection& section = it->second.front();
    known_received_count_ = std::max(known_received_count_, section.required_insert_count);
    Release(section);
    it->second.pop_front();
    --outstanding_count_;
    if (it->second.empty()) outstanding_.erase(it);
  } else if (auto* i = std::get_if<StreamCancellation>(&instruction)) {
    auto it = outstanding_.find(i->stream_id);
    if (it != outstanding_.end()) {
      for (const OutstandingSection& section : it->second) Release(section);
      outstanding_count_ -= it->second.size();
      outstanding_.erase(it);
    }
  } else if (auto* i = std::get_if<InsertCountIncrement>(&instruction)) {
    // §4.4.3: zero, or beyond what was inserted, is an error.
    if (i->increment == 0 || i->increment > table_.insert_count() - known_received_count_) {
      return QpackErrorStatus(QpackErrorCode::kDecoderStreamError,
                              "invalid Insert Count Increment");
    }
    known_received_count_ += i->increment;
  }
  return absl::OkStatus();
}

}  // namespace kite::http3::qpack
