// An HTTP/3 server on a real UDP socket: kite's sans-I/O connections and HTTP/3 sessions driven
// by a quic/io event loop.
//
// One socket, one loop thread. Every datagram goes through a ConnectionIdRouter (RFC 9000 §5.2):
// to its connection by Destination Connection ID, to a new connection for a client Initial
// (after a Retry with an encrypted, expiring address token when `retry` is on, RFC 9000 §8.1.2,
// unless the Initial shows a NEW_TOKEN token this server issued earlier, §8.1.3),
// or answered statelessly: Version Negotiation for unknown versions (§6), Stateless Reset for
// short-header packets of connections we no longer know (§10.3). Everything a connection wants
// to send is gathered into GSO trains (TransmitBatcher) and sent after each receive batch or
// timer. Packet buffers come from the arena pool (buffers/).
//
// Each connection issues its IDs through a ConnectionIdGenerator (ConnectionConfig): IDs that
// name this worker (worker_connection_id.h), registered in the router as they are made and
// removed when the peer retires them, with the HMAC reset token of the static key
// (StatelessResetter), so a reset sent by the router after the state is gone, by this process or
// another holding the key, carries the token the client was given.
#ifndef KITE_HTTP3_ENDPOINT_SERVER_ENDPOINT_H_
#define KITE_HTTP3_ENDPOINT_SERVER_ENDPOINT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "buffers/packet_pool.h"
#include "http3/server_session.h"
#include "http3/session_config.h"
#include "quic/connection/connection.h"
#include "quic/io/address_token.h"
#include "quic/io/connection_id_router.h"
#include "quic/io/event_loop.h"
#include "quic/io/transmit_batcher.h"
#include "quic/io/udp_socket.h"
#include "quic/io/worker_pool.h"
#include "tls/tls_context.h"

namespace kite::http3 {

struct ServerEndpointOptions {
  // Where to listen; port 0 picks a free port (see local_address()).
  quic::SocketAddress local = quic::SocketAddress::V4(127, 0, 0, 1, 0);
  quic::io::UdpSocketOptions socket;
  // Template for every connection (the observer field is ignored: see qlog_dir).
  quic::ConnectionConfig connection;
  SessionConfig session;
  // RFC 9000 §8.1.2: answer token-less Initials with a Retry.
  bool retry = false;
  // RFC 9000 §8.1.3: give every client a NEW_TOKEN token once its handshake is confirmed; a
  // later connection from the same IP that shows it skips Retry and the amplification limit.
  bool new_tokens = true;
  quic::io::AddressTokenConfig tokens;
  // 16 bytes (AES-128) for address tokens; empty: random for this process.
  std::vector<uint8_t> token_key;
  // 32 bytes shared across restarts so resets work after one; empty: random for this process.
  std::vector<uint8_t> stateless_reset_key;
  // Write a qlog trace per connection into this directory; empty: none.
  std::string qlog_dir;
  // Called with one line per connection when it ends (and more with `verbose`); may be null.
  std::function<void(const std::string&)> log;
  bool verbose = false;
};

struct ServerEndpointStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_closed = 0;
  uint64_t retries_sent = 0;
  uint64_t invalid_tokens = 0;
  uint64_t new_tokens_sent = 0;
  uint64_t new_tokens_accepted = 0;  // Initials whose NEW_TOKEN token validated the address
  uint64_t version_negotiations_sent = 0;
  uint64_t stateless_resets_sent = 0;
  uint64_t datagrams_received = 0;
  uint64_t datagrams_dropped = 0;
  uint64_t early_data_accepted = 0;
};

class ServerEndpoint {
 public:
  // Every ID a connection issues has this length and starts with the worker index (one byte).
  static constexpr size_t kConnectionIdLength = 8;

  // Makes the request handler of one connection.
  using HandlerFactory = std::function<std::unique_ptr<ServerHandler>()>;

