#include "test/http3/http3_harness.h"

#include <algorithm>
#include <string>

#include "quic/codec/packet_header.h"
#include "tls/self_signed_certificate.h"

namespace kite::http3::test {

namespace {

constexpr quic::sim::Address kClientAddress{0x0a000001, 4433};
constexpr quic::sim::Address kServerAddress{0x0a000002, 443};

quic::NetworkPath PathFor(const quic::sim::Address& local, const quic::sim::Address& remote) {
  auto conv = [](const quic::sim::Address& a) {
    return quic::SocketAddress::V4(static_cast<uint8_t>(a.host >> 24),
                                   static_cast<uint8_t>(a.host >> 16),
                                   static_cast<uint8_t>(a.host >> 8),
                                   static_cast<uint8_t>(a.host), a.port);
  };
  return quic::NetworkPath{conv(local), conv(remote)};
}

}  // namespace

HarnessOptions Http3HarnessOptions() {
  HarnessOptions o;
  o.link.propagation_delay = absl::Milliseconds(5);
  o.link.bandwidth_bps = 200'000'000;
  o.link.queue_capacity_bytes = 1'000'000;
  // Room for many requests in flight and for the critical streams (RFC 9114 §6.2).
  o.client.initial_max_streams_bidi = 200;
  o.server.initial_max_streams_bidi = 200;
  o.client.initial_max_data = 8 << 20;
  o.server.initial_max_data = 8 << 20;
  return o;
}

std::vector<uint8_t> Pattern(size_t n, uint64_t seed) {
  std::vector<uint8_t> v(n);
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    v[i] = static_cast<uint8_t>(x);
  }
  return v;
}

Http3Harness::Http3Harness(HarnessOptions options)
    : options_(std::move(options)),
      network_(std::make_unique<quic::sim::InMemoryNetwork>(options_.seed)),
      rng_(options_.seed * 31 + 5),
      now_(absl::FromUnixSeconds(1800000000)),
      buf_(65536) {}

Http3Harness::~Http3Harness() {
  client_.reset();
  server_.reset();
}

quic::RandomBytes Http3Harness::MakeRandom() {
  return [this](uint8_t* out, size_t len) {
    for (size_t i = 0; i < len; ++i) out[i] = static_cast<uint8_t>(rng_());
  };
}

absl::Status Http3Harness::Init() {
  absl::Status st = network_->SetSymmetricLinkConfig(kClientAddress, kServerAddress, options_.link);
  if (!st.ok()) return st;
  tls::SelfSignedOptions so;
  so.dns_names = {"localhost"};
  absl::StatusOr<tls::SelfSignedCertificate> cert = tls::GenerateSelfSignedCertificate(so);
  if (!cert.ok()) return cert.status();
  tls::ServerOptions server;
  server.certificate.chain_pem = cert->certificate_pem;
  server.certificate.key_pem = cert->private_key_pem;
  server.alpn = {"h3"};
  server.enable_early_data = options_.enable_early_data;
  absl::StatusOr<std::unique_ptr<tls::TlsServerContext>> s = tls::TlsServerContext::Create(server);
  if (!s.ok()) return s.status();
  server_tls_ = std::move(*s);
  tls::ClientOptions client;
  client.alpn = {"h3"};
  client.verify_peer = true;
  client.trusted_certificates_pem = {cert->certificate_pem};
  client.enable_early_data = options_.enable_early_data;
  absl::StatusOr<std::unique_ptr<tls::TlsClientContext>> c = tls::TlsClientContext::Create(client);
  if (!c.ok()) return c.status();
  client_tls_ = std::move(*c);
  return absl::OkStatus();
}

