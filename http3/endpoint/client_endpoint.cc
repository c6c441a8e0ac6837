#include "http3/endpoint/client_endpoint.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "http3/endpoint/secure_random.h"

namespace kite::http3 {

namespace io = quic::io;

class ClientEndpoint::Handler : public ClientHandler {
 public:
  explicit Handler(ClientEndpoint* e) : e_(e) {}
  void OnResponseHeaders(uint64_t stream_id, const ResponseHead& head) override {
    Request* r = e_->ByStream(stream_id);
    if (r == nullptr) return;
    r->result.status = head.status;
    r->result.headers = head.fields;
    r->result.content_length = head.content_length;
    r->result.first_byte = e_->loop_->Now();
  }
  void OnResponseBody(uint64_t stream_id, absl::Span<const uint8_t> data) override {
    Request* r = e_->ByStream(stream_id);
    if (r == nullptr) return;
    SHA256_Update(&r->sha, data.data(), data.size());
    r->result.body_bytes += data.size();
    e_->body_bytes_ += data.size();
    if (e_->on_body_) e_->on_body_(static_cast<size_t>(r - e_->requests_.data()), data);
  }
  void OnResponseComplete(uint64_t stream_id, const HeaderList& trailers) override {
    (void)trailers;
    Request* r = e_->ByStream(stream_id);
    if (r != nullptr) e_->Finish(*r, false, "");
  }
  void OnRequestFailed(uint64_t stream_id, Http3ErrorCode code, bool retryable) override {
    Request* r = e_->ByStream(stream_id);
    if (r != nullptr) {
      e_->Finish(*r, true,
                 absl::StrCat("stream failed: ", std::string(Http3ErrorCodeName(code)),
                              retryable ? " (retryable)" : ""));
    }
  }

