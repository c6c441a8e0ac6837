#include "http3/server_session.h"

#include <utility>

#include "http3/qpack_codec.h"
#include "http3/stream_type.h"

namespace kite::http3 {

ServerSession::ServerSession(quic::Connection* connection, const SessionConfig& config,
                             ServerHandler* handler)
    : ServerSession(connection, config, handler,
                    MakeQpackCodec(config.settings, config.qpack_encoder_table_capacity)) {}

ServerSession::ServerSession(quic::Connection* connection, const SessionConfig& config,
                             ServerHandler* handler, std::unique_ptr<FieldSectionCodec> codec)
    : Http3Session(connection, config, std::move(codec)), handler_(handler) {}

absl::Status ServerSession::SendResponseHeaders(uint64_t stream_id, const HeaderList& headers,
                                                bool end_stream) {
  absl::StatusOr<ResponseHead> head = ValidateResponseHeaders(headers);
  if (!head.ok()) return head.status();
  RequestStream* s = FindStream(stream_id);
  if (s == nullptr) return absl::NotFoundError("no such request");
  // Interim responses (1xx) precede the final one and carry no content (§4.1).
  if (head->status < 200 && end_stream) {
    return absl::InvalidArgumentError("an interim response cannot end the stream");
  }
  return QueueHeaders(stream_id, headers, end_stream);
}

absl::Status ServerSession::SendResponseBody(uint64_t stream_id, absl::Span<const uint8_t> data,
                                             bool end_stream) {
  return QueueBody(stream_id, data, end_stream);
}

absl::Status ServerSession::SendResponseTrailers(uint64_t stream_id, const HeaderList& trailers) {
  return QueueTrailers(stream_id, trailers);
}

void ServerSession::RejectRequest(uint64_t stream_id) {
  if (FindStream(stream_id) == nullptr) return;
  ++requests_rejected_;
  ResetRequestStream(stream_id, Http3ErrorCode::kRequestRejected);
}

void ServerSession::CancelRequest(uint64_t stream_id) {
  if (FindStream(stream_id) == nullptr) return;
  ResetRequestStream(stream_id, Http3ErrorCode::kRequestCancelled);
}

void ServerSession::Shutdown(absl::Time now) {
  now_ = now;
  if (closed_) return;
  // §5.2: the first client-initiated bidirectional stream we have not seen.
  uint64_t id = highest_request_stream_.has_value() ? *highest_request_stream_ + 4 : 0;
  if (goaway_sent_.has_value() && id >= *goaway_sent_) return;
  goaway_sent_ = id;
  QueueControlFrame(GoawayFrame{id});
  Pump(now);
}

bool ServerSession::request_is_early(uint64_t stream_id) const {
  const RequestStream* s = FindStream(stream_id);
  return s != nullptr && s->early;
}

absl::Status ServerSession::OnPeerBidiStream(uint64_t stream_id) {
  if (!IsClientBidiStream(stream_id)) {
    return Http3ErrorStatus(Http3ErrorCode::kStreamCreationError, "unexpected stream");
  }
  if (!highest_request_stream_.has_value() || stream_id > *highest_request_stream_) {
    highest_request_stream_ = stream_id;
  }
  // §5.2: requests at or above the GOAWAY identifier are not processed.
  if (goaway_sent_.has_value() && stream_id >= *goaway_sent_) {
    ++requests_rejected_;
    (void)conn_->StopSending(stream_id, ToWire(Http3ErrorCode::kRequestRejected));
    (void)conn_->ResetStream(stream_id, ToWire(Http3ErrorCode::kRequestRejected));
    return absl::OkStatus();
  }
  CreateStream(stream_id);
  return absl::OkStatus();
}

absl::Status ServerSession::OnMessageHeaders(uint64_t stream_id, HeaderList fields) {
  ValidationOptions opts;
  opts.allow_extended_connect = config_.settings.enable_connect_protocol;
  absl::StatusOr<RequestHead> head = ValidateRequestHeaders(fields, opts);
  if (!head.ok()) return head.status();
  RequestStream* s = FindStream(stream_id);
  s->phase = Phase::kBody;
  s->content_length = head->content_length;
  // RFC 9114 §10.9: the transport knows whether the stream's data came in 0-RTT packets.
  s->early = conn_->StreamReceivedInEarlyData(stream_id);
  // RFC 9218 §7.1: a PRIORITY_UPDATE that came first wins over the header (§8).
  auto pending = pending_priorities_.find(stream_id);
  if (pending != pending_priorities_.end()) {
    ApplyPriority(stream_id, pending->second);
    ++priority_updates_applied_;
    pending_priorities_.erase(pending);
  } else if (std::optional<std::string_view> p = FindField(head->fields, "priority")) {
    if (std::optional<PriorityParams> params = ParsePriorityFieldValue(*p)) {
      ApplyPriority(stream_id, *params);
    }
  }
  if (s->early && !IsSafeMethod(head->method) && !handler_->AcceptEarlyRequest(*head)) {
    // RFC 8470 §5.2: 425 Too Early; the client retries after the handshake.
    ++early_refused_;
    s->discard_body = true;
    return QueueHeaders(stream_id, {{":status", "425"}}, /*fin=*/true);
  }
  s->delivered = true;
  handler_->OnRequest(*this, stream_id, *head);
  return absl::OkStatus();
}

void ServerSession::OnMessageBody(uint64_t stream_id, absl::Span<const uint8_t> data) {
  handler_->OnRequestBody(*this, stream_id, data);
}

void ServerSession::OnMessageComplete(uint64_t stream_id, const HeaderList& trailers) {
  handler_->OnRequestComplete(*this, stream_id, trailers);
}

void ServerSession::OnStreamFailed(uint64_t stream_id, Http3ErrorCode code, bool retryable) {
  (void)retryable;
  handler_->OnRequestAborted(*this, stream_id, code);
}

void ServerSession::OnStreamWritable(uint64_t stream_id) {
  handler_->OnResponseWritable(*this, stream_id);
}

absl::Status ServerSession::OnGoawayFrame(uint64_t id) {
  // §5.2: from a client the identifier is a push ID; we never push, so nothing to cancel.
  goaway_received_ = id;
  return absl::OkStatus();
}

absl::Status ServerSession::OnRoleControlFrame(const Frame& frame) {
  if (const auto* m = std::get_if<MaxPushIdFrame>(&frame)) {
    // §7.2.7: MAX_PUSH_ID never decreases.
    if (max_push_id_.has_value() && m->push_id < *max_push_id_) {
      return Http3ErrorStatus(Http3ErrorCode::kIdError, "MAX_PUSH_ID decreased");
    }
    max_push_id_ = m->push_id;
    return absl::OkStatus();
  }
  if (const auto* c = std::get_if<CancelPushFrame>(&frame)) {
    // §7.2.3: a push ID above the MAX_PUSH_ID sent is H3_ID_ERROR.
    if (!max_push_id_.has_value() || c->push_id > *max_push_id_) {
      return Http3ErrorStatus(Http3ErrorCode::kIdError, "CANCEL_PUSH above MAX_PUSH_ID");
    }
    return absl::OkStatus();  // we never promised it
  }
  if (const auto* p = std::get_if<PriorityUpdateFrame>(&frame)) {
    if (p->push) {
      if (!max_push_id_.has_value() || p->element_id > *max_push_id_) {
        return Http3ErrorStatus(Http3ErrorCode::kIdError, "PRIORITY_UPDATE for unknown push");
      }
      return absl::OkStatus();
    }
    // RFC 9218 §7.1: the element must be a client-initiated bidirectional stream.
    if (!IsClientBidiStream(p->element_id)) {
      return Http3ErrorStatus(Http3ErrorCode::kIdError, "PRIORITY_UPDATE for a non-request stream");
    }
    std::optional<PriorityParams> params = ParsePriorityFieldValue(p->priority_field_value);
    if (!params.has_value()) return absl::OkStatus();
    if (FindStream(p->element_id) != nullptr) {
      ApplyPriority(p->element_id, *params);
      ++priority_updates_applied_;
    } else if (!highest_request_stream_.has_value() ||
               p->element_id > *highest_request_stream_) {
      // Not opened yet: keep it for when it is (bounded; the oldest gives way).
      if (pending_priorities_.size() >= config_.max_pending_priority_updates) {
        pending_priorities_.erase(pending_priorities_.begin());
      }
      pending_priorities_[p->element_id] = *params;
    }
    return absl::OkStatus();
  }
  // §7.2: anything else here is out of place.
  return Http3ErrorStatus(Http3ErrorCode::kFrameUnexpected, "unexpected control frame");
}

absl::Status ServerSession::OnPushPromise() {
  // §7.2.5: only servers send PUSH_PROMISE.
  return Http3ErrorStatus(Http3ErrorCode::kFrameUnexpected, "PUSH_PROMISE from a client");
}

}  // namespace kite::http3
