#include "test/quic/connection/connection_harness.h"

#include <algorithm>

#include "quic/codec/data_writer.h"
#include "quic/codec/packet_header.h"
#include "tls/quic_version.h"
#include "tls/retry_integrity.h"
#include "tls/self_signed_certificate.h"

namespace kite::quic::test {

NetworkPath PathFor(const sim::Address& local, const sim::Address& remote) {
  auto conv = [](const sim::Address& a) {
    return SocketAddress::V4(static_cast<uint8_t>(a.host >> 24), static_cast<uint8_t>(a.host >> 16),
                             static_cast<uint8_t>(a.host >> 8), static_cast<uint8_t>(a.host),
                             a.port);
  };
  return NetworkPath{conv(local), conv(remote)};
}

ConnectionHarness::ConnectionHarness(HarnessOptions options)
    : options_(std::move(options)),
      network_(std::make_unique<sim::InMemoryNetwork>(options_.seed)),
      rng_(options_.seed * 7919 + 17),
      start_(absl::FromUnixSeconds(1700000000)),
      now_(start_),
      buf_(65536) {}

ConnectionHarness::~ConnectionHarness() = default;

RandomBytes ConnectionHarness::MakeRandom() {
  return [this](uint8_t* out, size_t len) {
    for (size_t i = 0; i < len; ++i) out[i] = static_cast<uint8_t>(rng_());
  };
}

absl::Status ConnectionHarness::Init() {
  absl::Status st = network_->SetSymmetricLinkConfig(kClientAddress, kServerAddress, options_.link);
  if (!st.ok()) return st;
  tls::SelfSignedOptions so;
  so.dns_names = {"localhost"};
  absl::StatusOr<tls::SelfSignedCertificate> cert = tls::GenerateSelfSignedCertificate(so);
  if (!cert.ok()) return cert.status();
  tls::ServerOptions server;
  server.certificate.chain_pem = cert->certificate_pem;
  server.certificate.key_pem = cert->private_key_pem;
  server.alpn = options_.server_alpn;
  server.enable_early_data = options_.enable_early_data;
  absl::StatusOr<std::unique_ptr<tls::TlsServerContext>> s = tls::TlsServerContext::Create(server);
  if (!s.ok()) return s.status();
  server_tls_ = std::move(*s);
  tls::ClientOptions client;
  client.alpn = options_.client_alpn;
  client.verify_peer = true;
  client.trusted_certificates_pem = {cert->certificate_pem};
  client.enable_early_data = options_.enable_early_data;
  absl::StatusOr<std::unique_ptr<tls::TlsClientContext>> c = tls::TlsClientContext::Create(client);
  if (!c.ok()) return c.status();
  client_tls_ = std::move(*c);
  return absl::OkStatus();
}

absl::Status ConnectionHarness::Connect() {
  server_.reset();
  client_.reset();
  client_events_.clear();
  server_events_.clear();
  client_wire_address_ = kClientAddress;
  client_local_address_ = kClientAddress;
  absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Connect(
      options_.client, *client_tls_, PathFor(kClientAddress, kServerAddress), now_, MakeRandom());
  if (!c.ok()) return c.status();
  client_ = std::move(*c);
  return absl::OkStatus();
}

void ConnectionHarness::Flush(Connection* c, bool from_client) {
  if (c == nullptr) return;
  while (true) {
    std::optional<Transmit> t = c->PollTransmit(now_, absl::MakeSpan(buf_));
    if (!t.has_value()) break;
    absl::Span<const uint8_t> d(buf_.data(), t->size);
    (from_client ? client_datagrams_ : server_datagrams_)++;
    (from_client ? client_ecn_ : server_ecn_) = t->ecn;
    if (options_.inspect && !options_.inspect(from_client, d)) continue;
    network_->Send(now_, from_client ? client_wire_address_ : kServerAddress,
                   from_client ? kServerAddress : client_wire_address_, d);
  }
}

void ConnectionHarness::Deliver(const sim::Delivery& d) {
  EcnCodepoint ecn = EcnCodepoint::kNotEct;
  if (options_.preserve_ecn) ecn = d.to == kServerAddress ? client_ecn_ : server_ecn_;
  if (d.to == kServerAddress && ecn != EcnCodepoint::kNotEct && options_.ce_mark_every > 0 &&
      ++ect_to_server_ % options_.ce_mark_every == 0) {
    ecn = EcnCodepoint::kCe;
  }
  if (d.to == kServerAddress) {
    NetworkPath path = PathFor(kServerAddress, d.from);
    if (server_ == nullptr) {
      absl::StatusOr<PacketHeader> h =
          ParsePacketHeader(absl::MakeConstSpan(d.bytes), options_.server.local_cid_length);
      if (!h.ok() || h->type != PacketType::kInitial || d.bytes.size() < 1200) return;
      std::optional<ConnectionId> odcid;
      std::optional<ConnectionId> retry_scid;
      if (options_.server_sends_retry) {
        if (h->token.empty()) {
          SendRetry(*h);
          return;
        }
        if (!retry_scid_.has_value() || h->dcid != *retry_scid_ ||
            std::vector<uint8_t>(h->token.begin(), h->token.end()) != retry_token_) {
          return;
        }
        odcid = retry_original_dcid_;
        retry_scid = retry_scid_;
      }
      absl::StatusOr<std::unique_ptr<Connection>> s = Connection::Accept(
          options_.server, *server_tls_, *h, path, now_, MakeRandom(), odcid, retry_scid);
      if (!s.ok()) return;
      server_ = std::move(*s);
    }
    if (options_.deliver_in_place) {
      std::vector<uint8_t> bytes = d.bytes;
      server_->OnDatagramInPlace(now_, path, absl::MakeSpan(bytes), ecn);
    } else {
      server_->OnDatagram(now_, path, absl::MakeConstSpan(d.bytes), ecn);
    }
  } else if (d.to == client_wire_address_ && client_ != nullptr) {
    NetworkPath path = PathFor(client_local_address_, d.from);
    if (options_.deliver_in_place) {
      std::vector<uint8_t> bytes = d.bytes;
      client_->OnDatagramInPlace(now_, path, absl::MakeSpan(bytes), ecn);
    } else {
      client_->OnDatagram(now_, path, absl::MakeConstSpan(d.bytes), ecn);
    }
  }
}

void ConnectionHarness::DrainEvents() {
  if (client_ != nullptr) {
    while (std::optional<ConnectionEvent> ev = client_->PollEvent()) {
      if (ev->type == ConnectionEvent::Type::kNewSessionTicket) tickets_.push_back(ev->data);
      if (on_client_event) on_client_event(*client_, *ev);
      client_events_.push_back(std::move(*ev));
    }
  }
  if (server_ != nullptr) {
    while (std::optional<ConnectionEvent> ev = server_->PollEvent()) {
      if (on_server_event) on_server_event(*server_, *ev);
      server_events_.push_back(std::move(*ev));
    }
  }
}

absl::Status ConnectionHarness::MigrateClient(const sim::Address& address) {
  absl::Status st = network_->SetSymmetricLinkConfig(address, kServerAddress, options_.link);
  if (!st.ok()) return st;
  st = client_->MigrateTo(now_, PathFor(address, kServerAddress));
  if (!st.ok()) return st;
  client_wire_address_ = address;
  client_local_address_ = address;
  return absl::OkStatus();
}

absl::Status ConnectionHarness::RebindClient(const sim::Address& address) {
  absl::Status st = network_->SetSymmetricLinkConfig(address, kServerAddress, options_.link);
  if (!st.ok()) return st;
  client_wire_address_ = address;
  return absl::OkStatus();
}

void ConnectionHarness::SendRetry(const PacketHeader& initial) {
  uint8_t cid[8];
  MakeRandom()(cid, sizeof(cid));
  retry_scid_ = ConnectionId(cid, sizeof(cid));
  retry_original_dcid_ = initial.dcid;
  retry_token_.assign(24, 0);
  MakeRandom()(retry_token_.data(), retry_token_.size());
  std::vector<uint8_t> packet(512);
  DataWriter w(absl::MakeSpan(packet));
  if (!WriteRetryPacketWithoutTag(w, initial.version, initial.scid, *retry_scid_,
                                  absl::MakeConstSpan(retry_token_), 0)) {
    return;
  }
  size_t len = w.length();
  absl::StatusOr<tls::RetryIntegrityTag> tag = tls::ComputeRetryIntegrityTag(
      initial.version == kQuicVersion2 ? tls::QuicVersion::kV2 : tls::QuicVersion::kV1,
      initial.dcid.span(), absl::MakeConstSpan(packet.data(), len));
  if (!tag.ok()) return;
  std::copy(tag->begin(), tag->end(), packet.begin() + len);
  packet.resize(len + tag->size());
  ++retries_sent_;
  network_->Send(now_, kServerAddress, kClientAddress, absl::MakeConstSpan(packet));
}

bool ConnectionHarness::RunUntil(const std::function<bool()>& done, absl::Duration limit) {
  absl::Time deadline = now_ + limit;
  int stalled = 0;
  while (true) {
    DrainEvents();
    if (on_step) on_step();
    if (done()) return true;
    Flush(client_.get(), true);
    Flush(server_.get(), false);
    absl::Time next = absl::InfiniteFuture();
    if (std::optional<absl::Time> t = network_->NextDeliveryTime()) next = std::min(next, *t);
    if (client_ != nullptr) {
      if (std::optional<absl::Time> t = client_->NextDeadline()) next = std::min(next, *t);
    }
    if (server_ != nullptr) {
      if (std::optional<absl::Time> t = server_->NextDeadline()) next = std::min(next, *t);
    }
    if (next == absl::InfiniteFuture()) return done();
    if (next > deadline) {
      now_ = deadline;
      return done();
    }
    // A connection that keeps reporting a due deadline without acting on it would spin here.
    if (next <= now_) {
      if (++stalled > 100000) return done();
    } else {
      stalled = 0;
    }
    now_ = std::max(now_, next);
    while (std::optional<sim::Delivery> d = network_->PopDelivery(now_)) Deliver(*d);
    if (client_ != nullptr) {
      std::optional<absl::Time> t = client_->NextDeadline();
      if (t.has_value() && *t <= now_) client_->OnTimeout(now_);
    }
    if (server_ != nullptr) {
      std::optional<absl::Time> t = server_->NextDeadline();
      if (t.has_value() && *t <= now_) server_->OnTimeout(now_);
    }
  }
}

}  // namespace kite::quic::test
