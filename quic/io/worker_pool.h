// N server workers on one UDP port: each its own thread, event loop, SO_REUSEPORT socket,
// packet pool and handler, sharing nothing on the fast path.
//
// The kernel spreads datagrams over the sockets by 4-tuple hash, which is not the worker that
// owns the connection once a client migrates or rebinds (RFC 9000 §9), nor for any datagram
// whose DCID a worker issued on another 4-tuple. So each worker applies the steering rule of
// worker_connection_id.h to every datagram it reads and forwards those owned by another worker
// through that worker's DatagramInbox; handlers only ever see their own datagrams, and reply
// from their own socket (same port, so the peer sees one server address).
#ifndef KITE_QUIC_IO_WORKER_POOL_H_
#define KITE_QUIC_IO_WORKER_POOL_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "buffers/packet_pool.h"
#include "quic/io/datagram.h"
#include "quic/io/datagram_inbox.h"
#include "quic/io/event_loop.h"
#include "quic/io/udp_socket.h"
#include "quic/io/worker_connection_id.h"

namespace kite::quic::io {

// Bound on workers (more than cores is pointless; the ID format names up to 65536).
inline constexpr size_t kMaxWorkers = 256;

class Worker;

// Per-worker application logic (typically: route by ConnectionIdRouter, drive connections).
// All calls happen on the worker's thread.
class WorkerHandler {
 public:
  virtual ~WorkerHandler() = default;
  // A datagram this worker owns, read from its socket or forwarded by another worker.
  // `forwarded` tells which.
  virtual void OnDatagram(Worker& worker, const ReceivedDatagram& datagram, bool forwarded) = 0;
  // After each batch handed to OnDatagram (read from the socket or drained from the inbox): the
  // place to send what the batch produced.
  virtual void OnBatchDone(Worker& worker) { (void)worker; }
  // The socket became writable; only reported while the handler asked for kFdWritable with
  // worker.loop().UpdateFd(worker.socket().fd(), ...).
  virtual void OnWritable(Worker& worker) { (void)worker; }
};

struct WorkerPoolOptions {
  // Every worker binds this address (port 0: the first worker picks, the rest join it).
  SocketAddress local;
  size_t worker_count = 1;
  ConnectionIdFormat cid_format;
  UdpSocketOptions socket_options;  // reuse_port is forced on
  buffers::PacketPoolOptions pool_options;
  size_t receive_batch = 32;
  size_t inbox_capacity = kDefaultInboxCapacity;
};

class Worker {
 public:
  uint32_t index() const { return index_; }
  EventLoop& loop() { return *loop_; }
  UdpSocket& socket() { return *socket_; }
  buffers::PacketPool& pool() { return *pool_; }
  // Datagrams this worker's socket read that belonged to another worker.
  uint64_t forwarded_out() const { return forwarded_out_.load(std::memory_order_relaxed); }
  // Datagrams other workers forwarded here.
  uint64_t forwarded_in() const { return forwarded_in_.load(std::memory_order_relaxed); }

 private:
  friend class WorkerPool;
  Worker() = default;
  void OnReadable();

  uint32_t index_ = 0;
  class WorkerPool* pool_owner_ = nullptr;
  // Declared before anything holding its buffers (the batch).
  std::unique_ptr<buffers::PacketPool> pool_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<UdpSocket> socket_;
  std::unique_ptr<RecvBatch> batch_;
  std::unique_ptr<DatagramInbox> inbox_;
  std::unique_ptr<WorkerHandler> handler_;
  std::thread thread_;
  std::atomic<uint64_t> forwarded_out_{0};
  std::atomic<uint64_t> forwarded_in_{0};
};

class WorkerPool {
 public:
  // Makes one handler per worker (called on the creating thread, before any worker runs).
  using HandlerFactory = std::function<std::unique_ptr<WorkerHandler>(Worker&)>;

  // Binds every worker's socket; nothing runs until Start().
  static absl::StatusOr<std::unique_ptr<WorkerPool>> Create(const WorkerPoolOptions& options,
                                                            const HandlerFactory& factory);
  ~WorkerPool();  // Stops and joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Starts one thread per worker, each running its loop.
  void Start();
  // Stops every loop and joins the threads. Idempotent.
  void Stop();

  const SocketAddress& local_address() const { return local_; }
  size_t size() const { return workers_.size(); }
  bool started() const { return started_; }
  Worker& worker(size_t i) { return *workers_[i]; }

 private:
  friend class Worker;
  explicit WorkerPool(const WorkerPoolOptions& options) : options_(options) {}
  // The worker owning `datagram` per the steering rule.
  uint32_t OwnerOf(const ReceivedDatagram& datagram) const;

  WorkerPoolOptions options_;
  SocketAddress local_;
  std::vector<std::unique_ptr<Worker>> workers_;
  bool started_ = false;
};

}  // namespace kite::quic::io

#endif  // KITE_QUIC_IO_WORKER_POOL_H_
