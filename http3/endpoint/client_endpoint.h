// An HTTP/3 client on a real UDP socket: one kite connection and ClientSession driven by a
// quic/io event loop, fetching any number of requests concurrently on that connection.
//
// With a resumption ticket (ConnectionConfig::resumption_session, from an earlier connection's
// TakeTickets) the requests queued before the handshake completes go out in 0-RTT. With
// `migrate_after_bytes` the client moves to a new local socket (a new ephemeral port) once that
// many response body bytes have arrived (RFC 9000 §9: Connection::MigrateTo validates the new
// path); the old socket stays open for datagrams still in flight to it.
#ifndef KITE_HTTP3_ENDPOINT_CLIENT_ENDPOINT_H_
#define KITE_HTTP3_ENDPOINT_CLIENT_ENDPOINT_H_

#include <openssl/sha.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "buffers/packet_pool.h"
#include "http3/client_session.h"
#include "http3/session_config.h"
#include "quic/connection/connection.h"
#include "quic/io/event_loop.h"
#include "quic/io/transmit_batcher.h"
#include "quic/io/udp_socket.h"
#include "quic/qlog/directory_sink.h"
#include "quic/qlog/qlog_writer.h"
#include "tls/tls_context.h"

namespace kite::http3 {

struct ClientEndpointOptions {
  quic::SocketAddress server;
  quic::io::UdpSocketOptions socket;
  // server_name, version, congestion controller, resumption_session (0-RTT), address_token (a
  // NEW_TOKEN token from TakeAddressTokens of an earlier connection to this server),
  // key_update_interval_packets, ...; the observer field is ignored (see qlog_dir).
  quic::ConnectionConfig connection;
  // resumption_ticket must equal connection.resumption_session when resuming.
  SessionConfig session;
  std::string qlog_dir;
  // Move to a new local port after this many response body bytes (0: never).
  uint64_t migrate_after_bytes = 0;
};

struct FetchRequest {
  std::string method = "GET";
  std::string scheme = "https";
  std::string authority;
  std::string path = "/";
  std::vector<uint8_t> body;
};

struct FetchResult {
  bool done = false;    // the response is complete, or the request failed
  bool failed = false;
  std::string error;
  int status = 0;
  HeaderList headers;
  std::optional<uint64_t> content_length;
  uint64_t body_bytes = 0;
  std::array<uint8_t, 32> sha256{};  // of the body, once done
  bool sent_early = false;           // the request was written before the handshake completed
  absl::Time started;                // queued
  absl::Time first_byte;             // response headers arrived
  absl::Time completed;
};

struct ClientTimings {
  absl::Time started;
  std::optional<absl::Time> handshake_completed;
  std::optional<absl::Time> closed;
};

class ClientEndpoint {
 public:
  // Called with each piece of response body as it arrives: (request index, bytes).
  using BodyCallback = std::function<void(size_t, absl::Span<const uint8_t>)>;

  // Binds a socket (wildcard address of the server's family, ephemeral port), creates the
  // connection and watches the socket on `loop`; the first flight leaves on the next Flush or
  // loop turn. `loop` and `tls` must outlive the endpoint.
  static absl::StatusOr<std::unique_ptr<ClientEndpoint>> Create(quic::io::EventLoop* loop,
                                                                tls::TlsClientContext* tls,
                                                                ClientEndpointOptions options);
  ~ClientEndpoint();
  ClientEndpoint(const ClientEndpoint&) = delete;
  ClientEndpoint& operator=(const ClientEndpoint&) = delete;

  // Queues a request and returns its index; sent as soon as the session takes it.
  size_t Fetch(FetchRequest request);
  void set_body_callback(BodyCallback cb) { on_body_ = std::move(cb); }

  // Every request is done (or failed).
  bool all_done() const;
  // The connection has ended (closed, reset, timed out); see close_info().
  bool closed() const { return connection_->is_terminated(); }
  const FetchResult& result(size_t index) const { return requests_[index].result; }
  size_t request_count() const { return requests_.size(); }

  // CONNECTION_CLOSE with H3_NO_ERROR; the connection terminates after its closing period.
  void Close();
  // Tickets for a later 0-RTT connection, as ClientSession hands them out.
  std::vector<std::vector<uint8_t>> TakeTickets();
  // The server's NEW_TOKEN token (RFC 9000 §8.1.3) for ConnectionConfig::address_token of a
  // later connection: the newest one received, then nothing until another arrives.
  std::vector<std::vector<uint8_t>> TakeAddressTokens();

  const quic::Connection& connection() const { return *connection_; }
  const ClientTimings& timings() const { return timings_; }
  // The local address of the socket in use now.
  quic::SocketAddress local_address() const;
  bool migrated() const { return migrated_; }
  const absl::Status& migration_status() const { return migration_status_; }
  // Asks for a key update now (RFC 9001 §6).
  absl::Status InitiateKeyUpdate();

  // Processes events, pumps the session and sends; done after every receive and timer, and
  // exposed for callers that queued work from outside the loop's callbacks.
  void Flush();

 private:
  struct Socket {
    std::unique_ptr<quic::io::UdpSocket> socket;
    std::unique_ptr<quic::io::RecvBatch> batch;
    std::unique_ptr<quic::io::TransmitBatcher> batcher;
    quic::NetworkPath path;  // the connection's view: our bound address, the server
    bool write_blocked = false;
  };
  struct Request {
    FetchRequest request;
    FetchResult result;
    std::optional<uint64_t> stream_id;
    SHA256_CTX sha;
  };

  class Handler;

  ClientEndpoint(quic::io::EventLoop* loop, tls::TlsClientContext* tls,
                 ClientEndpointOptions options);
  absl::Status Init();
  absl::StatusOr<std::unique_ptr<Socket>> OpenSocket();
  absl::Status Watch(Socket* s);
  void OnReadable(Socket* s);
  void SendPending();
  void MaybeMigrate();
  Request* ByStream(uint64_t stream_id);
  void Finish(Request& r, bool failed, std::string error);

  quic::io::EventLoop* loop_;
  tls::TlsClientContext* tls_;
  ClientEndpointOptions options_;

  std::unique_ptr<buffers::PacketPool> pool_;
  std::vector<std::unique_ptr<Socket>> sockets_;  // back() is in use
  std::unique_ptr<quic::qlog::DirectorySink> qlog_sink_;
  std::unique_ptr<quic::qlog::QlogWriter> qlog_;
  std::unique_ptr<quic::Connection> connection_;
  std::unique_ptr<Handler> handler_;
  std::unique_ptr<ClientSession> session_;
  quic::io::TimerId timer_ = quic::io::kInvalidTimerId;

  std::vector<Request> requests_;
  size_t next_to_send_ = 0;
  BodyCallback on_body_;
  std::vector<std::vector<uint8_t>> tickets_;
  std::vector<std::vector<uint8_t>> address_tokens_;
  ClientTimings timings_;
  uint64_t body_bytes_ = 0;
  bool migrated_ = false;
  absl::Status migration_status_;
  bool in_flush_ = false;
};

}  // namespace kite::http3

#endif  // KITE_HTTP3_ENDPOINT_CLIENT_ENDPOINT_H_
