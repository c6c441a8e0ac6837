#include "http3/client_session.h"

#include <utility>

#include "http3/qpack_codec.h"
#include "http3/stream_type.h"
#include "quic/connection/resumption_ticket.h"

namespace kite::http3 {

ClientSession::ClientSession(quic::Connection* connection, const SessionConfig& config,
                             ClientHandler* handler)
    : ClientSession(connection, config, handler,
                    MakeQpackCodec(config.settings, config.qpack_encoder_table_capacity)) {}

ClientSession::ClientSession(quic::Connection* connection, const SessionConfig& config,
                             ClientHandler* handler, std::unique_ptr<FieldSectionCodec> codec)
    : Http3Session(connection, config, std::move(codec)), handler_(handler) {
  // RFC 9114 §7.2.4.2: a resumed client complies with, and may rely on, the SETTINGS stored
  // with the ticket until the server's arrive.
  std::vector<uint8_t> remembered = connection->remembered_application_data();
  if (remembered.empty() && !config.resumption_ticket.empty()) {
    absl::StatusOr<quic::ResumptionTicket> t =
        quic::DecodeResumptionTicket(absl::MakeConstSpan(config.resumption_ticket));
    if (t.ok()) remembered = std::move(t->application_data);
  }
  if (!remembered.empty()) {
    absl::StatusOr<Settings> s = ParseSettingsFromTicket(remembered);
    if (s.ok()) {
      remembered_ = *s;
      codec_has_peer_settings_ = true;
      codec_->OnPeerSettings(*s);
    }
  }
}

Settings ClientSession::effective_peer_settings() const {
  if (peer_settings_.has_value()) return *peer_settings_;
  if (remembered_.has_value()) return *remembered_;
  return Settings{};
}

absl::StatusOr<uint64_t> ClientSession::SendRequest(const HeaderList& headers, bool end_stream) {
  if (closed_) return absl::FailedPreconditionError("connection closed");
  if (goaway_received_.has_value() || goaway_sent_.has_value()) {
    return absl::FailedPreconditionError("connection is going away");
  }
  ValidationOptions opts;
  opts.allow_extended_connect = effective_peer_settings().enable_connect_protocol;
  absl::StatusOr<RequestHead> head = ValidateRequestHeaders(headers, opts);
  if (!head.ok()) return head.status();
  Settings peer = effective_peer_settings();
  if (peer.max_field_section_size.has_value() &&
      FieldSectionSize(headers) > *peer.max_field_section_size) {
    return absl::ResourceExhaustedError("field section above the server's limit");
  }
  absl::StatusOr<uint64_t> id = conn_->OpenStream(/*bidirectional=*/true);
  if (!id.ok()) return id.status();
  RequestStream& s = CreateStream(*id);
  s.is_head = head->method == "HEAD";
  if (std::optional<std::string_view> p = FindField(headers, "priority")) {
    if (std::optional<PriorityParams> params = ParsePriorityFieldValue(*p)) {
      ApplyPriority(*id, *params);  // our own sending order, too
    }
  }
  absl::Status st = QueueHeaders(*id, headers, end_stream);
  if (!st.ok()) {
    ResetRequestStream(*id, Http3ErrorCode::kRequestCancelled);
    return st;
  }
  return *id;
}

absl::Status ClientSession::SendRequestBody(uint64_t stream_id, absl::Span<const uint8_t> data,
                                            bool end_stream) {
  return QueueBody(stream_id, data, end_stream);
}

absl::Status ClientSession::SendRequestTrailers(uint64_t stream_id, const HeaderList& trailers) {
  return QueueTrailers(stream_id, trailers);
}

void ClientSession::CancelRequest(uint64_t stream_id) {
  if (FindStream(stream_id) == nullptr) return;
  ResetRequestStream(stream_id, Http3ErrorCode::kRequestCancelled);
}

absl::Status ClientSession::UpdatePriority(uint64_t stream_id, const PriorityParams& priority) {
  if (FindStream(stream_id) == nullptr) return absl::NotFoundError("no such request");
  ApplyPriority(stream_id, priority);
  PriorityUpdateFrame f;
  f.element_id = stream_id;
  f.priority_field_value = SerializePriorityFieldValue(priority);
  QueueControlFrame(f);
  return absl::OkStatus();
}

void ClientSession::Shutdown(absl::Time now) {
  now_ = now;
  if (closed_ || goaway_sent_.has_value()) return;
  goaway_sent_ = 0;
  QueueControlFrame(GoawayFrame{0});
  Pump(now);
}

std::vector<std::vector<uint8_t>> ClientSession::TakeResumptionTickets() {
  return std::exchange(tickets_, {});
}

std::vector<uint8_t> ClientSession::AttachSettings(const std::vector<uint8_t>& ticket) const {
  absl::StatusOr<std::vector<uint8_t>> t =
      quic::ReplaceTicketApplicationData(ticket, SerializeSettingsForTicket(*peer_settings_));
  return t.ok() ? *t : ticket;
}

void ClientSession::OnSessionTicket(const std::vector<uint8_t>& ticket) {
  // §7.2.4.2: the server's settings go with the ticket; a ticket that came before them waits.
  if (peer_settings_.has_value()) {
    tickets_.push_back(AttachSettings(ticket));
  } else {
    pending_tickets_.push_back(ticket);
  }
}

void ClientSession::OnPeerSettings() {
  // §7.2.4.2: after accepting 0-RTT, the server may not take back what we relied on.
  if (remembered_.has_value() && conn_->early_data_accepted() &&
      !SettingsCompatibleWithRemembered(*remembered_, *peer_settings_)) {
    CloseWithError(Http3ErrorStatus(Http3ErrorCode::kSettingsError,
                                    "SETTINGS incompatible with the 0-RTT ones"));
    return;
  }
  // Tickets from now on carry the settings (the connection stores them in each).
  conn_->SetResumptionApplicationData(SerializeSettingsForTicket(*peer_settings_));
  for (const std::vector<uint8_t>& t : pending_tickets_) tickets_.push_back(AttachSettings(t));
  pending_tickets_.clear();
}

absl::Status ClientSession::OnMessageHeaders(uint64_t stream_id, HeaderList fields) {
  absl::StatusOr<ResponseHead> head = ValidateResponseHeaders(fields);
  if (!head.ok()) return head.status();
  RequestStream* s = FindStream(stream_id);
  if (head->status < 200) {
    // §4.1: interim responses precede the final one and have no content.
    handler_->OnInterimResponse(stream_id, *head);
    return absl::OkStatus();
  }
  s->phase = Phase::kBody;
  s->content_length = head->content_length;
  // RFC 9110 §6.4.1: these responses never have content, whatever content-length says.
  s->body_exempt = s->is_head || head->status == 204 || head->status == 304;
  s->delivered = true;
  handler_->OnResponseHeaders(stream_id, *head);
  return absl::OkStatus();
}

void ClientSession::OnMessageBody(uint64_t stream_id, absl::Span<const uint8_t> data) {
  handler_->OnResponseBody(stream_id, data);
}

void ClientSession::OnMessageComplete(uint64_t stream_id, const HeaderList& trailers) {
  // The response is all we need: a request body still being sent is no longer wanted
  // only if the server said so (STOP_SENDING); otherwise it goes on (§4.1).
  handler_->OnResponseComplete(stream_id, trailers);
}

void ClientSession::OnStreamFailed(uint64_t stream_id, Http3ErrorCode code, bool retryable) {
  handler_->OnRequestFailed(stream_id, code, retryable);
}

void ClientSession::OnStreamWritable(uint64_t stream_id) {
  handler_->OnRequestWritable(stream_id);
}

absl::Status ClientSession::OnPeerBidiStream(uint64_t stream_id) {
  // §6.1: HTTP/3 uses no server-initiated bidirectional streams.
  (void)stream_id;
  return Http3ErrorStatus(Http3ErrorCode::kStreamCreationError,
                          "server-initiated bidirectional stream");
}

absl::Status ClientSession::OnGoawayFrame(uint64_t id) {
  // §5.2: from a server the identifier is a client-initiated bidirectional stream ID.
  if (!IsClientBidiStream(id)) {
    return Http3ErrorStatus(Http3ErrorCode::kIdError, "GOAWAY with a non-request stream ID");
  }
  goaway_received_ = id;
  // Requests at or above it were not processed and can be retried elsewhere.
  std::vector<uint64_t> refused;
  for (const auto& [sid, s] : streams_) {
    if (sid >= id) refused.push_back(sid);
  }
  for (uint64_t sid : refused) {
    ResetRequestStream(sid, Http3ErrorCode::kRequestCancelled);
    handler_->OnRequestFailed(sid, Http3ErrorCode::kRequestRejected, /*retryable=*/true);
  }
  return absl::OkStatus();
}

absl::Status ClientSession::OnRoleControlFrame(const Frame& frame) {
  if (std::holds_alternative<CancelPushFrame>(frame)) {
    // §7.2.3: we never sent MAX_PUSH_ID, so every push ID is out of range.
    return Http3ErrorStatus(Http3ErrorCode::kIdError, "CANCEL_PUSH without MAX_PUSH_ID");
  }
  // MAX_PUSH_ID (§7.2.7) and PRIORITY_UPDATE (RFC 9218 §7.1) come from clients only.
  return Http3ErrorStatus(Http3ErrorCode::kFrameUnexpected, "client-only control frame");
}

absl::Status ClientSession::OnPushPromise() {
  // §7.2.5: a push ID above our (absent) MAX_PUSH_ID.
  return Http3ErrorStatus(Http3ErrorCode::kIdError, "PUSH_PROMISE without MAX_PUSH_ID");
}

}  // namespace kite::http3
