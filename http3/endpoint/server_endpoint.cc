#include "http3/endpoint/server_endpoint.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "http3/endpoint/connection_summary.h"
#include "http3/endpoint/secure_random.h"
#include "http3/settings.h"
#include "quic/codec/data_writer.h"
#include "quic/codec/packet_header.h"
#include "quic/qlog/directory_sink.h"
#include "quic/qlog/qlog_writer.h"
#include "quic/io/stateless_reset.h"
#include "tls/retry_integrity.h"

namespace kite::http3 {

namespace {

namespace io = quic::io;

constexpr size_t kReplyBufferSize = 1500;

// Wraps the application's handler to log requests with -v.
class LoggingHandler : public ServerHandler {
 public:
  LoggingHandler(std::unique_ptr<ServerHandler> inner, std::function<void(const std::string&)> log,
                 std::string prefix)
      : inner_(std::move(inner)), log_(std::move(log)), prefix_(std::move(prefix)) {}
  void OnRequest(ServerSession& s, uint64_t id, const RequestHead& head) override {
    log_(absl::StrCat(prefix_, " stream ", id, ": ", head.method, " ", head.path,
                      s.connection()->StreamReceivedInEarlyData(id) ? " (0-RTT)" : ""));
    inner_->OnRequest(s, id, head);
  }
  void OnRequestBody(ServerSession& s, uint64_t id, absl::Span<const uint8_t> data) override {
    inner_->OnRequestBody(s, id, data);
  }
  void OnRequestComplete(ServerSession& s, uint64_t id, const HeaderList& trailers) override {
    inner_->OnRequestComplete(s, id, trailers);
  }
  void OnRequestAborted(ServerSession& s, uint64_t id, Http3ErrorCode code) override {
    log_(absl::StrCat(prefix_, " stream ", id, ": aborted (0x", absl::Hex(static_cast<uint64_t>(code)),
                      ")"));
    inner_->OnRequestAborted(s, id, code);
  }
  void OnResponseWritable(ServerSession& s, uint64_t id) override {
    inner_->OnResponseWritable(s, id);
  }
  bool AcceptEarlyRequest(const RequestHead& head) override {
    return inner_->AcceptEarlyRequest(head);
  }

