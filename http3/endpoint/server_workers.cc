#include "http3/endpoint/server_workers.h"

#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/time/clock.h"
#include "http3/endpoint/secure_random.h"
#include "quic/io/address_token.h"
#include "quic/io/stateless_reset.h"

namespace kite::http3 {

namespace io = quic::io;

// The pool's per-worker handler: hands the worker's datagrams to its endpoint.
class ServerWorkers::Handler : public io::WorkerHandler {
 public:
  explicit Handler(std::unique_ptr<ServerEndpoint> endpoint) : endpoint_(std::move(endpoint)) {}
  void OnDatagram(io::Worker&, const io::ReceivedDatagram& d, bool) override {
    endpoint_->HandleDatagram(d);
  }
  void OnBatchDone(io::Worker&) override { endpoint_->HandleBatchDone(); }
  void OnWritable(io::Worker&) override { endpoint_->HandleWritable(); }
  ServerEndpoint* endpoint() { return endpoint_.get(); }

 private:
  std::unique_ptr<ServerEndpoint> endpoint_;
};

absl::StatusOr<std::unique_ptr<ServerWorkers>> ServerWorkers::Create(
    tls::TlsServerContext* tls, ServerEndpoint::HandlerFactory handlers,
    ServerWorkersOptions options) {
  if (tls == nullptr || !handlers) {
    return absl::InvalidArgumentError("ServerWorkers needs a TLS context and handlers");
  }
  ServerEndpointOptions& eo = options.endpoint;
  // One key of each kind for all workers (see the header).
  if (eo.token_key.empty()) eo.token_key = SecureRandomVector(io::kAddressTokenKeySize);
  if (eo.stateless_reset_key.empty()) {
    eo.stateless_reset_key = SecureRandomVector(io::kStatelessResetKeySize);
  }
  io::WorkerPoolOptions po;
  po.local = eo.local;
  po.worker_count = options.workers;
  po.cid_format.length = ServerEndpoint::kConnectionIdLength;
  po.cid_format.worker_bytes = 1;
  po.socket_options = eo.socket;
  po.pool_options.buffer_size = buffers::kMaxPacketBufferSize;
  po.pool_options.initial_buffers = 32;
  po.pool_options.max_buffers = 256;
  po.pool_options.buffers_per_slab = 32;

  std::unique_ptr<ServerWorkers> w(new ServerWorkers());
  absl::Status failure;
  const uint32_t count = static_cast<uint32_t>(options.workers);
  ServerWorkers* self = w.get();
  absl::StatusOr<std::unique_ptr<io::WorkerPool>> pool = io::WorkerPool::Create(
      po, [&](io::Worker& worker) -> std::unique_ptr<io::WorkerHandler> {
        ServerEndpointOptions mine = eo;
        if (eo.log) {
          std::string prefix = absl::StrCat("w", worker.index(), " ");
          auto log = eo.log;
          mine.log = [log, prefix](const std::string& line) { log(prefix + line); };
        }
        absl::StatusOr<std::unique_ptr<ServerEndpoint>> e =
            ServerEndpoint::CreateOnWorker(&worker, count, tls, handlers, std::move(mine));
        if (!e.ok()) {
          failure = e.status();
          return nullptr;
        }
        auto h = std::make_unique<Handler>(std::move(*e));
        self->endpoints_.push_back(h->endpoint());
        return h;
      });
  if (!failure.ok()) return failure;
  if (!pool.ok()) return pool.status();
  w->pool_ = std::move(*pool);
  return w;
}

ServerWorkers::~ServerWorkers() { Stop(); }

void ServerWorkers::Start() {
  if (running_) return;
  running_ = true;
  pool_->Start();
}

void ServerWorkers::Stop() {
  if (pool_ != nullptr) pool_->Stop();
  running_ = false;
}

void ServerWorkers::RunOnEach(const std::function<void(size_t, ServerEndpoint&)>& fn) {
  if (!running_) {
    for (size_t i = 0; i < endpoints_.size(); ++i) fn(i, *endpoints_[i]);
    return;
  }
  absl::BlockingCounter done(static_cast<int>(endpoints_.size()));
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    ServerEndpoint* e = endpoints_[i];
    pool_->worker(i).loop().Post([&fn, &done, i, e] {
      fn(i, *e);
      done.DecrementCount();
    });
  }
  done.Wait();
}

std::vector<ServerEndpointStats> ServerWorkers::Stats() {
  std::vector<ServerEndpointStats> stats(endpoints_.size());
  RunOnEach([&stats](size_t i, ServerEndpoint& e) { stats[i] = e.stats(); });
  return stats;
}

size_t ServerWorkers::ConnectionCount() {
  std::vector<size_t> counts(endpoints_.size());
  RunOnEach([&counts](size_t i, ServerEndpoint& e) { counts[i] = e.connection_count(); });
  size_t total = 0;
  for (size_t n : counts) total += n;
  return total;
}

void ServerWorkers::CloseAll(absl::Duration grace) {
  RunOnEach([](size_t, ServerEndpoint& e) { e.CloseAll(); });
  if (!running_) return;
  const absl::Time give_up = absl::Now() + grace;
  while (ConnectionCount() > 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
}

}  // namespace kite::http3