absl::Status Http3Harness::Connect(ClientHandler* client_handler, ServerHandler* server_handler,
                                   bool raw_client, bool raw_server) {
  if (client_tls_ == nullptr) {
    absl::Status st = Init();
    if (!st.ok()) return st;
  }
  client_.reset();
  server_.reset();
  client_conn_.reset();
  server_conn_.reset();
  raw_client_ = raw_client;
  raw_server_ = raw_server;
  client_handler_ = client_handler;
  server_handler_ = server_handler;
  quic::ConnectionConfig cc = options_.client;
  cc.resumption_session = resumption_ticket;
  absl::StatusOr<std::unique_ptr<quic::Connection>> c = quic::Connection::Connect(
      cc, *client_tls_, PathFor(kClientAddress, kServerAddress), now_, MakeRandom());
  if (!c.ok()) return c.status();
  client_conn_ = std::move(*c);
  if (!raw_client) {
    client_ = std::make_unique<ClientSession>(client_conn_.get(), client_config, client_handler);
  }
  return absl::OkStatus();
}

void Http3Harness::Flush(quic::Connection* c, bool from_client) {
  if (c == nullptr) return;
  while (std::optional<quic::Transmit> t = c->PollTransmit(now_, absl::MakeSpan(buf_))) {
    network_->Send(now_, from_client ? kClientAddress : kServerAddress,
                   from_client ? kServerAddress : kClientAddress,
                   absl::MakeConstSpan(buf_.data(), t->size));
  }
}

void Http3Harness::Deliver(const quic::sim::Delivery& d) {
  if (d.to == kServerAddress) {
    quic::NetworkPath path = PathFor(kServerAddress, d.from);
    if (server_conn_ == nullptr) {
      absl::StatusOr<quic::PacketHeader> h = quic::ParsePacketHeader(
          absl::MakeConstSpan(d.bytes), options_.server.local_cid_length);
      if (!h.ok() || h->type != quic::PacketType::kInitial || d.bytes.size() < 1200) return;
      absl::StatusOr<std::unique_ptr<quic::Connection>> s = quic::Connection::Accept(
          options_.server, *server_tls_, *h, path, now_, MakeRandom());
      if (!s.ok()) return;
      server_conn_ = std::move(*s);
      if (!raw_server_) {
        server_ = std::make_unique<ServerSession>(server_conn_.get(), server_config,
                                                  server_handler_);
      }
    }
    server_conn_->OnDatagram(now_, path, absl::MakeConstSpan(d.bytes));
  } else if (d.to == kClientAddress && client_conn_ != nullptr) {
    client_conn_->OnDatagram(now_, PathFor(kClientAddress, d.from), absl::MakeConstSpan(d.bytes));
  }
}

void Http3Harness::Step() {
  if (client_conn_ != nullptr) {
    while (std::optional<quic::ConnectionEvent> ev = client_conn_->PollEvent()) {
      if (raw_client_) {
        if (on_raw_client_event) on_raw_client_event(*client_conn_, *ev);
      } else if (client_ != nullptr) {
        client_->OnConnectionEvent(now_, *ev);
        for (std::vector<uint8_t>& t : client_->TakeResumptionTickets()) {
          tickets_.push_back(std::move(t));
        }
      }
    }
  }
  if (server_conn_ != nullptr) {
    while (std::optional<quic::ConnectionEvent> ev = server_conn_->PollEvent()) {
      if (raw_server_) {
        if (on_raw_server_event) on_raw_server_event(*server_conn_, *ev);
      } else if (server_ != nullptr) {
        server_->OnConnectionEvent(now_, *ev);
      }
    }
  }
  if (client_ != nullptr) client_->Pump(now_);
  if (server_ != nullptr) server_->Pump(now_);
  if (on_step) on_step();
  // Whatever on_step queued goes out in this step too.
  if (client_ != nullptr) client_->Pump(now_);
  if (server_ != nullptr) server_->Pump(now_);
  if (client_ != nullptr) {
    for (std::vector<uint8_t>& t : client_->TakeResumptionTickets()) {
      tickets_.push_back(std::move(t));
    }
  }
}