  // Binds the socket and starts watching it on `loop`. `loop` and `tls` must outlive the
  // endpoint; all calls happen on the loop's thread.
  static absl::StatusOr<std::unique_ptr<ServerEndpoint>> Create(quic::io::EventLoop* loop,
                                                                tls::TlsServerContext* tls,
                                                                HandlerFactory handlers,
                                                                ServerEndpointOptions options);
  // The endpoint of one worker of a quic::io::WorkerPool (see ServerWorkers): it uses the
  // worker's loop and socket and does not watch the socket itself; the pool hands it the
  // datagrams it owns through HandleDatagram/HandleBatchDone/HandleWritable. Its connection IDs
  // name worker `worker->index()` of `worker_count`. Call on the creating thread before the pool
  // starts; `worker` must outlive the endpoint.
  static absl::StatusOr<std::unique_ptr<ServerEndpoint>> CreateOnWorker(
      quic::io::Worker* worker, uint32_t worker_count, tls::TlsServerContext* tls,
      HandlerFactory handlers, ServerEndpointOptions options);
  ~ServerEndpoint();
  ServerEndpoint(const ServerEndpoint&) = delete;
  ServerEndpoint& operator=(const ServerEndpoint&) = delete;

  const quic::SocketAddress& local_address() const { return socket_->local_address(); }
  size_t connection_count() const { return connections_.size(); }
  const ServerEndpointStats& stats() const { return stats_; }

  // RFC 9114 §5.2: GOAWAY on every connection; they close once their requests are done.
  void Shutdown();
  // Closes every connection at once (H3_NO_ERROR).
  void CloseAll();
  // Drops every connection's state without telling the peers, as a crash would; their next
  // short-header packets are answered with Stateless Resets.
  void ForgetConnections();

  // Worker mode (CreateOnWorker), on the worker's thread: a datagram this worker owns, the end
  // of a batch of them (sends what they produced), the socket turning writable.
  void HandleDatagram(const quic::io::ReceivedDatagram& d) { OnDatagram(d); }
  void HandleBatchDone() { Settle(); }
  void HandleWritable();

 private:
  struct Conn;

  ServerEndpoint(quic::io::EventLoop* loop, tls::TlsServerContext* tls, HandlerFactory handlers,
                 ServerEndpointOptions options);
  // `worker` null: bind a socket of our own and watch it.
  absl::Status Init(quic::io::Worker* worker, uint32_t worker_count);
  void OnReadable();
  void OnDatagram(const quic::io::ReceivedDatagram& d);
  void Accept(const quic::io::ReceivedDatagram& d);
  void SendRetry(const quic::io::ReceivedDatagram& d, const quic::PacketHeader& header);
  void SendNewToken(Conn* c);
  void SendReply(const quic::io::ReceivedDatagram& d, absl::Span<const uint8_t> bytes);
  void MarkDirty(Conn* c);
  // Events -> session, session pump, new IDs -> router, datagrams -> batcher, timer.
  void Process(Conn* c);
  // Processes dirty connections, flushes the batcher, reaps terminated connections.
  void Settle();
  void Remove(uint64_t handle);
  // The IDs (and reset tokens) connection `c` issues; routes them to `c` as they are made.
  quic::ConnectionIdGenerator ConnectionIds(Conn* c);

  quic::io::EventLoop* loop_;
  tls::TlsServerContext* tls_;
  HandlerFactory handlers_;
  ServerEndpointOptions options_;
  quic::RandomBytes random_;

  // Declared before everything holding its buffers.
  std::unique_ptr<buffers::PacketPool> pool_;
  std::unique_ptr<quic::io::UdpSocket> owned_socket_;  // null in worker mode
  quic::io::UdpSocket* socket_ = nullptr;
  std::unique_ptr<quic::io::RecvBatch> batch_;
  std::unique_ptr<quic::io::TransmitBatcher> batcher_;
  std::optional<quic::io::ConnectionIdRouter> router_;
  std::optional<quic::io::AddressTokenCodec> tokens_;
  std::vector<uint8_t> reply_;
  bool write_blocked_ = false;

  uint64_t next_handle_ = 1;
  std::map<uint64_t, std::unique_ptr<Conn>> connections_;
  std::vector<Conn*> dirty_;
  bool in_settle_ = false;
  ServerEndpointStats stats_;
};

}  // namespace kite::http3

#endif  // KITE_HTTP3_ENDPOINT_SERVER_ENDPOINT_H_
