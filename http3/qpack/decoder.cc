#include "http3/qpack/decoder.h"

#include <algorithm>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "http3/qpack/decoder_instructions.h"
#include "http3/qpack/encoder_instructions.h"
#include "http3/qpack/field_line.h"
#include "http3/qpack/qpack_error.h"
#include "http3/qpack/required_insert_count.h"
#include "http3/qpack/static_table.h"

namespace kite::http3::qpack {
namespace {

absl::Status EncoderStreamError(std::string_view reason) {
  return QpackErrorStatus(QpackErrorCode::kEncoderStreamError, reason);
}

absl::Status DecompressionFailed(std::string_view reason) {
  return QpackErrorStatus(QpackErrorCode::kDecompressionFailed, reason);
}

}  // namespace

Decoder::Decoder(const DecoderConfig& config) : config_(config), table_(config.max_table_capacity) {
  table_.SetCapacity(std::min(config.initial_table_capacity, config.max_table_capacity));
}

absl::Status Decoder::OnEncoderStreamData(std::string_view data) {
  // Parse straight from `data` when nothing is buffered; otherwise append and parse the
  // buffer. Only the tail of an incomplete instruction is kept.
  std::string_view input = data;
  if (!encoder_buffer_.empty()) {
    encoder_buffer_.append(data.data(), data.size());
    input = encoder_buffer_;
  }
  size_t pos = 0;
  const uint64_t inserts_before = table_.insert_count();
  while (pos < input.size()) {
    bool complete = false;
    absl::Status status = ApplyInstruction(input, &pos, &complete);
    if (!status.ok()) return status;
    if (!complete) break;
  }
  std::string rest(input.substr(pos));
  if (rest.size() > config_.max_buffered_encoder_stream_bytes) {
    return EncoderStreamError("incomplete encoder instruction exceeds the buffer limit");
  }
  encoder_buffer_ = std::move(rest);
  if (table_.insert_count() != inserts_before) return DrainUnblocked();
  return absl::OkStatus();
}

absl::Status Decoder::ApplyInstruction(std::string_view buffer, size_t* pos, bool* complete) {
  EncoderInstruction instruction;
  const ParseStatus parsed =
      ParseEncoderInstruction(buffer, pos, config_.max_string_length, &instruction);
  if (parsed == ParseStatus::kIncomplete) {
    // Refuse a bad static name reference now rather than after buffering its value.
    size_t p = *pos;
    uint64_t index = 0;
    if ((static_cast<uint8_t>(buffer[p]) & 0xc0) == 0xc0 &&
        ParsePrefixInt(buffer, &p, 6, &index) == ParseStatus::kOk &&
        GetStaticEntry(index) == nullptr) {
      return EncoderStreamError("static name reference out of range");
    }
    *complete = false;
    return absl::OkStatus();
  }
  if (parsed == ParseStatus::kError) {
    return EncoderStreamError("malformed encoder instruction");
  }
  *complete = true;
  if (auto* i = std::get_if<SetDynamicTableCapacity>(&instruction)) {
    // §4.3.1: above SETTINGS_QPACK_MAX_TABLE_CAPACITY is an error.
    if (!table_.SetCapacity(i->capacity)) {
      return EncoderStreamError("dynamic table capacity above the maximum");
    }
    return absl::OkStatus();
  }
  std::string name;
  std::string value;
  if (auto* i = std::get_if<InsertWithNameReference>(&instruction)) {
    if (i->is_static) {
      const StaticEntry* e = GetStaticEntry(i->name_index);
      if (e == nullptr) return EncoderStreamError("static name reference out of range");
      name = std::string(e->name);
    } else {
      // §3.2.5: relative index 0 is the newest entry.
      if (i->name_index >= table_.insert_count()) {
        return EncoderStreamError("dynamic name reference out of range");
      }
      const HeaderField* e = table_.Get(table_.insert_count() - 1 - i->name_index);
      if (e == nullptr) return EncoderStreamError("name reference to an evicted entry");
      name = e->name;
    }
    value = std::move(i->value);
  } else if (auto* i = std::get_if<InsertWithLiteralName>(&instruction)) {
    name = std::move(i->name);
    value = std::move(i->value);
  } else if (auto* i = std::get_if<Duplicate>(&instruction)) {
    if (i->relative_index >= table_.insert_count()) {
      return EncoderStreamError("duplicate of an entry out of range");
    }
    const HeaderField* e = table_.Get(table_.insert_count() - 1 - i->relative_index);
    if (e == nullptr) return EncoderStreamError("duplicate of an evicted entry");
    name = e->name;
    value = e->value;
  }
  // §3.2.2: an entry larger than the capacity is an error.
  if (!table_.Insert(std::move(name), std::move(value))) {
    return EncoderStreamError("entry larger than the dynamic table capacity");
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Decoder::RequiredInsertCount(std::string_view section) const {
  size_t pos = 0;
  FieldSectionPrefix prefix;
  if (ParseFieldSectionPrefix(section, &pos, &prefix) != ParseStatus::kOk) {
    return DecompressionFailed("malformed field section prefix");
  }
  std::optional<uint64_t> ric =
      DecodeRequiredInsertCount(prefix.encoded_required_insert_count,
                                MaxEntries(config_.max_table_capacity), table_.insert_count());
  if (!ric.has_value()) return DecompressionFailed("invalid Required Insert Count");
  return *ric;
}

absl::StatusOr<std::optional<HeaderList>> Decoder::DecodeFieldSection(uint64_t stream_id,
                                                                      std::string_view section) {
  absl::StatusOr<uint64_t> ric = RequiredInsertCount(section);
  if (!ric.ok()) return ric.status();
  auto blocked = blocked_.find(stream_id);
  // A later section on a stream with a blocked one waits behind it, so sections come out of
  // a stream in order.
  if (*ric > table_.insert_count() || blocked != blocked_.end()) {
    if (section.size() > config_.max_encoded_section_size) {
      return absl::ResourceExhaustedError("blocked field section too large to keep");
    }
    if (blocked == blocked_.end()) {
      // §2.2.1: more blocked streams than promised is an error.
      if (blocked_.size() >= config_.max_blocked_streams) {
        return DecompressionFailed("too many blocked streams");
      }
      blocked = blocked_.emplace(stream_id, std::deque<Pending>()).first;
    } else if (blocked->second.size() >= config_.max_sections_per_blocked_stream) {
      return absl::ResourceExhaustedError("too many blocked sections on one stream");
    }
    blocked->second.push_back(Pending{*ric, std::string(section)});
    return std::optional<HeaderList>();
  }
  absl::StatusOr<HeaderList> headers = DecodeReady(stream_id, section, *ric);
  if (!headers.ok()) return headers.status();
  return std::optional<HeaderList>(std::move(*headers));
}

absl::StatusOr<HeaderList> Decoder::DecodeReady(uint64_t stream_id, std::string_view section,
                                                uint64_t ric) {
  size_t pos = 0;
  FieldSectionPrefix prefix;
  if (ParseFieldSectionPrefix(section, &pos, &prefix) != ParseStatus::kOk) {
    return DecompressionFailed("malformed field section prefix");
  }
  // §4.5.1.2: Base = RIC + Delta, or RIC - Delta - 1 with the sign bit; never negative.
  uint64_t base;
  if (prefix.sign) {
    if (ric <= prefix.delta_base) return DecompressionFailed("negative Base");
    base = ric - prefix.delta_base - 1;
  } else {
    if (prefix.delta_base > kMaxPrefixIntValue - ric) return DecompressionFailed("Base overflow");
    base = ric + prefix.delta_base;
  }
  // A dynamic reference must be below the Required Insert Count and still in the table
  // (§2.2.3).
  auto dynamic = [&](uint64_t absolute, const HeaderField** out) -> absl::Status {
    if (absolute >= ric) return DecompressionFailed("reference at or above Required Insert Count");
    *out = table_.Get(absolute);
    if (*out == nullptr) return DecompressionFailed("reference to an evicted entry");
    return absl::OkStatus();
  };
  auto relative = [&](uint64_t index, const HeaderField** out) -> absl::Status {
    if (index >= base) return DecompressionFailed("relative index at or above Base");
    return dynamic(base - 1 - index, out);
  };
  auto post_base = [&](uint64_t index, const HeaderField** out) -> absl::Status {
    if (index >= ric - std::min(ric, base)) {
      return DecompressionFailed("post-base index at or above Required Insert Count");
    }
    return dynamic(base + index, out);
  };

  HeaderList headers;
  uint64_t total_size = 0;
  while (pos < section.size()) {
    FieldLine line;
    const ParseStatus parsed = ParseFieldLine(section, &pos, config_.max_string_length, &line);
    if (parsed != ParseStatus::kOk) return DecompressionFailed("malformed field line");
    HeaderField field;
    const HeaderField* entry = nullptr;
    absl::Status status;
    switch (line.kind) {
      case FieldLine::Kind::kIndexed:
      case FieldLine::Kind::kLiteralNameRef:
        if (line.is_static) {
          const StaticEntry* e = GetStaticEntry(line.index);
          if (e == nullptr) return DecompressionFailed("static index out of range");
          field.name = std::string(e->name);
          field.value = std::string(e->value);
        } else {
          status = relative(line.index, &entry);
        }
        break;
      case FieldLine::Kind::kIndexedPostBase:
      case FieldLine::Kind::kLiteralPostBaseNameRef:
        status = post_base(line.index, &entry);
        break;
      case FieldLine::Kind::kLiteralName:
        field.name = std::move(line.name);
        break;
    }
    if (!status.ok()) return status;
    if (entry != nullptr) field = *entry;
    if (line.kind != FieldLine::Kind::kIndexed && line.kind != FieldLine::Kind::kIndexedPostBase) {
      field.value = std::move(line.value);
    }
    total_size += FieldSize(field);
    if (total_size > config_.max_field_section_size) {
      return QpackErrorStatus(QpackErrorCode::kExcessiveLoad,
                              "field section larger than SETTINGS_MAX_FIELD_SECTION_SIZE");
    }
    headers.push_back(std::move(field));
  }
  // §4.4.1: acknowledge sections that referenced the dynamic table.
  if (ric > 0) {
    AppendDecoderInstruction(SectionAcknowledgment{stream_id}, &decoder_stream_);
    if (ric > known_received_count_) known_received_count_ = ric;
  }
  return headers;
}

absl::Status Decoder::DrainUnblocked() {
  for (auto it = blocked_.begin(); it != blocked_.end();) {
    std::deque<Pending>& queue = it->second;
    while (!queue.empty() && queue.front().required_insert_count <= table_.insert_count()) {
      absl::StatusOr<HeaderList> headers =
          DecodeReady(it->first, queue.front().section, queue.front().required_insert_count);
      if (!headers.ok()) return headers.status();
      unblocked_.push_back(UnblockedSection{it->first, std::move(*headers)});
      queue.pop_front();
    }
    it = queue.empty() ? blocked_.erase(it) : std::next(it);
  }
  return absl::OkStatus();
}

std::vector<Decoder::UnblockedSection> Decoder::TakeUnblockedSections() {
  std::vector<UnblockedSection> out;
  out.swap(unblocked_);
  return out;
}

void Decoder::CancelStream(uint64_t stream_id) {
  blocked_.erase(stream_id);
  // §4.4.2: a decoder with no dynamic table may omit Stream Cancellation.
  if (config_.max_table_capacity > 0) {
    AppendDecoderInstruction(StreamCancellation{stream_id}, &decoder_stream_);
  }
}

std::string Decoder::TakeDecoderStreamData() {
  // §4.4.3: tell the encoder about inserts no Section Acknowledgment has covered.
  if (table_.insert_count() > known_received_count_) {
    AppendDecoderInstruction(InsertCountIncrement{table_.insert_count() - known_received_count_},
                             &decoder_stream_);
    known_received_count_ = table_.insert_count();
  }
  std::string out;
  out.swap(decoder_stream_);
  return out;
}

}  // namespace kite::http3::qpack