bool Http3Harness::RunUntil(const std::function<bool()>& done, absl::Duration limit) {
  absl::Time deadline = now_ + limit;
  int stalled = 0;
  while (true) {
    ++steps_;
    Step();
    if (done()) return true;
    Flush(client_conn_.get(), true);
    Flush(server_conn_.get(), false);
    absl::Time next = absl::InfiniteFuture();
    if (std::optional<absl::Time> t = network_->NextDeliveryTime()) next = std::min(next, *t);
    for (quic::Connection* c : {client_conn_.get(), server_conn_.get()}) {
      if (c == nullptr) continue;
      if (std::optional<absl::Time> t = c->NextDeadline()) next = std::min(next, *t);
    }
    if (next == absl::InfiniteFuture()) return done();
    if (next > deadline) {
      now_ = deadline;
      return done();
    }
    if (next <= now_) {
      ++stalled_steps_;
      if (++stalled > 100000) return done();
    } else {
      stalled = 0;
    }
    now_ = std::max(now_, next);
    while (std::optional<quic::sim::Delivery> d = network_->PopDelivery(now_)) Deliver(*d);
    for (quic::Connection* c : {client_conn_.get(), server_conn_.get()}) {
      if (c == nullptr) continue;
      std::optional<absl::Time> t = c->NextDeadline();
      if (t.has_value() && *t <= now_) c->OnTimeout(now_);
    }
  }
}

// --- PatternServer ---

void PatternServer::OnRequest(ServerSession& s, uint64_t id, const RequestHead& head) {
  Request& r = requests[id];
  r.head = head;
  r.early = s.request_is_early(id);
  if (respond_on_headers) Respond(s, id);
}

void PatternServer::OnRequestBody(ServerSession& s, uint64_t id, absl::Span<const uint8_t> data) {
  (void)s;
  std::vector<uint8_t>& b = requests[id].body;
  b.insert(b.end(), data.begin(), data.end());
}

void PatternServer::OnRequestComplete(ServerSession& s, uint64_t id, const HeaderList& trailers) {
  Request& r = requests[id];
  r.trailers = trailers;
  r.complete = true;
  if (!respond_on_headers) Respond(s, id);
}

void PatternServer::OnRequestAborted(ServerSession& s, uint64_t id, Http3ErrorCode code) {
  (void)s;
  Request& r = requests[id];
  r.aborted = true;
  r.abort_code = code;
  outgoing_.erase(id);
}

void PatternServer::OnResponseWritable(ServerSession& s, uint64_t id) { Continue(s, id); }

void PatternServer::Respond(ServerSession& s, uint64_t id) {
  const Request& r = requests[id];
  if (custom && custom(s, id, r)) return;
  Outgoing out;
  const std::string& path = r.head.path;
  if (path.rfind("/bytes/", 0) == 0) {
    size_t slash = path.find('/', 7);
    size_t n = std::stoul(path.substr(7, slash - 7));
    uint64_t seed = slash == std::string::npos ? 0 : std::stoull(path.substr(slash + 1));
    out.body = Pattern(n, seed);
  } else if (path == "/echo") {
    out.body = r.body;
  }
  out.trailers = r.trailers;
  if (send_interim) {
    (void)s.SendResponseHeaders(id, {{":status", "103"}, {"link", "</style.css>"}}, false);
  }
  HeaderList headers = {{":status", "200"},
                        {"content-length", std::to_string(out.body.size())},
                        {"x-request-bytes", std::to_string(r.body.size())}};
  bool end = out.body.empty() && out.trailers.empty();
  if (!s.SendResponseHeaders(id, headers, end).ok()) return;
  if (end) return;
  outgoing_[id] = std::move(out);
  Continue(s, id);
}

void PatternServer::Continue(ServerSession& s, uint64_t id) {
  auto it = outgoing_.find(id);
  if (it == outgoing_.end()) return;
  Outgoing& o = it->second;
  while (o.offset < o.body.size() && s.QueuedBytes(id) < chunk) {
    size_t n = std::min(chunk, o.body.size() - o.offset);
    bool last = o.offset + n == o.body.size();
    if (!s.SendResponseBody(id, absl::MakeConstSpan(o.body.data() + o.offset, n),
                            last && o.trailers.empty())
             .ok()) {
      outgoing_.erase(it);
      return;
    }
    o.offset += n;
  }
  if (o.offset == o.body.size()) {
    if (!o.trailers.empty()) (void)s.SendResponseTrailers(id, o.trailers);
    outgoing_.erase(it);
  }
}

}  // namespace kite::http3::test
