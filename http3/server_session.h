// The server side of HTTP/3 (RFC 9114): requests come in through a ServerHandler, responses go
// out through the session's Send* methods, streamed in either direction.
#ifndef KITE_HTTP3_SERVER_SESSION_H_
#define KITE_HTTP3_SERVER_SESSION_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>

#include "http3/message_validator.h"
#include "http3/session.h"

namespace kite::http3 {

class ServerSession;

// Called from the session's OnConnectionEvent/Pump; must not block. May call any of the
// session's methods, for this stream or others.
class ServerHandler {
 public:
  virtual ~ServerHandler() = default;
  // A valid request header section arrived. `early`: it arrived in 0-RTT (see
  // ServerSession::request_is_early).
  virtual void OnRequest(ServerSession& session, uint64_t stream_id, const RequestHead& head) = 0;
  virtual void OnRequestBody(ServerSession& session, uint64_t stream_id,
                             absl::Span<const uint8_t> data) = 0;
  // The request is complete; `trailers` is empty when there were none.
  virtual void OnRequestComplete(ServerSession& session, uint64_t stream_id,
                                 const HeaderList& trailers) = 0;
  // The request ended abnormally (client cancelled, malformed, connection closed).
  virtual void OnRequestAborted(ServerSession& session, uint64_t stream_id,
                                Http3ErrorCode code) {
    (void)session, (void)stream_id, (void)code;
  }
  // Everything queued for the response went to the transport: room for more.
  virtual void OnResponseWritable(ServerSession& session, uint64_t stream_id) {
    (void)session, (void)stream_id;
  }
  // RFC 8470 §3, RFC 9114 §10.9: a request with an unsafe method that arrived in 0-RTT is
  // answered 425 (Too Early) unless this returns true.
  virtual bool AcceptEarlyRequest(const RequestHead& head) {
    (void)head;
    return false;
  }
};

class ServerSession : public Http3Session {
 public:
  // `handler` must outlive the session.
  ServerSession(quic::Connection* connection, const SessionConfig& config,
                ServerHandler* handler);
  ServerSession(quic::Connection* connection, const SessionConfig& config,
                ServerHandler* handler, std::unique_ptr<FieldSectionCodec> codec);

  absl::Status SendResponseHeaders(uint64_t stream_id, const HeaderList& headers,
                                   bool end_stream);
  absl::Status SendResponseBody(uint64_t stream_id, absl::Span<const uint8_t> data,
                                bool end_stream);
  absl::Status SendResponseTrailers(uint64_t stream_id, const HeaderList& trailers);
  // §4.1.1: refuse a request not processed at all (the client may retry it).
  void RejectRequest(uint64_t stream_id);
  // §4.1.1: abandon a request after (partial) processing.
  void CancelRequest(uint64_t stream_id);

  // RFC 9114 §5.2: GOAWAY naming the first request stream we will not process; requests at or
  // above it are rejected with H3_REQUEST_REJECTED.
  void Shutdown(absl::Time now) override;

  // Whether (some of) the request on `stream_id` arrived in 0-RTT packets.
  bool request_is_early(uint64_t stream_id) const;
  uint64_t requests_rejected() const { return requests_rejected_; }
  uint64_t early_requests_refused() const { return early_refused_; }
  // PRIORITY_UPDATE frames applied to a request stream (at once or when it opened).
  uint64_t priority_updates_applied() const { return priority_updates_applied_; }

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
  bool DrainComplete() const override { return goaway_sent_.has_value(); }

 private:
  ServerHandler* handler_;
  std::optional<uint64_t> highest_request_stream_;
  std::optional<uint64_t> max_push_id_;  // from the client's MAX_PUSH_ID
  // RFC 9218 §7.1: PRIORITY_UPDATE for streams not opened yet.
  std::map<uint64_t, PriorityParams> pending_priorities_;
  uint64_t requests_rejected_ = 0;
  uint64_t early_refused_ = 0;
  uint64_t priority_updates_applied_ = 0;
};

}  // namespace kite::http3

#endif  // KITE_HTTP3_SERVER_SESSION_H_
