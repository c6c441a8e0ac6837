// The part of an HTTP/3 connection (RFC 9114) both roles share, over kite's sans-I/O QUIC
// connection: SETTINGS and the control stream (§6.2.1, §7.2.4), the QPACK streams (RFC 9204
// §4.2), unidirectional stream types (§6.2), frame sequencing on request streams (§4.1),
// content-length and trailers, stream and connection errors (§8), GOAWAY (§5.2) and
// PRIORITY_UPDATE (RFC 9218 §7). ClientSession and ServerSession add the role's API.
//
// Driving: hand every ConnectionEvent of the connection to OnConnectionEvent, and call Pump
// once per loop turn (after the events, before polling datagrams to send). Handlers are called
// from those two calls only, never from inside the Connection. Nothing blocks: sends queue in
// the session and move to the transport as its per-stream window allows.
#ifndef KITE_HTTP3_SESSION_H_
#define KITE_HTTP3_SESSION_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "http3/error_code.h"
#include "http3/field_section_codec.h"
#include "http3/frame_reader.h"
#include "http3/header_field.h"
#include "http3/priority.h"
#include "http3/session_config.h"
#include "http3/settings.h"
#include "quic/connection/connection.h"

namespace kite::http3 {

class Http3Session {
 public:
  Http3Session(quic::Connection* connection, const SessionConfig& config,
               std::unique_ptr<FieldSectionCodec> codec);
  virtual ~Http3Session();
  Http3Session(const Http3Session&) = delete;
  Http3Session& operator=(const Http3Session&) = delete;

  void OnConnectionEvent(absl::Time now, const quic::ConnectionEvent& event);
  void Pump(absl::Time now);

  // Our bytes of `stream_id` still queued in the session (not yet given to the transport).
  size_t QueuedBytes(uint64_t stream_id) const;
  // Stops (or resumes) reading a request stream: its data then waits in the transport, whose
  // flow control holds the peer back (receive-side backpressure).
  void SetReadPaused(uint64_t stream_id, bool paused);

  // RFC 9114 §5.2: sends GOAWAY; the connection closes with H3_NO_ERROR once the requests
  // it still admits are done.
  virtual void Shutdown(absl::Time now) = 0;
  // RFC 9114 §5.3: immediate close with an application error.
  void CloseConnection(absl::Time now, Http3ErrorCode code, std::string reason);

  const std::optional<Settings>& peer_settings() const { return peer_settings_; }
  bool goaway_sent() const { return goaway_sent_.has_value(); }
  bool goaway_received() const { return goaway_received_.has_value(); }
  // The connection is closing or closed (by either side).
  bool is_closed() const { return closed_; }
  // The error we closed the connection with, if we did.
  std::optional<Http3ErrorCode> local_error() const { return local_error_; }
  size_t active_request_streams() const { return streams_.size(); }
  quic::Connection* connection() { return conn_; }
  const SessionConfig& config() const { return config_; }

 protected:
  enum class Phase : uint8_t { kHeaders, kBody, kTrailers };

  // One request stream (both directions).
  struct RequestStream {
    uint64_t id = 0;
    explicit RequestStream(uint64_t max_frame) : reader(max_frame) {}
    FrameReader reader;
    // Receive side.
    std::vector<uint8_t> inbox;  // read from the transport, not yet processed
    size_t inbox_offset = 0;
    bool fin_read = false;       // the transport's FIN is in (or before) `inbox`
    bool recv_done = false;      // the whole message was delivered (or abandoned)
    bool paused = false;
    bool needs_read = false;     // unpaused: read what waits in the transport at the next Pump
    bool blocked = false;        // HEADERS waiting for QPACK inserts
    Phase phase = Phase::kHeaders;
    std::optional<uint64_t> content_length;
    uint64_t body_bytes = 0;
    bool body_exempt = false;    // response to HEAD, 204, 304: content-length not checked
    bool discard_body = false;   // answered without the request (425): body dropped
    HeaderList trailers;
    bool delivered = false;      // the application saw this message's headers
    bool early = false;          // server: the request arrived before the handshake completed
    bool is_head = false;        // client: the request was HEAD
    // Send side.
    std::vector<uint8_t> out;
    size_t out_offset = 0;
    bool headers_sent = false;
    bool fin_queued = false;
    bool fin_sent = false;
    bool send_done = false;      // FIN written or sending abandoned
    bool was_queued = false;     // for the "writable again" notification
  };

