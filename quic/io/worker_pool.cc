#include "quic/io/worker_pool.h"

#include <utility>

#include "quic/io/invariant_header.h"

namespace kite::quic::io {

absl::StatusOr<std::unique_ptr<WorkerPool>> WorkerPool::Create(const WorkerPoolOptions& options,
                                                               const HandlerFactory& factory) {
  if (options.worker_count == 0 || options.worker_count > kMaxWorkers ||
      options.worker_count > options.cid_format.max_workers()) {
    return absl::InvalidArgumentError("worker count out of range");
  }
  if (absl::Status s = options.cid_format.Validate(); !s.ok()) return s;

  std::unique_ptr<WorkerPool> pool(new WorkerPool(options));
  UdpSocketOptions socket_options = options.socket_options;
  socket_options.reuse_port = true;
  SocketAddress bind_to = options.local;
  for (size_t i = 0; i < options.worker_count; ++i) {
    std::unique_ptr<Worker> w(new Worker());
    w->index_ = static_cast<uint32_t>(i);
    w->pool_owner_ = pool.get();
    auto packet_pool = buffers::PacketPool::Create(options.pool_options);
    if (!packet_pool.ok()) return packet_pool.status();
    w->pool_ = std::move(*packet_pool);
    auto loop = EventLoop::Create();
    if (!loop.ok()) return loop.status();
    w->loop_ = std::move(*loop);
    auto socket = UdpSocket::Bind(bind_to, socket_options);
    if (!socket.ok()) return socket.status();
    w->socket_ = std::move(*socket);
    // The first worker's port (picked by the kernel if 0) is every later worker's.
    if (i == 0) {
      pool->local_ = w->socket_->local_address();
      bind_to.port = pool->local_.port;
    }
    w->batch_ = std::make_unique<RecvBatch>(w->pool_.get(), options.receive_batch);
    auto inbox = DatagramInbox::Create(options.inbox_capacity);
    if (!inbox.ok()) return inbox.status();
    w->inbox_ = std::move(*inbox);
    pool->workers_.push_back(std::move(w));
  }
  for (auto& w : pool->workers_) {
    Worker* worker = w.get();
    worker->handler_ = factory(*worker);
    if (worker->handler_ == nullptr) return absl::InvalidArgumentError("factory returned null");
    absl::Status s = worker->loop_->WatchFd(worker->socket_->fd(), kFdReadable,
                                            [worker](uint32_t ready) {
                                              if (ready & kFdWritable) {
                                                worker->handler_->OnWritable(*worker);
                                              }
                                              if (ready & (kFdReadable | kFdError)) {
                                                worker->OnReadable();
                                              }
                                            });
    if (!s.ok()) return s;
    s = worker->loop_->WatchFd(worker->inbox_->fd(), kFdReadable, [worker](uint32_t) {
      size_t n = worker->inbox_->Drain([worker](const ReceivedDatagram& d) {
        worker->handler_->OnDatagram(*worker, d, /*forwarded=*/true);
      });
      worker->forwarded_in_.fetch_add(n, std::memory_order_relaxed);
      if (n > 0) worker->handler_->OnBatchDone(*worker);
    });
    if (!s.ok()) return s;
  }
  return pool;
}

WorkerPool::~WorkerPool() { Stop(); }

void WorkerPool::Start() {
  if (started_) return;
  started_ = true;
  for (auto& w : workers_) {
    Worker* worker = w.get();
    worker->thread_ = std::thread([worker] { worker->loop_->Run(); });
  }
}

void WorkerPool::Stop() {
  for (auto& w : workers_) w->loop_->Stop();
  for (auto& w : workers_) {
    if (w->thread_.joinable()) w->thread_.join();
  }
}

uint32_t WorkerPool::OwnerOf(const ReceivedDatagram& datagram) const {
  std::optional<InvariantHeader> h =
      ParseInvariantHeader(datagram.data, options_.cid_format.length);
  // Unparseable: let the receiving worker's handler drop it.
  if (!h.has_value()) return kMaxWorkers;
  return SteerToWorker(options_.cid_format, h->dcid,
                       static_cast<uint32_t>(workers_.size()));
}

void Worker::OnReadable() {
  // Bounded so one busy socket cannot starve this loop's timers and inbox.
  for (int round = 0; round < 4; ++round) {
    absl::StatusOr<size_t> n = socket_->Receive(*batch_);
    if (!n.ok() || *n == 0) return;
    batch_->ForEachDatagram([this](const ReceivedDatagram& d) {
      uint32_t owner = pool_owner_->OwnerOf(d);
      if (owner == index_ || owner >= pool_owner_->workers_.size()) {
        handler_->OnDatagram(*this, d, /*forwarded=*/false);
        return;
      }
      forwarded_out_.fetch_add(1, std::memory_order_relaxed);
      pool_owner_->workers_[owner]->inbox_->Push(d);
    });
    handler_->OnBatchDone(*this);
  }
}

}  // namespace kite::quic::io