 private:
  ClientEndpoint* e_;
};

ClientEndpoint::ClientEndpoint(io::EventLoop* loop, tls::TlsClientContext* tls,
                               ClientEndpointOptions options)
    : loop_(loop), tls_(tls), options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<ClientEndpoint>> ClientEndpoint::Create(
    io::EventLoop* loop, tls::TlsClientContext* tls, ClientEndpointOptions options) {
  if (loop == nullptr || tls == nullptr) {
    return absl::InvalidArgumentError("ClientEndpoint needs a loop and a TLS context");
  }
  std::unique_ptr<ClientEndpoint> e(new ClientEndpoint(loop, tls, std::move(options)));
  absl::Status st = e->Init();
  if (!st.ok()) return st;
  return e;
}

absl::StatusOr<std::unique_ptr<ClientEndpoint::Socket>> ClientEndpoint::OpenSocket() {
  quic::SocketAddress any;
  any.ipv6 = options_.server.ipv6;
  absl::StatusOr<std::unique_ptr<io::UdpSocket>> sock = io::UdpSocket::Bind(any, options_.socket);
  if (!sock.ok()) return sock.status();
  auto s = std::make_unique<Socket>();
  s->socket = std::move(*sock);
  s->batch = std::make_unique<io::RecvBatch>(pool_.get(), 32);
  s->batcher = std::make_unique<io::TransmitBatcher>(pool_.get(), s->socket.get());
  s->path.local = s->socket->local_address();
  s->path.remote = options_.server;
  return s;
}

absl::Status ClientEndpoint::Watch(Socket* s) {
  return loop_->WatchFd(s->socket->fd(), io::kFdReadable, [this, s](uint32_t ready) {
    if (ready & io::kFdWritable) {
      s->write_blocked = false;
      (void)loop_->UpdateFd(s->socket->fd(), io::kFdReadable);
    }
    if (ready & (io::kFdReadable | io::kFdError)) OnReadable(s);
    Flush();
  });
}

absl::Status ClientEndpoint::Init() {
  buffers::PacketPoolOptions po;
  po.buffer_size = buffers::kMaxPacketBufferSize;
  po.initial_buffers = 32;
  po.max_buffers = 256;
  po.buffers_per_slab = 32;
  absl::StatusOr<std::unique_ptr<buffers::PacketPool>> pool = buffers::PacketPool::Create(po);
  if (!pool.ok()) return pool.status();
  pool_ = std::move(*pool);
  absl::StatusOr<std::unique_ptr<Socket>> s = OpenSocket();
  if (!s.ok()) return s.status();
  sockets_.push_back(std::move(*s));

  const absl::Time now = loop_->Now();
  timings_.started = now;
  quic::ConnectionConfig config = options_.connection;
  config.observer = nullptr;
  if (!options_.qlog_dir.empty()) {
    qlog_sink_ = std::make_unique<quic::qlog::DirectorySink>(options_.qlog_dir);
    quic::qlog::QlogOptions qo;
    qo.perspective = quic::Perspective::kClient;
    qo.title = "kite_client";
    qlog_ = std::make_unique<quic::qlog::QlogWriter>(qo, qlog_sink_.get());
    config.observer = qlog_.get();
  }
  absl::StatusOr<std::unique_ptr<quic::Connection>> conn =
      quic::Connection::Connect(config, *tls_, sockets_.back()->path, now, SecureRandom());
  if (!conn.ok()) return conn.status();
  connection_ = std::move(*conn);
  handler_ = std::make_unique<Handler>(this);
  session_ = std::make_unique<ClientSession>(connection_.get(), options_.session, handler_.get());
  timer_ = loop_->AddTimer([this] {
    connection_->OnTimeout(loop_->Now());
    Flush();
  });
  absl::Status st = Watch(sockets_.back().get());
  if (!st.ok()) return st;
  Flush();
  return absl::OkStatus();
}

ClientEndpoint::~ClientEndpoint() {
  for (auto& s : sockets_) (void)loop_->UnwatchFd(s->socket->fd());
  if (timer_ != io::kInvalidTimerId) loop_->RemoveTimer(timer_);
  session_.reset();
  connection_.reset();
  if (qlog_ != nullptr) qlog_->Flush();
}

size_t ClientEndpoint::Fetch(FetchRequest request) {
  Request r;
  r.request = std::move(request);
  r.result.started = loop_->Now();
  SHA256_Init(&r.sha);
  requests_.push_back(std::move(r));
  return requests_.size() - 1;
}

bool ClientEndpoint::all_done() const {
  for (const Request& r : requests_) {
    if (!r.result.done) return false;
  }
  return true;
}

ClientEndpoint::Request* ClientEndpoint::ByStream(uint64_t stream_id) {
  for (Request& r : requests_) {
    if (r.stream_id == stream_id) return &r;
  }
  return nullptr;
}

void ClientEndpoint::Finish(Request& r, bool failed, std::string error) {
  if (r.result.done) return;
  r.result.done = true;
  r.result.failed = failed;
  r.result.error = std::move(error);
  r.result.completed = loop_->Now();
  SHA256_Final(r.result.sha256.data(), &r.sha);
}

void ClientEndpoint::SendPending() {
  while (next_to_send_ < requests_.size()) {
    Request& r = requests_[next_to_send_];
    if (connection_->is_closing()) {
      Finish(r, true, "connection closed before the request was sent");
      ++next_to_send_;
      continue;
    }
    HeaderList h;
    h.push_back({":method", r.request.method});
    h.push_back({":scheme", r.request.scheme});
    h.push_back({":authority", r.request.authority});
    h.push_back({":path", r.request.path});
    h.push_back({"user-agent", "kite_client"});
    if (!r.request.body.empty() || r.request.method == "POST" || r.request.method == "PUT") {
      h.push_back({"content-length", absl::StrCat(r.request.body.size())});
    }
    absl::StatusOr<uint64_t> id = session_->SendRequest(h, r.request.body.empty());
    if (!id.ok()) {
      if (absl::IsUnavailable(id.status())) return;  // no stream credit yet
      Finish(r, true, id.status().ToString());
      ++next_to_send_;
      continue;
    }
    r.stream_id = *id;
    r.result.sent_early = !connection_->handshake_complete();
    if (!r.request.body.empty()) {
      absl::Status st = session_->SendRequestBody(*id, r.request.body, /*end_stream=*/true);
      if (!st.ok()) Finish(r, true, st.ToString());
    }
    ++next_to_send_;
  }
}

void ClientEndpoint::MaybeMigrate() {
  if (migrated_ || options_.migrate_after_bytes == 0 ||
      body_bytes_ < options_.migrate_after_bytes || !connection_->handshake_confirmed() ||
      connection_->is_closing()) {
    return;
  }
  migrated_ = true;
  absl::StatusOr<std::unique_ptr<Socket>> s = OpenSocket();
  if (!s.ok()) {
    migration_status_ = s.status();
    return;
  }
  absl::Status st = connection_->MigrateTo(loop_->Now(), (*s)->path);
  if (!st.ok()) {
    migration_status_ = st;
    return;
  }
  sockets_.push_back(std::move(*s));
  migration_status_ = Watch(sockets_.back().get());
}

void ClientEndpoint::OnReadable(Socket* s) {
  // One batch per loop turn: the loop's time is read once per turn, and a second batch read in
  // the same turn (say, a response to what the first one let us send) would carry a stale
  // arrival time into RTT samples and the timings. The socket stays readable, so the loop
  // comes straight back.
  {
    absl::StatusOr<size_t> n = s->socket->Receive(*s->batch);
    if (!n.ok() || *n == 0) return;
    const absl::Time now = loop_->Now();
    s->batch->ForEachDatagram([&](const io::ReceivedDatagram& d) {
      // The connection knows this socket by its bound address, not the PKTINFO one.
      quic::NetworkPath path{s->path.local, d.path.remote};
      connection_->OnDatagram(now, path, d.data, static_cast<quic::EcnCodepoint>(d.ecn));
    });
    Flush();
  }
}

void ClientEndpoint::Flush() {
  if (in_flush_) return;
  in_flush_ = true;
  const absl::Time now = loop_->Now();
  while (std::optional<quic::ConnectionEvent> ev = connection_->PollEvent()) {
    if (ev->type == quic::ConnectionEvent::Type::kNewToken) {
      // Only the newest is worth keeping (RFC 9000 §8.1.3: a client uses one token once).
      address_tokens_.clear();
      address_tokens_.push_back(ev->data);
      continue;
    }
    if (ev->type == quic::ConnectionEvent::Type::kHandshakeCompleted &&
        !timings_.handshake_completed.has_value()) {
      timings_.handshake_completed = now;
    }
    session_->OnConnectionEvent(now, *ev);
  }
  SendPending();
  session_->Pump(now);
  for (std::vector<uint8_t>& t : session_->TakeResumptionTickets()) tickets_.push_back(std::move(t));
  MaybeMigrate();

  const size_t max_datagram = options_.connection.max_datagram_size;
  for (;;) {
    Socket* s = sockets_.back().get();
    if (s->write_blocked) break;
    absl::Span<uint8_t> out = s->batcher->NextBuffer(max_datagram);
    if (out.empty()) {
      (void)s->batcher->Flush();
      out = s->batcher->NextBuffer(max_datagram);
      if (out.empty()) break;
    }
    std::optional<quic::Transmit> t = connection_->PollTransmit(now, out);
    if (!t.has_value()) break;
    // The transmit names the path by our address: pick the socket bound to it.
    Socket* target = s;
    for (auto& other : sockets_) {
      if (other->path.local == t->path.local) target = other.get();
    }
    if (target != s) {
      absl::Span<uint8_t> other_out = target->batcher->NextBuffer(t->size);
      if (other_out.empty()) continue;
      std::memcpy(other_out.data(), out.data(), t->size);
      target->batcher->Commit(t->size, t->path, static_cast<io::EcnCodepoint>(t->ecn));
    } else {
      s->batcher->Commit(t->size, t->path, static_cast<io::EcnCodepoint>(t->ecn));
    }
  }
  for (auto& s : sockets_) {
    if (!s->batcher->has_pending()) continue;
    absl::StatusOr<io::SendResult> sent = s->batcher->Flush();
    if (sent.ok() && sent->would_block && !s->write_blocked) {
      s->write_blocked = true;
      (void)loop_->UpdateFd(s->socket->fd(), io::kFdReadable | io::kFdWritable);
    }
  }
  if (std::optional<absl::Time> deadline = connection_->NextDeadline(); deadline.has_value()) {
    loop_->ArmTimer(timer_, *deadline);
  } else {
    loop_->DisarmTimer(timer_);
  }
  if (connection_->is_terminated()) {
    if (!timings_.closed.has_value()) timings_.closed = now;
    for (Request& r : requests_) {
      if (!r.result.done) Finish(r, true, "connection closed");
    }
  }
  in_flush_ = false;
}

void ClientEndpoint::Close() {
  session_->CloseConnection(loop_->Now(), Http3ErrorCode::kNoError, "done");
  Flush();
}

std::vector<std::vector<uint8_t>> ClientEndpoint::TakeTickets() {
  for (std::vector<uint8_t>& t : session_->TakeResumptionTickets()) tickets_.push_back(std::move(t));
  std::vector<std::vector<uint8_t>> out;
  out.swap(tickets_);
  return out;
}

std::vector<std::vector<uint8_t>> ClientEndpoint::TakeAddressTokens() {
  std::vector<std::vector<uint8_t>> out;
  out.swap(address_tokens_);
  return out;
}

quic::SocketAddress ClientEndpoint::local_address() const {
  return sockets_.back()->socket->local_address();
}

absl::Status ClientEndpoint::InitiateKeyUpdate() {
  absl::Status st = connection_->InitiateKeyUpdate(loop_->Now());
  Flush();
  return st;
}

}  // namespace kite::http3
