// The client side of HTTP/3 (RFC 9114): open requests, stream their bodies, receive responses
// (interim, final, body, trailers) through a ClientHandler. Keeps the server's SETTINGS with
// each resumption ticket so a resumed connection can use them in 0-RTT (§7.2.4.2).
#ifndef KITE_HTTP3_CLIENT_SESSION_H_
#define KITE_HTTP3_CLIENT_SESSION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "http3/message_validator.h"
#include "http3/session.h"

namespace kite::http3 {

// Called from the session's OnConnectionEvent/Pump; must not block.
class ClientHandler {
 public:
  virtual ~ClientHandler() = default;
  virtual void OnInterimResponse(uint64_t stream_id, const ResponseHead& head) {
    (void)stream_id, (void)head;
  }
  virtual void OnResponseHeaders(uint64_t stream_id, const ResponseHead& head) = 0;
  virtual void OnResponseBody(uint64_t stream_id, absl::Span<const uint8_t> data) = 0;
  // The response is complete; `trailers` is empty when there were none.
  virtual void OnResponseComplete(uint64_t stream_id, const HeaderList& trailers) = 0;
  // The request ended without a complete response. `retryable`: the server did not process
  // it (H3_REQUEST_REJECTED, or at/above a GOAWAY identifier; RFC 9114 §4.1.1, §5.2).
  virtual void OnRequestFailed(uint64_t stream_id, Http3ErrorCode code, bool retryable) = 0;
  // Everything queued for the request went to the transport: room for more body.
  virtual void OnRequestWritable(uint64_t stream_id) { (void)stream_id; }
};

class ClientSession : public Http3Session {
 public:
  // `handler` must outlive the session.
  ClientSession(quic::Connection* connection, const SessionConfig& config,
                ClientHandler* handler);
  ClientSession(quic::Connection* connection, const SessionConfig& config,
                ClientHandler* handler, std::unique_ptr<FieldSectionCodec> codec);

  // Opens a request stream and queues its header section (validated as a request, §4.3).
  // Unavailable while the transport has no stream credit; FailedPrecondition after GOAWAY.
  absl::StatusOr<uint64_t> SendRequest(const HeaderList& headers, bool end_stream);
  absl::Status SendRequestBody(uint64_t stream_id, absl::Span<const uint8_t> data,
                               bool end_stream);
  absl::Status SendRequestTrailers(uint64_t stream_id, const HeaderList& trailers);
  // §4.1.1: H3_REQUEST_CANCELLED in both directions.
  void CancelRequest(uint64_t stream_id);
  // RFC 9218 §7.1: PRIORITY_UPDATE for one of our requests.
  absl::Status UpdatePriority(uint64_t stream_id, const PriorityParams& priority);

  // §5.2: GOAWAY (a push ID: we never allow pushes, so 0); no new requests.
  void Shutdown(absl::Time now) override;

  // Tickets for a later 0-RTT connection (ConnectionConfig::resumption_session), each
  // carrying the server's SETTINGS; the session on that connection reads them back.
  std::vector<std::vector<uint8_t>> TakeResumptionTickets();
  // The SETTINGS remembered from the ticket, in force until the server's arrive.
  const std::optional<Settings>& remembered_settings() const { return remembered_; }
  // The settings the client complies with now (§7.2.4.2).
  Settings effective_peer_settings() const;

 protected:
  absl::Status OnMessageHeaders(uint64_t stream_id, HeaderList fields) override;
  void OnMessageBody(uint64_t stream_id, absl::Span<const uint8_t> data) override;
  void OnMessageComplete(uint64_t stream_id, const HeaderList& trailers) override;
  void OnStreamFailed(uint64_t stream_id, Http3ErrorCode code, bool retryable) override;
  void OnStreamWritable(uint64_t stream_id) override;
  absl::Status OnPeerBidiStream(uint64_t stream_id) override;
  absl::Status OnGoawayFrame(uint64_t id) override;
  absl::Status OnRoleControlFrame(const Frame& frame) override;
  absl::Status OnPushPromise() override;
  void OnPeerSettings() override;
  void OnSessionTicket(const std::vector<uint8_t>& ticket) override;
  bool DrainComplete() const override { return true; }

 private:
  std::vector<uint8_t> AttachSettings(const std::vector<uint8_t>& ticket) const;

  ClientHandler* handler_;
  std::optional<Settings> remembered_;
  std::vector<std::vector<uint8_t>> pending_tickets_;  // waiting for the server's SETTINGS
  std::vector<std::vector<uint8_t>> tickets_;
};

}  // namespace kite::http3

#endif  // KITE_HTTP3_CLIENT_SESSION_H_
