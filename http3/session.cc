#include "http3/session.h"

#include <algorithm>
#include <utility>

#include "http3/frames.h"
#include "http3/message_validator.h"
#include "http3/stream_type.h"
#include "quic/codec/data_reader.h"
#include "quic/codec/varint.h"

namespace kite::http3 {
namespace {

// Bytes read from the transport per ReadStream call.
constexpr size_t kReadChunk = 32 * 1024;

}  // namespace

Http3Session::Http3Session(quic::Connection* connection, const SessionConfig& config,
                           std::unique_ptr<FieldSectionCodec> codec)
    : conn_(connection),
      config_(config),
      codec_(std::move(codec)),
      is_server_(connection->is_server()),
      control_reader_(config.max_frame_payload),
      scratch_(kReadChunk) {}

Http3Session::~Http3Session() = default;

// --- Driving ---

void Http3Session::OnConnectionEvent(absl::Time now, const quic::ConnectionEvent& ev) {
  now_ = now;
  using T = quic::ConnectionEvent::Type;
  if (ev.type == T::kClosed) {
    closed_ = true;
    std::vector<uint64_t> ids;
    for (const auto& [id, s] : streams_) ids.push_back(id);
    for (uint64_t id : ids) {
      if (FindStream(id) == nullptr) continue;
      streams_.erase(id);
      OnStreamFailed(id, Http3ErrorCode::kRequestCancelled, false);
    }
    return;
  }
  if (ev.type == T::kNewSessionTicket) {
    OnSessionTicket(ev.data);
    return;
  }
  if (closed_) return;
  switch (ev.type) {
    case T::kStreamOpened:
    case T::kStreamReadable: {
      uint64_t id = ev.stream_id;
      if (IsUnidirectionalStream(id)) {
        ReadUniStream(id);
        break;
      }
      if (ev.type == T::kStreamOpened) {
        absl::Status st = OnPeerBidiStream(id);
        if (!st.ok()) {
          CloseWithError(st);
          break;
        }
      }
      ReadRequestStream(id);
      break;
    }
    case T::kStreamReset: OnStreamReset(ev.stream_id, ev.error_code); break;
    case T::kStopSending: OnStopSending(ev.stream_id, ev.error_code); break;
    default: break;
  }
}

void Http3Session::Pump(absl::Time now) {
  now_ = now;
  if (closed_) return;
  if (conn_->is_closing()) {
    closed_ = true;
    return;
  }
  EnsureLocalStreams();
  std::string enc = codec_->TakeEncoderStreamData();
  pending_encoder_bytes_ += enc;
  std::string dec = codec_->TakeDecoderStreamData();
  pending_decoder_bytes_ += dec;
  if (encoder_.id.has_value() && !pending_encoder_bytes_.empty()) {
    encoder_.out.insert(encoder_.out.end(), pending_encoder_bytes_.begin(),
                        pending_encoder_bytes_.end());
    pending_encoder_bytes_.clear();
  }
  if (decoder_.id.has_value() && !pending_decoder_bytes_.empty()) {
    decoder_.out.insert(decoder_.out.end(), pending_decoder_bytes_.begin(),
                        pending_decoder_bytes_.end());
    pending_decoder_bytes_.clear();
  }
  // Encoder-stream bytes first: request streams may reference the inserts (RFC 9204 §2.1.2).
  FlushLocalUni(encoder_);
  FlushLocalUni(decoder_);
  FlushLocalUni(control_);
  std::vector<uint64_t> ids;
  ids.reserve(streams_.size());
  for (const auto& [id, s] : streams_) ids.push_back(id);
  for (uint64_t id : ids) {
    if (closed_) return;
    RequestStream* s = FindStream(id);
    if (s == nullptr) continue;
    if (s->needs_read && !s->paused && !s->blocked) {
      s->needs_read = false;
      ReadRequestStream(id);
    }
    FlushRequestStream(id);
    RetireIfDone(id);
  }
  // Only a drain needs to know; otherwise prune now and then so the set stays small.
  if (goaway_sent_.has_value() || goaway_received_.has_value() ||
      unacked_finished_.size() > 1024) {
    for (auto it = unacked_finished_.begin(); it != unacked_finished_.end();) {
      if (conn_->StreamBufferedBytes(*it) == 0) {
        it = unacked_finished_.erase(it);
      } else {
        ++it;
      }
    }
  }
  MaybeFinishDrain();
}

void Http3Session::MaybeFinishDrain() {
  if (closed_ || (!goaway_sent_.has_value() && !goaway_received_.has_value())) return;
  if (!streams_.empty() || !unacked_finished_.empty()) return;
  if (!DrainComplete()) return;
  // Our control stream (GOAWAY) must have reached the peer before the close.
  if (control_.id.has_value() &&
      (control_.out_offset < control_.out.size() || conn_->StreamBufferedBytes(*control_.id) > 0)) {
    return;
  }
  CloseConnection(now_, Http3ErrorCode::kNoError, "graceful shutdown");
}

void Http3Session::CloseConnection(absl::Time now, Http3ErrorCode code, std::string reason) {
  now_ = now;
  if (closed_) return;
  if (code != Http3ErrorCode::kNoError) local_error_ = code;
  conn_->Close(now, ToWire(code), std::move(reason));
  closed_ = true;
  std::vector<uint64_t> ids;
  for (const auto& [id, s] : streams_) ids.push_back(id);
  for (uint64_t id : ids) {
    if (FindStream(id) == nullptr) continue;
    streams_.erase(id);
    OnStreamFailed(id, code == Http3ErrorCode::kNoError ? Http3ErrorCode::kRequestCancelled : code,
                   false);
  }
}

void Http3Session::CloseWithError(const absl::Status& status) {
  Http3ErrorCode code = GetHttp3ErrorCode(status);
  CloseConnection(now_, code, std::string(status.message()));
}

// --- Our unidirectional streams ---

void Http3Session::EnsureLocalStreams() {
  auto open = [&](LocalUni& s, uint64_t type) {
    if (s.id.has_value()) return true;
    absl::StatusOr<uint64_t> id = conn_->OpenStream(/*bidirectional=*/false);
    if (!id.ok()) return false;  // no stream credit yet (transport parameters pending)
    s.id = *id;
    // Request streams must never wait behind a response for the control or QPACK streams:
    // a HEADERS frame blocked on encoder-stream inserts queued after a large response would
    // stall its whole stream (head-of-line blocking). The transport's scheduler has a control
    // lane, but the connection does not expose it; urgency 0 is the closest (RFC 9218 §4.1).
    (void)conn_->SetStreamPriority(*id, 0, false);
    AppendVarInt(type, &s.out);
    return true;
  };
  if (!control_.id.has_value()) {
    if (!open(control_, kStreamTypeControl)) return;
    // RFC 9114 §6.2.1: SETTINGS is the first frame of the control stream.
    std::optional<uint64_t> grease;
    if (config_.send_grease) grease = (conn_->is_server() ? 3 : 5);
    AppendFrame(ToSettingsFrame(config_.settings, grease), &control_.out);
    if (config_.send_grease) {
      // §7.2.8: a reserved frame type, to be ignored.
      AppendFrame(UnknownFrame{ReservedFrameType(grease.value_or(1) + 1), {0x6b, 0x69}},
                  &control_.out);
    }
  }
  if (!open(encoder_, kStreamTypeQpackEncoder)) return;
  open(decoder_, kStreamTypeQpackDecoder);
}

void Http3Session::FlushLocalUni(LocalUni& s) {
  if (!s.id.has_value() || s.out_offset == s.out.size()) return;
  absl::Span<const uint8_t> rest(s.out.data() + s.out_offset, s.out.size() - s.out_offset);
  absl::Status st = conn_->WriteStream(*s.id, rest, false);
  if (!st.ok()) return;
  s.out.clear();
  s.out_offset = 0;
}

void Http3Session::QueueControlFrame(const Frame& frame) {
  AppendFrame(frame, &control_.out);
}

// --- Request streams: sending ---

Http3Session::RequestStream* Http3Session::FindStream(uint64_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

const Http3Session::RequestStream* Http3Session::FindStream(uint64_t id) const {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

Http3Session::RequestStream& Http3Session::CreateStream(uint64_t id) {
  auto s = std::make_unique<RequestStream>(config_.max_frame_payload);
  s->id = id;
  RequestStream& ref = *s;
  streams_[id] = std::move(s);
  return ref;
}

absl::Status Http3Session::QueueHeaders(uint64_t stream_id, const HeaderList& fields, bool fin) {
  RequestStream* s = FindStream(stream_id);
  if (s == nullptr) return absl::NotFoundError("no such request stream");
  if (s->fin_queued || s->send_done) return absl::FailedPreconditionError("stream finished");
  // RFC 9114 §4.2.2: do not exceed the peer's advertised limit.
  if (peer_settings_.has_value() && peer_settings_->max_field_section_size.has_value() &&
      FieldSectionSize(fields) > *peer_settings_->max_field_section_size) {
    return absl::ResourceExhaustedError("field section above the peer's limit");
  }
  std::vector<uint8_t> block = codec_->EncodeFieldSection(stream_id, fields);
  AppendFrameHeader(kFrameHeaders, block.size(), &s->out);
  s->out.insert(s->out.end(), block.begin(), block.end());
  s->headers_sent = true;
  if (fin) s->fin_queued = true;
  return absl::OkStatus();
}

absl::Status Http3Session::QueueBody(uint64_t stream_id, absl::Span<const uint8_t> data,
                                     bool fin) {
  RequestStream* s = FindStream(stream_id);
  if (s == nullptr) return absl::NotFoundError("no such request stream");
  if (s->fin_queued || s->send_done) return absl::FailedPreconditionError("stream finished");
  if (!s->headers_sent) return absl::FailedPreconditionError("body before headers");
  if (!data.empty()) {
    AppendFrameHeader(kFrameData, data.size(), &s->out);
    s->out.insert(s->out.end(), data.begin(), data.end());
  }
  if (fin) s->fin_queued = true;
  return absl::OkStatus();
}

absl::Status Http3Session::QueueTrailers(uint64_t stream_id, const HeaderList& trailers) {
  absl::Status st = ValidateTrailers(trailers);
  if (!st.ok()) return st;
  RequestStream* s = FindStream(stream_id);
  if (s == nullptr) return absl::NotFoundError("no such request stream");
  if (!s->headers_sent) return absl::FailedPreconditionError("trailers before headers");
  return QueueHeaders(stream_id, trailers, /*fin=*/true);
}

void Http3Session::FlushRequestStream(uint64_t id) {
  RequestStream* s = FindStream(id);
  if (s == nullptr || s->send_done) return;
  while (s->out_offset < s->out.size()) {
    uint64_t buffered = conn_->StreamBufferedBytes(id);
    if (buffered >= config_.stream_send_window) break;
    size_t n = static_cast<size_t>(
        std::min<uint64_t>(config_.stream_send_window - buffered, s->out.size() - s->out_offset));
    bool fin = s->fin_queued && s->out_offset + n == s->out.size();
    absl::Status st =
        conn_->WriteStream(id, absl::MakeConstSpan(s->out.data() + s->out_offset, n), fin);
    if (!st.ok()) {
      // The transport no longer sends on this stream (reset or stopped).
      s->out.clear();
      s->out_offset = 0;
      s->send_done = true;
      return;
    }
    s->out_offset += n;
    s->was_queued = true;
    if (fin) s->fin_sent = true;
  }
  if (s->out_offset == s->out.size()) {
    s->out.clear();
    s->out_offset = 0;
    if (s->fin_queued && !s->fin_sent) {
      if (conn_->WriteStream(id, {}, true).ok()) s->fin_sent = true;
    }
    if (s->fin_sent) {
      s->send_done = true;
      unacked_finished_.insert(id);
      return;
    }
    if (s->was_queued) {
      s->was_queued = false;
      OnStreamWritable(id);
    }
  } else if (s->out_offset > (1u << 20) && s->out_offset * 2 > s->out.size()) {
    s->out.erase(s->out.begin(), s->out.begin() + static_cast<std::ptrdiff_t>(s->out_offset));
    s->out_offset = 0;
  }
}

size_t Http3Session::QueuedBytes(uint64_t stream_id) const {
  const RequestStream* s = FindStream(stream_id);
  return s == nullptr ? 0 : s->out.size() - s->out_offset;
}

void Http3Session::SetReadPaused(uint64_t stream_id, bool paused) {
  RequestStream* s = FindStream(stream_id);
  if (s == nullptr) return;
  s->paused = paused;
  if (!paused) s->needs_read = true;  // Pump resumes it
}

void Http3Session::RetireIfDone(uint64_t id) {
  RequestStream* s = FindStream(id);
  if (s == nullptr || !s->recv_done || !s->send_done) return;
  streams_.erase(id);
}

void Http3Session::ResetRequestStream(uint64_t id, Http3ErrorCode code) {
  // RFC 9114 §4.1.1: abort whichever directions are still open.
  (void)conn_->ResetStream(id, ToWire(code));
  (void)conn_->StopSending(id, ToWire(code));
  // RFC 9204 §2.2.2.2: sections not yet decoded will never be.
  codec_->CancelStream(id);
  streams_.erase(id);
}

void Http3Session::ApplyPriority(uint64_t stream_id, const PriorityParams& p) {
  (void)conn_->SetStreamPriority(stream_id, p.urgency, p.incremental);
}

// --- Request streams: receiving ---

void Http3Session::ReadRequestStream(uint64_t id) {
  while (!closed_) {
    RequestStream* s = FindStream(id);
    if (s == nullptr || s->paused || s->blocked || s->recv_done) return;
    if (s->inbox_offset < s->inbox.size()) {
      std::vector<uint8_t> held = std::move(s->inbox);
      size_t off = s->inbox_offset;
      s->inbox.clear();
      s->inbox_offset = 0;
      absl::Span<const uint8_t> input(held.data() + off, held.size() - off);
      Feed f = FeedRequestStream(id, &input);
      if (f == Feed::kGone) return;
      if (!input.empty()) {
        s = FindStream(id);
        s->inbox.assign(input.begin(), input.end());
        return;
      }
      if (f == Feed::kStop) return;
      continue;
    }
    if (s->fin_read) {
      absl::Status st = OnRequestStreamEnd(id);
      if (!st.ok()) HandleStreamError(id, st);
      return;
    }
    bool fin = false;
    absl::StatusOr<size_t> n = conn_->ReadStream(id, scratch_.data(), scratch_.size(), &fin);
    if (!n.ok()) return;
    if (fin) s->fin_read = true;
    if (*n == 0 && !fin) return;
    absl::Span<const uint8_t> input(scratch_.data(), *n);
    Feed f = FeedRequestStream(id, &input);
    if (f == Feed::kGone) return;
    if (!input.empty()) {
      s = FindStream(id);
      s->inbox.assign(input.begin(), input.end());
      s->inbox_offset = 0;
      return;
    }
    if (f == Feed::kStop) return;
  }
}

Http3Session::Feed Http3Session::FeedRequestStream(uint64_t id, absl::Span<const uint8_t>* input) {
  while (!input->empty()) {
    RequestStream* s = FindStream(id);
    if (s == nullptr || closed_) return Feed::kGone;
    if (s->paused || s->blocked) return Feed::kStop;
    absl::StatusOr<std::optional<FrameReader::Item>> item = s->reader.Next(input);
    if (!item.ok()) {
      CloseWithError(item.status());
      return Feed::kGone;
    }
    if (!item->has_value()) break;
    FrameReader::Item& it = **item;
    absl::Status st;
    Feed feed = Feed::kContinue;
    switch (it.kind) {
      case FrameReader::Item::Kind::kDataChunk: st = OnRequestData(id, it.data); break;
      case FrameReader::Item::Kind::kUnknownFrame: break;  // §9: ignored
      case FrameReader::Item::Kind::kFrame: st = OnRequestFrame(id, it.frame, &feed); break;
    }
    if (!st.ok()) {
      HandleStreamError(id, st);
      return Feed::kGone;
    }
    if (FindStream(id) == nullptr || closed_) return Feed::kGone;
    if (feed == Feed::kStop) return Feed::kStop;
  }
  return Feed::kContinue;
}

void Http3Session::HandleStreamError(uint64_t id, const absl::Status& st) {
  Http3ErrorCode code = GetHttp3ErrorCode(st);
  if (IsStreamErrorCode(code) || code == Http3ErrorCode::kExcessiveLoad) {
    if (code == Http3ErrorCode::kExcessiveLoad && FindStream(id) == nullptr) {
      CloseWithError(st);
      return;
    }
    if (FindStream(id) == nullptr) return;
    ResetRequestStream(id, code);
    OnStreamFailed(id, code, false);
    return;
  }
  CloseWithError(st);
}

absl::Status Http3Session::OnRequestFrame(uint64_t id, const Frame& frame, Feed* feed) {
  if (const auto* h = std::get_if<HeadersFrame>(&frame)) {
    RequestStream* s = FindStream(id);
    // §4.1: HEADERS after the trailers is an invalid sequence.
    if (s->phase == Phase::kTrailers) {
      return Http3ErrorStatus(Http3ErrorCode::kFrameUnexpected, "HEADERS after trailers");
    }
    absl::StatusOr<std::optional<HeaderList>> fields =
        codec_->DecodeFieldSection(id, h->field_section);
    if (!fields.ok()) {
      // A section above our limit concerns this stream only; others poison the decoder.
      if (GetHttp3ErrorCode(fields.status()) == Http3ErrorCode::kExcessiveLoad) {
        return Http3ErrorStatus(Http3ErrorCode::kExcessiveLoad, "field section too large");
      }
      CloseWithError(fields.status());
      return absl::OkStatus();
    }
    if (!fields->has_value()) {
      // RFC 9204 §2.1.2: blocked until the encoder stream delivers the inserts.
      s->blocked = true;
      *feed = Feed::kStop;
      return absl::OkStatus();
    }
    return OnFieldSection(id, std::move(**fields));
  }
  if (std::holds_alternative<PushPromiseFrame>(frame)) return OnPushPromise();
  // §7.2: CANCEL_PUSH, SETTINGS, GOAWAY, MAX_PUSH_ID (and PRIORITY_UPDATE, RFC 9218 §7.1)
  // belong on the control stream.
  return Http3ErrorStatus(Http3ErrorCode::kFrameUnexpected, "control frame on a request stream");
}

absl::Status Http3Session::OnFieldSection(uint64_t id, HeaderList fields) {
  RequestStream* s = FindStream(id);
  if (s == nullptr) return absl::OkStatus();
  if (config_.settings.max_field_section_size.has_value() &&
      FieldSectionSize(fields) > *config_.settings.max_field_section_size) {
    return Http3ErrorStatus(Http3ErrorCode::kExcessiveLoad, "field section too large");
  }
  if (s->phase == Phase::kHeaders) return OnMessageHeaders(id, std::move(fields));
  // §4.1: a HEADERS frame after the content is the trailer section.
  absl::Status st = ValidateTrailers(fields);
  if (!st.ok()) return st;
  s->phase = Phase::kTrailers;
  s->trailers = std::move(fields);
  return absl::OkStatus();
}

absl::Status Http3Session::OnRequestData(uint64_t id, absl::Span<const uint8_t> data) {
  RequestStream* s = FindStream(id);
  // §4.1: DATA before HEADERS or after the trailers is an invalid frame sequence.
  if (s->phase != Phase::kBody) {
    return Http3ErrorStatus(Http3ErrorCode::kFrameUnexpected,
                            s->phase == Phase::kHeaders ? "DATA before HEADERS"
                                                        : "DATA after trailers");
  }
  s->body_bytes += data.size();
  // §4.1.2: content-length must match the DATA received; stop as soon as it is exceeded.
  if (s->content_length.has_value() && !s->body_exempt && s->body_bytes > *s->content_length) {
    return Http3ErrorStatus(Http3ErrorCode::kMessageError, "more content than content-length");
  }
  if (s->discard_body || data.empty()) return absl::OkStatus();
  OnMessageBody(id, data);
  return absl::OkStatus();
}

absl::Status Http3Session::OnRequestStreamEnd(uint64_t id) {
  RequestStream* s = FindStream(id);
  absl::Status st = s->reader.OnStreamEnd();
  if (!st.ok()) {
    CloseWithError(st);
    return absl::OkStatus();
  }
  if (s->phase == Phase::kHeaders) {
    // §4.1: the stream ended before a complete message.
    return Http3ErrorStatus(is_server_ ? Http3ErrorCode::kRequestIncomplete
                                       : Http3ErrorCode::kMessageError,
                            "stream ended without a complete message");
  }
  if (s->content_length.has_value() && !s->body_exempt && s->body_bytes != *s->content_length) {
    return Http3ErrorStatus(Http3ErrorCode::kMessageError, "content-length mismatch");
  }
  s->recv_done = true;
  HeaderList trailers = std::move(s->trailers);
  bool discard = s->discard_body;
  if (!discard) OnMessageComplete(id, trailers);
  RetireIfDone(id);
  return absl::OkStatus();
}

void Http3Session::DeliverUnblockedSections() {
  for (auto& [id, fields] : codec_->TakeUnblockedSections()) {
    RequestStream* s = FindStream(id);
    if (s == nullptr) continue;
    s->blocked = false;
    absl::Status st = OnFieldSection(id, std::move(fields));
    if (!st.ok()) {
      HandleStreamError(id, st);
      continue;
    }
    if (closed_) return;
    ReadRequestStream(id);
  }
}

void Http3Session::OnStreamReset(uint64_t id, uint64_t code) {
  if (IsUnidirectionalStream(id)) {
    // §6.2.1, RFC 9204 §4.2: the critical streams must not close.
    if (IsCriticalPeerStream(id)) {
      CloseWithError(Http3ErrorStatus(Http3ErrorCode::kClosedCriticalStream,
                                      "critical stream reset"));
    }
    uni_.erase(id);
    return;
  }
  RequestStream* s = FindStream(id);
  if (s == nullptr) return;
  if (s->recv_done) return;  // the message was complete: RFC 9114 §4.1 keeps it
  // Stop our direction too (§4.1.1) and forget the stream.
  if (!s->send_done) (void)conn_->ResetStream(id, ToWire(Http3ErrorCode::kRequestCancelled));
  codec_->CancelStream(id);
  streams_.erase(id);
  Http3ErrorCode c = static_cast<Http3ErrorCode>(code);
  OnStreamFailed(id, c, c == Http3ErrorCode::kRequestRejected);
}

void Http3Session::OnStopSending(uint64_t id, uint64_t code) {
  if (IsCriticalLocalStream(id)) {
    CloseWithError(Http3ErrorStatus(Http3ErrorCode::kClosedCriticalStream,
                                    "peer stopped a critical stream"));
    return;
  }
  RequestStream* s = FindStream(id);
  if (s == nullptr) return;
  // The transport answered with RESET_STREAM already; our queue is moot.
  s->out.clear();
  s->out_offset = 0;
  bool was_done = s->send_done;
  s->send_done = true;
  // §4.1: H3_NO_ERROR means "the rest of the request is not needed"; the exchange goes on.
  if (static_cast<Http3ErrorCode>(code) == Http3ErrorCode::kNoError || was_done) {
    RetireIfDone(id);
    return;
  }
  if (!s->recv_done) (void)conn_->StopSending(id, code);
  codec_->CancelStream(id);
  streams_.erase(id);
  Http3ErrorCode c = static_cast<Http3ErrorCode>(code);
  OnStreamFailed(id, c, c == Http3ErrorCode::kRequestRejected);
}

// --- Peer unidirectional streams ---

bool Http3Session::IsCriticalPeerStream(uint64_t id) const {
  return id == peer_control_id_ || id == peer_encoder_id_ || id == peer_decoder_id_;
}

bool Http3Session::IsCriticalLocalStream(uint64_t id) const {
  return id == control_.id || id == encoder_.id || id == decoder_.id;
}

void Http3Session::ReadUniStream(uint64_t id) {
  // Our own unidirectional streams are send-only; the transport never reports them.
  UniStream& u = uni_[id];
  while (!closed_ && !u.fin) {
    bool fin = false;
    absl::StatusOr<size_t> n = conn_->ReadStream(id, scratch_.data(), scratch_.size(), &fin);
    if (!n.ok()) return;
    absl::Status st = FeedUniStream(id, u, absl::MakeConstSpan(scratch_.data(), *n));
    if (!st.ok()) {
      CloseWithError(st);
      return;
    }
    if (fin) {
      u.fin = true;
      if (IsCriticalPeerStream(id)) {
        CloseWithError(Http3ErrorStatus(Http3ErrorCode::kClosedCriticalStream,
                                        "critical stream closed"));
        return;
      }
    }
    if (*n == 0) return;
  }
}

absl::Status Http3Session::FeedUniStream(uint64_t id, UniStream& u,
                                         absl::Span<const uint8_t> data) {
  while (!u.type.has_value() && !data.empty()) {
    u.type_bytes[u.type_len++] = data[0];
    data.remove_prefix(1);
    if (u.type_len == quic::VarIntLengthFromFirstByte(u.type_bytes[0])) {
      quic::DataReader r(u.type_bytes, u.type_len);
      uint64_t t = 0;
      r.ReadVarInt(&t);
      u.type = t;
      absl::Status st = OnUniStreamType(id, u);
      if (!st.ok()) return st;
    }
  }
  if (!u.type.has_value() || data.empty() || u.ignored) return absl::OkStatus();
  if (id == peer_control_id_) return FeedControlStream(data);
  if (id == peer_encoder_id_) {
    absl::Status st = codec_->OnEncoderStreamData(data);
    if (!st.ok()) return st;
    DeliverUnblockedSections();
    return absl::OkStatus();
  }
  if (id == peer_decoder_id_) return codec_->OnDecoderStreamData(data);
  return absl::OkStatus();
}

absl::Status Http3Session::OnUniStreamType(uint64_t id, UniStream& u) {
  auto claim = [&](std::optional<uint64_t>& slot, const char* what) {
    // §6.2.1, RFC 9204 §4.2: only one of each critical stream.
    if (slot.has_value()) {
      return Http3ErrorStatus(Http3ErrorCode::kStreamCreationError,
                              std::string("second ") + what + " stream");
    }
    slot = id;
    return absl::OkStatus();
  };
  switch (*u.type) {
    case kStreamTypeControl: return claim(peer_control_id_, "control");
    case kStreamTypeQpackEncoder: return claim(peer_encoder_id_, "QPACK encoder");
    case kStreamTypeQpackDecoder: return claim(peer_decoder_id_, "QPACK decoder");
    case kStreamTypePush:
      // §6.2.2: only servers push; a client never sent MAX_PUSH_ID, so no push ID is valid
      // (§4.6: H3_ID_ERROR).
      if (is_server_) {
        return Http3ErrorStatus(Http3ErrorCode::kStreamCreationError, "push stream from client");
      }
      return Http3ErrorStatus(Http3ErrorCode::kIdError, "push without MAX_PUSH_ID");
    default:
      // §6.2: unknown types (reserved ones included) are ignored; the sender is asked to stop.
      u.ignored = true;
      (void)conn_->StopSending(id, ToWire(Http3ErrorCode::kStreamCreationError));
      return absl::OkStatus();
  }
}

absl::Status Http3Session::FeedControlStream(absl::Span<const uint8_t> data) {
  while (!data.empty()) {
    absl::StatusOr<std::optional<FrameReader::Item>> item = control_reader_.Next(&data);
    if (!item.ok()) return item.status();
    if (!item->has_value()) break;
    FrameReader::Item& it = **item;
    if (!settings_received_) {
      // §6.2.1: SETTINGS first, whatever the frame that came instead.
      if (it.kind != FrameReader::Item::Kind::kFrame ||
          !std::holds_alternative<SettingsFrame>(it.frame)) {
        return Http3ErrorStatus(Http3ErrorCode::kMissingSettings,
                                "first control frame is not SETTINGS");
      }
    }
    switch (it.kind) {
      case FrameReader::Item::Kind::kDataChunk:
        return Http3ErrorStatus(Http3ErrorCode::kFrameUnexpected, "DATA on the control stream");
      case FrameReader::Item::Kind::kUnknownFrame: break;
      case FrameReader::Item::Kind::kFrame: {
        absl::Status st = OnControlFrame(it.frame);
        if (!st.ok()) return st;
        if (closed_) return absl::OkStatus();
        break;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Http3Session::OnControlFrame(const Frame& frame) {
  if (const auto* f = std::get_if<SettingsFrame>(&frame)) {
    if (settings_received_) {
      return Http3ErrorStatus(Http3ErrorCode::kFrameUnexpected, "second SETTINGS");
    }
    return OnSettingsFrame(*f);
  }
  if (std::holds_alternative<HeadersFrame>(frame) ||
      std::holds_alternative<PushPromiseFrame>(frame)) {
    return Http3ErrorStatus(Http3ErrorCode::kFrameUnexpected, "message frame on control stream");
  }
  if (const auto* g = std::get_if<GoawayFrame>(&frame)) {
    // §5.2: identifiers in successive GOAWAY frames never increase.
    if (goaway_received_.has_value() && g->id > *goaway_received_) {
      return Http3ErrorStatus(Http3ErrorCode::kIdError, "GOAWAY identifier increased");
    }
    return OnGoawayFrame(g->id);
  }
  return OnRoleControlFrame(frame);
}

absl::Status Http3Session::OnSettingsFrame(const SettingsFrame& frame) {
  settings_received_ = true;
  absl::StatusOr<Settings> s = ParseSettingsFrame(frame);
  if (!s.ok()) return s.status();
  peer_settings_ = *s;
  if (!codec_has_peer_settings_) {
    codec_has_peer_settings_ = true;
    codec_->OnPeerSettings(*s);
  }
  OnPeerSettings();
  return absl::OkStatus();
}

}  // namespace kite::http3