 private:
  std::unique_ptr<ServerHandler> inner_;
  std::function<void(const std::string&)> log_;
  std::string prefix_;
};

}  // namespace

struct ServerEndpoint::Conn {
  uint64_t handle = 0;
  // Destroyed bottom-up: the session before its handler, the connection before its observer.
  std::unique_ptr<quic::qlog::DirectorySink> qlog_sink;
  std::unique_ptr<quic::qlog::QlogWriter> qlog;
  std::unique_ptr<quic::Connection> connection;
  std::unique_ptr<ServerHandler> handler;
  std::unique_ptr<ServerSession> session;
  io::TimerId timer = io::kInvalidTimerId;
  std::vector<quic::ConnectionId> routes;
  quic::SocketAddress peer;
  std::string odcid_hex;
  absl::Time started;
  bool dirty = false;
  bool reaping = false;
  bool handshake_logged = false;
  bool new_token_sent = false;
};

ServerEndpoint::ServerEndpoint(io::EventLoop* loop, tls::TlsServerContext* tls,
                               HandlerFactory handlers, ServerEndpointOptions options)
    : loop_(loop),
      tls_(tls),
      handlers_(std::move(handlers)),
      options_(std::move(options)),
      random_(SecureRandom()),
      reply_(kReplyBufferSize) {}

absl::StatusOr<std::unique_ptr<ServerEndpoint>> ServerEndpoint::Create(
    io::EventLoop* loop, tls::TlsServerContext* tls, HandlerFactory handlers,
    ServerEndpointOptions options) {
  if (loop == nullptr || tls == nullptr || !handlers) {
    return absl::InvalidArgumentError("ServerEndpoint needs a loop, a TLS context and handlers");
  }
  std::unique_ptr<ServerEndpoint> e(
      new ServerEndpoint(loop, tls, std::move(handlers), std::move(options)));
  absl::Status st = e->Init(nullptr, 1);
  if (!st.ok()) return st;
  return e;
}

absl::StatusOr<std::unique_ptr<ServerEndpoint>> ServerEndpoint::CreateOnWorker(
    io::Worker* worker, uint32_t worker_count, tls::TlsServerContext* tls,
    HandlerFactory handlers, ServerEndpointOptions options) {
  if (worker == nullptr || tls == nullptr || !handlers) {
    return absl::InvalidArgumentError("ServerEndpoint needs a worker, a TLS context and handlers");
  }
  std::unique_ptr<ServerEndpoint> e(
      new ServerEndpoint(&worker->loop(), tls, std::move(handlers), std::move(options)));
  absl::Status st = e->Init(worker, worker_count);
  if (!st.ok()) return st;
  return e;
}

absl::Status ServerEndpoint::Init(io::Worker* worker, uint32_t worker_count) {
  options_.connection.local_cid_length = kConnectionIdLength;
  buffers::PacketPoolOptions po;
  po.buffer_size = buffers::kMaxPacketBufferSize;
  po.initial_buffers = 48;
  po.max_buffers = 512;
  po.buffers_per_slab = 32;
  absl::StatusOr<std::unique_ptr<buffers::PacketPool>> pool = buffers::PacketPool::Create(po);
  if (!pool.ok()) return pool.status();
  pool_ = std::move(*pool);
  if (worker != nullptr) {
    socket_ = &worker->socket();
  } else {
    absl::StatusOr<std::unique_ptr<io::UdpSocket>> sock =
        io::UdpSocket::Bind(options_.local, options_.socket);
    if (!sock.ok()) return sock.status();
    owned_socket_ = std::move(*sock);
    socket_ = owned_socket_.get();
    batch_ = std::make_unique<io::RecvBatch>(pool_.get(), 32);
  }
  batcher_ = std::make_unique<io::TransmitBatcher>(pool_.get(), socket_);

  io::RouterConfig rc;
  rc.cid_format.length = kConnectionIdLength;
  rc.cid_format.worker_bytes = 1;
  rc.worker_index = worker != nullptr ? worker->index() : 0;
  rc.worker_count = worker_count;
  rc.stateless_reset_key = options_.stateless_reset_key.empty()
                               ? SecureRandomVector(io::kStatelessResetKeySize)
                               : options_.stateless_reset_key;
  absl::StatusOr<io::ConnectionIdRouter> router = io::ConnectionIdRouter::Create(rc);
  if (!router.ok()) return router.status();
  router_.emplace(std::move(*router));

  io::AddressTokenKey key;
  key.id = 1;
  std::vector<uint8_t> k = options_.token_key.empty() ? SecureRandomVector(key.key.size())
                                                      : options_.token_key;
  if (k.size() != key.key.size()) return absl::InvalidArgumentError("token key must be 16 bytes");
  std::copy(k.begin(), k.end(), key.key.begin());
  absl::StatusOr<io::AddressTokenCodec> tokens = io::AddressTokenCodec::Create(key, options_.tokens);
  if (!tokens.ok()) return tokens.status();
  tokens_.emplace(std::move(*tokens));

  // Worker mode: the pool watches the socket and calls HandleDatagram & co.
  if (worker != nullptr) return absl::OkStatus();
  return loop_->WatchFd(socket_->fd(), io::kFdReadable, [this](uint32_t ready) {
    if (ready & io::kFdWritable) HandleWritable();
    if (ready & (io::kFdReadable | io::kFdError)) OnReadable();
    Settle();
  });
}

void ServerEndpoint::HandleWritable() {
  write_blocked_ = false;
  (void)loop_->UpdateFd(socket_->fd(), io::kFdReadable);
  // Everyone may have more to send now.
  for (auto& [h, c] : connections_) MarkDirty(c.get());
  Settle();
}

ServerEndpoint::~ServerEndpoint() {
  if (owned_socket_ != nullptr) (void)loop_->UnwatchFd(socket_->fd());
  std::vector<uint64_t> handles;
  for (auto& [h, c] : connections_) handles.push_back(h);
  // Still closing or draining: logged and freed as if their time had come.
  for (uint64_t h : handles) Remove(h);
}

quic::ConnectionIdGenerator ServerEndpoint::ConnectionIds(Conn* c) {
  // Every ID the connection issues names this worker (so any worker steers its datagrams here)
  // and is routed to the connection the moment it exists; its reset token is the HMAC of the ID
  // under the static key (RFC 9000 §10.3.2), which any worker or a restarted server recomputes.
  quic::ConnectionIdGenerator g;
  g.new_id = [this, c](size_t) {
    quic::ConnectionId id = router_->NewConnectionId(random_);
    if (router_->Add(id, c->handle).ok()) c->routes.push_back(id);
    return id;
  };
  g.reset_token = [this](const quic::ConnectionId& id) { return router_->ResetToken(id); };
  g.retired = [this, c](const quic::ConnectionId& id) {
    // RFC 9000 §19.16: the peer will not use it again; a late packet to it gets a reset, which
    // the peer ignores for a retired ID (§10.3.1).
    auto it = std::find(c->routes.begin(), c->routes.end(), id);
    if (it == c->routes.end()) return;
    router_->Remove(id);
    c->routes.erase(it);
  };
  return g;
}

void ServerEndpoint::OnReadable() {
  // A few batches per wakeup: enough to drain a burst, few enough that the loop's time (read
  // once per turn) stays close to the arrival times it stands for.
  for (int round = 0; round < 4; ++round) {
    absl::StatusOr<size_t> n = socket_->Receive(*batch_);
    if (!n.ok() || *n == 0) break;
    batch_->ForEachDatagram([this](const io::ReceivedDatagram& d) { OnDatagram(d); });
    // Send what this batch produced before reading more (ACKs go out promptly).
    Settle();
  }
}

void ServerEndpoint::OnDatagram(const io::ReceivedDatagram& d) {
  ++stats_.datagrams_received;
  io::RouteResult r = router_->Route(d.data, absl::MakeSpan(reply_), random_);
  switch (r.action) {
    case io::RouteAction::kConnection: {
      auto it = connections_.find(r.handle);
      if (it == connections_.end() || it->second->reaping) {
        ++stats_.datagrams_dropped;
        return;
      }
      Conn* c = it->second.get();
      c->connection->OnDatagram(loop_->Now(), d.path, d.data,
                                static_cast<quic::EcnCodepoint>(d.ecn));
      MarkDirty(c);
      return;
    }
    case io::RouteAction::kNewConnection:
      Accept(d);
      return;
    case io::RouteAction::kVersionNegotiation:
      ++stats_.version_negotiations_sent;
      SendReply(d, absl::MakeConstSpan(reply_.data(), r.reply_size));
      return;
    case io::RouteAction::kStatelessReset:
      ++stats_.stateless_resets_sent;
      if (options_.verbose && options_.log) {
        options_.log(absl::StrCat("stateless reset to ", d.path.remote.ToString()));
      }
      SendReply(d, absl::MakeConstSpan(reply_.data(), r.reply_size));
      return;
    case io::RouteAction::kOtherWorker:
      // The pool steers by the same rule before we see a datagram, so this is only a
      // datagram the router and the pool disagree on: nothing to do but drop it.
    case io::RouteAction::kDrop:
      ++stats_.datagrams_dropped;
      return;
  }
}

void ServerEndpoint::Accept(const io::ReceivedDatagram& d) {
  const absl::Time now = loop_->Now();
  absl::StatusOr<quic::PacketHeader> h = quic::ParsePacketHeader(d.data, kConnectionIdLength);
  if (!h.ok() || !h->version_supported || h->type != quic::PacketType::kInitial) {
    ++stats_.datagrams_dropped;
    return;
  }
  std::optional<quic::ConnectionId> odcid;
  std::optional<quic::ConnectionId> retry_scid;
  bool validated_by_new_token = false;
  if (!h->token.empty()) {
    absl::StatusOr<io::ValidatedAddressToken> v =
        tokens_->Validate(h->token, d.path.remote, now);
    if (v.ok() && v->kind == io::AddressTokenKind::kRetry) {
      odcid = v->original_dcid;
      retry_scid = h->dcid;
    } else if (v.ok()) {
      // RFC 9000 §8.1.3: a NEW_TOKEN token of ours from this client's IP validates its address:
      // no Retry, no amplification limit. It says nothing about an original DCID (it is not a
      // Retry token: the kinds are sealed into the token).
      validated_by_new_token = true;
      ++stats_.new_tokens_accepted;
    } else {
      ++stats_.invalid_tokens;
      // RFC 9000 §8.1.4: a token we cannot use. One that claims to come from our Retry means
      // the client cannot take another Retry, so with Retry on the Initial is dropped; any other
      // (an expired or foreign NEW_TOKEN token, §8.1.3) is as if absent: Retry as usual.
      const bool claims_retry =
          h->token.size() >= 2 && h->token[1] == static_cast<uint8_t>(io::AddressTokenKind::kRetry);
      if (options_.retry && claims_retry) {
        ++stats_.datagrams_dropped;
        return;
      }
    }
  }
  if (options_.retry && !odcid.has_value() && !validated_by_new_token) {
    SendRetry(d, *h);
    return;
  }

  auto c = std::make_unique<Conn>();
  c->handle = next_handle_++;
  c->peer = d.path.remote;
  c->started = now;
  quic::ConnectionId trace_id = odcid.has_value() ? *odcid : h->dcid;
  c->odcid_hex = trace_id.ToHex();
  quic::ConnectionConfig config = options_.connection;
  config.observer = nullptr;
  // Speak the version the client chose (both are ours: the router sent Version Negotiation
  // for anything else).
  config.version = h->version;
  // RFC 9114 §7.2.4.2: 0-RTT is only accepted under the SETTINGS the ticket was issued with.
  config.early_data_application_context = SerializeSettingsForTicket(options_.session.settings);
  if (!options_.qlog_dir.empty()) {
    c->qlog_sink = std::make_unique<quic::qlog::DirectorySink>(options_.qlog_dir);
    quic::qlog::QlogOptions qo;
    qo.perspective = quic::Perspective::kServer;
    qo.odcid = trace_id;
    qo.title = "kite_server";
    c->qlog = std::make_unique<quic::qlog::QlogWriter>(qo, c->qlog_sink.get());
    config.observer = c->qlog.get();
  }
  config.connection_id_generator = ConnectionIds(c.get());
  config.address_validated = validated_by_new_token;
  absl::StatusOr<std::unique_ptr<quic::Connection>> conn = quic::Connection::Accept(
      config, *tls_, *h, d.path, now, SecureRandom(), odcid, retry_scid);
  if (!conn.ok()) {
    for (const quic::ConnectionId& id : c->routes) router_->Remove(id);
    ++stats_.datagrams_dropped;
    if (options_.verbose && options_.log) {
      options_.log(absl::StrCat("accept from ", d.path.remote.ToString(),
                                " failed: ", conn.status().ToString()));
    }
    return;
  }
  c->connection = std::move(*conn);
  c->handler = handlers_();
  if (options_.verbose && options_.log) {
    c->handler = std::make_unique<LoggingHandler>(std::move(c->handler), options_.log,
                                                  absl::StrCat("conn ", c->odcid_hex));
  }
  c->session = std::make_unique<ServerSession>(c->connection.get(), options_.session,
                                               c->handler.get());
  const uint64_t handle = c->handle;
  c->timer = loop_->AddTimer([this, handle] {
    auto it = connections_.find(handle);
    if (it == connections_.end()) return;
    it->second->connection->OnTimeout(loop_->Now());
    MarkDirty(it->second.get());
    Settle();
  });
  if (router_->Add(h->dcid, handle).ok()) c->routes.push_back(h->dcid);
  ++stats_.connections_accepted;
  if (options_.verbose && options_.log) {
    options_.log(absl::StrCat("conn ", c->odcid_hex, " from ", d.path.remote.ToString(),
                              retry_scid.has_value() ? " (address validated by Retry)" : "",
                              validated_by_new_token ? " (address validated by NEW_TOKEN)" : ""));
  }
  Conn* raw = c.get();
  connections_.emplace(handle, std::move(c));
  raw->connection->OnDatagram(now, d.path, d.data, static_cast<quic::EcnCodepoint>(d.ecn));
  MarkDirty(raw);
}

void ServerEndpoint::SendNewToken(Conn* c) {
  // RFC 9000 §8.1.3: a token for the client's next connection, bound to its IP (not its port,
  // which changes between connections) and expiring after tokens.new_token_lifetime. One per
  // connection: kite does not refresh tokens on migration.
  c->new_token_sent = true;
  uint8_t token[io::kMaxAddressTokenSize];
  absl::StatusOr<size_t> len = tokens_->IssueNewToken(c->connection->path().remote, loop_->Now(),
                                                      random_, absl::MakeSpan(token, sizeof(token)));
  if (!len.ok()) return;
  if (c->connection->SendNewToken(absl::MakeConstSpan(token, *len)).ok()) ++stats_.new_tokens_sent;
}

void ServerEndpoint::SendRetry(const io::ReceivedDatagram& d, const quic::PacketHeader& h) {
  const absl::Time now = loop_->Now();
  quic::ConnectionId scid = router_->NewConnectionId(random_);
  uint8_t token[io::kMaxAddressTokenSize];
  absl::StatusOr<size_t> token_len = tokens_->IssueRetryToken(
      d.path.remote, h.dcid, now, random_, absl::MakeSpan(token, sizeof(token)));
  if (!token_len.ok()) return;
  std::vector<uint8_t> packet(kReplyBufferSize);
  quic::DataWriter w(absl::MakeSpan(packet));
  uint8_t unused = 0;
  random_(&unused, 1);
  if (!quic::WriteRetryPacketWithoutTag(w, h.version, h.scid, scid,
                                        absl::MakeConstSpan(token, *token_len), unused)) {
    return;
  }
  const size_t len = w.length();
  absl::StatusOr<tls::RetryIntegrityTag> tag = tls::ComputeRetryIntegrityTag(
      static_cast<tls::QuicVersion>(h.version), h.dcid.span(),
      absl::MakeConstSpan(packet.data(), len));
  if (!tag.ok() || len + tag->size() > packet.size()) return;
  std::copy(tag->begin(), tag->end(), packet.begin() + len);
  ++stats_.retries_sent;
  if (options_.verbose && options_.log) {
    options_.log(absl::StrCat("retry to ", d.path.remote.ToString()));
  }
  SendReply(d, absl::MakeConstSpan(packet.data(), len + tag->size()));
}

void ServerEndpoint::SendReply(const io::ReceivedDatagram& d, absl::Span<const uint8_t> bytes) {
  absl::Span<uint8_t> out = batcher_->NextBuffer(bytes.size());
  if (out.empty()) {
    (void)batcher_->Flush();
    out = batcher_->NextBuffer(bytes.size());
    if (out.empty()) return;
  }
  std::memcpy(out.data(), bytes.data(), bytes.size());
  batcher_->Commit(bytes.size(), d.path, io::EcnCodepoint::kNotEct);
}

void ServerEndpoint::MarkDirty(Conn* c) {
  if (c->dirty || c->reaping) return;
  c->dirty = true;
  dirty_.push_back(c);
}

void ServerEndpoint::Process(Conn* c) {
  const absl::Time now = loop_->Now();
  quic::Connection& conn = *c->connection;
  while (std::optional<quic::ConnectionEvent> ev = conn.PollEvent()) {
    if (ev->type == quic::ConnectionEvent::Type::kHandshakeCompleted && !c->handshake_logged) {
      c->handshake_logged = true;
      if (conn.early_data_accepted()) ++stats_.early_data_accepted;
      if (options_.verbose && options_.log) {
        options_.log(absl::StrCat("conn ", c->odcid_hex, " handshake complete: ",
                                  FormatSummary(Summarize(conn))));
      }
    }
    c->session->OnConnectionEvent(now, *ev);
  }
  if (options_.new_tokens && !c->new_token_sent && conn.handshake_confirmed() &&
      !conn.is_closing()) {
    SendNewToken(c);
  }
  c->session->Pump(now);
  const size_t max_datagram = options_.connection.max_datagram_size;
  while (!write_blocked_) {
    absl::Span<uint8_t> out = batcher_->NextBuffer(max_datagram);
    if (out.empty()) {
      absl::StatusOr<io::SendResult> sent = batcher_->Flush();
      if (!sent.ok() || sent->would_block) {
        write_blocked_ = true;
        (void)loop_->UpdateFd(socket_->fd(), io::kFdReadable | io::kFdWritable);
        break;
      }
      out = batcher_->NextBuffer(max_datagram);
      if (out.empty()) break;
    }
    std::optional<quic::Transmit> t = conn.PollTransmit(now, out);
    if (!t.has_value()) break;
    batcher_->Commit(t->size, t->path, static_cast<io::EcnCodepoint>(t->ecn));
  }
  if (std::optional<absl::Time> deadline = conn.NextDeadline(); deadline.has_value()) {
    loop_->ArmTimer(c->timer, *deadline);
  } else {
    loop_->DisarmTimer(c->timer);
  }
  if (conn.is_terminated()) c->reaping = true;
}

void ServerEndpoint::Settle() {
  if (in_settle_) return;
  in_settle_ = true;
  while (!dirty_.empty()) {
    std::vector<Conn*> list;
    list.swap(dirty_);
    for (Conn* c : list) {
      c->dirty = false;
      Process(c);
    }
  }
  if (batcher_->has_pending()) {
    absl::StatusOr<io::SendResult> sent = batcher_->Flush();
    if (sent.ok() && sent->would_block && !write_blocked_) {
      write_blocked_ = true;
      (void)loop_->UpdateFd(socket_->fd(), io::kFdReadable | io::kFdWritable);
    }
  }
  std::vector<uint64_t> reap;
  for (auto& [h, c] : connections_) {
    if (c->reaping) reap.push_back(h);
  }
  for (uint64_t h : reap) Remove(h);
  in_settle_ = false;
}

void ServerEndpoint::Remove(uint64_t handle) {
  auto it = connections_.find(handle);
  if (it == connections_.end()) return;
  Conn* c = it->second.get();
  ++stats_.connections_closed;
  if (options_.log) {
    absl::Duration age = loop_->Now() - c->started;
    options_.log(absl::StrCat("conn ", c->odcid_hex, " ", c->peer.ToString(), " ",
                              FormatSummary(Summarize(*c->connection)), " duration=",
                              FormatMillis(age)));
  }
  for (const quic::ConnectionId& id : c->routes) router_->Remove(id);
  loop_->RemoveTimer(c->timer);
  if (c->qlog != nullptr) c->qlog->Flush();
  connections_.erase(it);
}

void ServerEndpoint::Shutdown() {
  for (auto& [h, c] : connections_) {
    c->session->Shutdown(loop_->Now());
    MarkDirty(c.get());
  }
  Settle();
}

void ServerEndpoint::CloseAll() {
  for (auto& [h, c] : connections_) {
    c->session->CloseConnection(loop_->Now(), Http3ErrorCode::kNoError, "server closing");
    MarkDirty(c.get());
  }
  Settle();
}

void ServerEndpoint::ForgetConnections() {
  dirty_.clear();
  for (auto& [h, c] : connections_) {
    for (const quic::ConnectionId& id : c->routes) router_->Remove(id);
    loop_->RemoveTimer(c->timer);
  }
  connections_.clear();
}

}  // namespace kite::http3