  // Role hooks. Handlers may call back into the session; implementations re-find streams.
  // First HEADERS of a message (client: each interim response too).
  virtual absl::Status OnMessageHeaders(uint64_t stream_id, HeaderList fields) = 0;
  virtual void OnMessageBody(uint64_t stream_id, absl::Span<const uint8_t> data) = 0;
  virtual void OnMessageComplete(uint64_t stream_id, const HeaderList& trailers) = 0;
  // The stream ended abnormally: reset by the peer, a stream error, GOAWAY or connection end.
  virtual void OnStreamFailed(uint64_t stream_id, Http3ErrorCode code, bool retryable) = 0;
  virtual void OnStreamWritable(uint64_t stream_id) = 0;
  // A bidirectional stream the peer opened.
  virtual absl::Status OnPeerBidiStream(uint64_t stream_id) = 0;
  virtual absl::Status OnGoawayFrame(uint64_t id) = 0;
  // MAX_PUSH_ID, CANCEL_PUSH, PRIORITY_UPDATE: who may send them depends on the role.
  virtual absl::Status OnRoleControlFrame(const Frame& frame) = 0;
  virtual absl::Status OnPushPromise() = 0;
  virtual void OnPeerSettings() {}
  virtual void OnSessionTicket(const std::vector<uint8_t>& ticket) { (void)ticket; }
  // May the connection close now that a GOAWAY was exchanged?
  virtual bool DrainComplete() const = 0;

  RequestStream* FindStream(uint64_t id);
  const RequestStream* FindStream(uint64_t id) const;
  RequestStream& CreateStream(uint64_t id);
  absl::Status QueueHeaders(uint64_t stream_id, const HeaderList& fields, bool fin);
  absl::Status QueueBody(uint64_t stream_id, absl::Span<const uint8_t> data, bool fin);
  absl::Status QueueTrailers(uint64_t stream_id, const HeaderList& trailers);
  // Queues a frame on our control stream.
  void QueueControlFrame(const Frame& frame);
  // A stream error (RFC 9114 §8): reset our side, stop the peer's, forget the stream.
  void ResetRequestStream(uint64_t stream_id, Http3ErrorCode code);
  // A connection error with the code `status` carries.
  void CloseWithError(const absl::Status& status);
  void ApplyPriority(uint64_t stream_id, const PriorityParams& p);
  void RetireIfDone(uint64_t stream_id);

  quic::Connection* const conn_;
  const SessionConfig config_;
  std::unique_ptr<FieldSectionCodec> codec_;
  bool is_server_;
  absl::Time now_;
  bool closed_ = false;
  std::optional<Http3ErrorCode> local_error_;
  std::optional<Settings> peer_settings_;
  bool codec_has_peer_settings_ = false;
  std::optional<uint64_t> goaway_sent_;      // the id we sent
  std::optional<uint64_t> goaway_received_;  // the id the peer sent
  std::map<uint64_t, std::unique_ptr<RequestStream>> streams_;
  // Request streams whose last bytes the transport has not yet had acknowledged.
  std::set<uint64_t> unacked_finished_;

 private:
  // A unidirectional stream the peer opened (§6.2).
  struct UniStream {
    std::optional<uint64_t> type;
    uint8_t type_bytes[8];
    size_t type_len = 0;
    bool ignored = false;
    bool fin = false;
  };
  // One of our unidirectional streams.
  struct LocalUni {
    std::optional<uint64_t> id;
    std::vector<uint8_t> out;
    size_t out_offset = 0;
  };
  enum class Feed : uint8_t { kContinue, kStop, kGone };

  void EnsureLocalStreams();
  void FlushLocalUni(LocalUni& s);
  void FlushRequestStream(uint64_t id);
  void ReadRequestStream(uint64_t id);
  Feed FeedRequestStream(uint64_t id, absl::Span<const uint8_t>* input);
  absl::Status OnRequestFrame(uint64_t id, const Frame& frame, Feed* feed);
  absl::Status OnFieldSection(uint64_t id, HeaderList fields);
  absl::Status OnRequestData(uint64_t id, absl::Span<const uint8_t> data);
  absl::Status OnRequestStreamEnd(uint64_t id);
  void ReadUniStream(uint64_t id);
  absl::Status FeedUniStream(uint64_t id, UniStream& u, absl::Span<const uint8_t> data);
  absl::Status OnUniStreamType(uint64_t id, UniStream& u);
  absl::Status FeedControlStream(absl::Span<const uint8_t> data);
  absl::Status OnControlFrame(const Frame& frame);
  absl::Status OnSettingsFrame(const SettingsFrame& frame);
  void DeliverUnblockedSections();
  void OnStreamReset(uint64_t id, uint64_t code);
  void OnStopSending(uint64_t id, uint64_t code);
  void HandleStreamError(uint64_t id, const absl::Status& st);
  bool IsCriticalPeerStream(uint64_t id) const;
  bool IsCriticalLocalStream(uint64_t id) const;
  void MaybeFinishDrain();

  LocalUni control_;
  LocalUni encoder_;
  LocalUni decoder_;
  std::string pending_encoder_bytes_;
  std::string pending_decoder_bytes_;
  std::map<uint64_t, UniStream> uni_;
  std::optional<uint64_t> peer_control_id_;
  std::optional<uint64_t> peer_encoder_id_;
  std::optional<uint64_t> peer_decoder_id_;
  FrameReader control_reader_;
  bool settings_received_ = false;
  std::vector<uint8_t> scratch_;
};

}  // namespace kite::http3

#endif  // KITE_HTTP3_SESSION_H_
