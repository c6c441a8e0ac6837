#include "http3/frame_reader.h"

#include <algorithm>

#include "http3/error_code.h"
#include "quic/codec/data_reader.h"
#include "quic/codec/varint.h"

namespace kite::http3 {

absl::StatusOr<std::optional<FrameReader::Item>> FrameReader::Next(
    absl::Span<const uint8_t>* input) {
  while (true) {
    switch (state_) {
      case State::kFailed:
        return Http3ErrorStatus(Http3ErrorCode::kFrameError, "frame reader used after error");
      case State::kHeader: {
        // Collect type and length varints byte by byte (at most 16 bytes).
        if (input->empty()) return std::optional<Item>();
        header_[header_len_++] = (*input)[0];
        input->remove_prefix(1);
        size_t type_len = quic::VarIntLengthFromFirstByte(header_[0]);
        if (header_len_ < type_len + 1) continue;
        size_t len_len = quic::VarIntLengthFromFirstByte(header_[type_len]);
        if (header_len_ < type_len + len_len) continue;
        quic::DataReader r(header_, header_len_);
        r.ReadVarInt(&type_);
        r.ReadVarInt(&remaining_);
        header_len_ = 0;
        if (IsHttp2OnlyFrameType(type_)) {
          state_ = State::kFailed;
          return Http3ErrorStatus(Http3ErrorCode::kFrameUnexpected, "HTTP/2 frame type");
        }
        if (type_ == kFrameData) {
          state_ = State::kData;
          if (remaining_ == 0) {
            state_ = State::kHeader;
            Item item;
            item.kind = Item::Kind::kDataChunk;
            item.type = kFrameData;
            item.data_frame_end = true;
            return std::optional<Item>(std::move(item));
          }
          continue;
        }
        bool known = type_ == kFrameHeaders || type_ == kFrameCancelPush ||
                     type_ == kFrameSettings || type_ == kFramePushPromise ||
                     type_ == kFrameGoaway || type_ == kFrameMaxPushId ||
                     type_ == kFramePriorityUpdateRequest || type_ == kFramePriorityUpdatePush;
        if (!known) {
          state_ = remaining_ == 0 ? State::kHeader : State::kSkip;
          Item item;
          item.kind = Item::Kind::kUnknownFrame;
          item.type = type_;
          return std::optional<Item>(std::move(item));
        }
        if (remaining_ > max_buffered_payload_) {
          state_ = State::kFailed;
          return Http3ErrorStatus(Http3ErrorCode::kExcessiveLoad, "frame above the size bound");
        }
        payload_.clear();
        payload_.reserve(static_cast<size_t>(remaining_));
        state_ = State::kBuffer;
        continue;
      }
      case State::kData: {
        if (input->empty()) return std::optional<Item>();
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, input->size()));
        Item item;
        item.kind = Item::Kind::kDataChunk;
        item.type = kFrameData;
        item.data = input->subspan(0, n);
        input->remove_prefix(n);
        remaining_ -= n;
        if (remaining_ == 0) {
          item.data_frame_end = true;
          state_ = State::kHeader;
        }
        return std::optional<Item>(std::move(item));
      }
      case State::kSkip: {
        if (input->empty()) return std::optional<Item>();
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, input->size()));
        input->remove_prefix(n);
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::kHeader;
        continue;
      }
      case State::kBuffer: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, input->size()));
        payload_.insert(payload_.end(), input->begin(), input->begin() + n);
        input->remove_prefix(n);
        remaining_ -= n;
        if (remaining_ > 0) return std::optional<Item>();
        state_ = State::kHeader;
        absl::StatusOr<Frame> frame = DecodeFramePayload(type_, payload_);
        payload_.clear();
        if (!frame.ok()) {
          state_ = State::kFailed;
          return frame.status();
        }
        Item item;
        item.kind = Item::Kind::kFrame;
        item.type = type_;
        item.frame = std::move(*frame);
        return std::optional<Item>(std::move(item));
      }
    }
  }
}

absl::Status FrameReader::OnStreamEnd() const {
  if (state_ == State::kFailed) {
    return Http3ErrorStatus(Http3ErrorCode::kFrameError, "stream ended after a frame error");
  }
  if (!at_frame_boundary()) {
    return Http3ErrorStatus(Http3ErrorCode::kFrameError, "stream ended inside a frame");
  }
  return absl::OkStatus();
}

}  // namespace kite::http3
