// An HTTP/3 server spread over N worker threads on one UDP port (SO_REUSEPORT): one
// quic::io::WorkerPool whose every worker runs its own ServerEndpoint, with its own connections,
// ConnectionIdRouter, handlers and packet pool, sharing nothing on the fast path.
//
// Each endpoint issues connection IDs that name its worker (worker_connection_id.h), so a
// datagram that the kernel's 4-tuple hash hands to another worker's socket (a client that
// migrated or was rebound by a NAT, RFC 9000 §9) is forwarded to the owner by the pool. The
// address-token and stateless-reset keys are shared by all workers: a NEW_TOKEN token issued by
// one worker is valid at any other (a client's next Initial lands wherever its DCID hashes to),
// and any worker can reset a connection of another.
#ifndef KITE_HTTP3_ENDPOINT_SERVER_WORKERS_H_
#define KITE_HTTP3_ENDPOINT_SERVER_WORKERS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "http3/endpoint/server_endpoint.h"
#include "quic/io/worker_pool.h"
#include "tls/tls_context.h"

namespace kite::http3 {

struct ServerWorkersOptions {
  size_t workers = 2;
  // Template of every worker's endpoint (local address, socket options, connection config,
  // Retry, keys, log). Its `log` is called from the worker threads, each line prefixed with
  // "wN "; it must be thread-safe.
  ServerEndpointOptions endpoint;
};

class ServerWorkers {
 public:
  // Binds every worker's socket and makes its endpoint; nothing runs until Start(). `tls` must
  // outlive this object (it is shared by the workers: TlsServerContext is thread-safe).
  static absl::StatusOr<std::unique_ptr<ServerWorkers>> Create(
      tls::TlsServerContext* tls, ServerEndpoint::HandlerFactory handlers,
      ServerWorkersOptions options);
  ~ServerWorkers();  // Stops and joins
  ServerWorkers(const ServerWorkers&) = delete;
  ServerWorkers& operator=(const ServerWorkers&) = delete;

  void Start();
  // Stops every worker's loop and joins the threads (connections are dropped silently: call
  // CloseAll first for a graceful end). Idempotent.
  void Stop();

  const quic::SocketAddress& local_address() const { return pool_->local_address(); }
  size_t size() const { return pool_->size(); }
  quic::io::Worker& worker(size_t i) { return pool_->worker(i); }

  // Runs `fn(worker index, endpoint)` on every worker's thread (directly when not running)
  // and returns once all have run.
  void RunOnEach(const std::function<void(size_t, ServerEndpoint&)>& fn);
  // Each worker's stats and open connections, read on the workers' threads.
  std::vector<ServerEndpointStats> Stats();
  size_t ConnectionCount();
  // CONNECTION_CLOSE on every connection of every worker, then waits up to `grace` for them
  // to be gone.
  void CloseAll(absl::Duration grace);

 private:
  class Handler;
  ServerWorkers() = default;

  std::vector<ServerEndpoint*> endpoints_;  // owned by the pool's handlers
  std::unique_ptr<quic::io::WorkerPool> pool_;
  bool running_ = false;
};

}  // namespace kite::http3

#endif  // KITE_HTTP3_ENDPOINT_SERVER_WORKERS_H_
