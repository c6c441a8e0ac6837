// End to end: a kite client and server, each with a QlogWriter attached, complete a handshake
// and a small stream transfer in memory (fixed one-way delay, optional deterministic loss).
// Every record of both traces is then checked: RS framing, strict JSON, the header fields qvis
// needs, "time"/"name"/"data" on every event, non-decreasing times, and packet event counts
// equal to the connection's own statistics.
#include <catch2/catch.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "quic/codec/packet_header.h"
#include "quic/connection/connection.h"
#include "quic/qlog/qlog_writer.h"
#include "test/quic/qlog/qlog_test_util.h"
#include "tls/self_signed_certificate.h"
#include "tls/tls_context.h"

namespace kite::quic::qlog::test {
namespace {

constexpr absl::Duration kOneWayDelay = absl::Milliseconds(10);

struct InFlight {
  absl::Time at;
  bool to_server;
  std::vector<uint8_t> bytes;
};

// A client and a server joined by a FIFO wire with a fixed delay; `drop_every` > 0 drops every
// n-th datagram after the first few of each direction.
class Pair {
 public:
  Pair(QlogDialect dialect, int drop_every)
      : drop_every_(drop_every),
        dialect_(dialect),
        rng_(7),
        now_(absl::FromUnixSeconds(1700000000)) {
    QlogOptions co;
    co.perspective = Perspective::kClient;
    co.dialect = dialect;
    client_qlog_ = std::make_unique<QlogWriter>(co, &client_sink_);
    client_config_.observer = client_qlog_.get();
  }

  void Init() {
    tls::SelfSignedOptions so;
    so.dns_names = {"localhost"};
    absl::StatusOr<tls::SelfSignedCertificate> cert = tls::GenerateSelfSignedCertificate(so);
    REQUIRE(cert.ok());
    tls::ServerOptions server;
    server.certificate.chain_pem = cert->certificate_pem;
    server.certificate.key_pem = cert->private_key_pem;
    server.alpn = {"kite-test"};
    absl::StatusOr<std::unique_ptr<tls::TlsServerContext>> s =
        tls::TlsServerContext::Create(server);
    REQUIRE(s.ok());
    server_tls_ = std::move(*s);
    tls::ClientOptions client;
    client.alpn = {"kite-test"};
    client.verify_peer = true;
    client.trusted_certificates_pem = {cert->certificate_pem};
    absl::StatusOr<std::unique_ptr<tls::TlsClientContext>> c =
        tls::TlsClientContext::Create(client);
    REQUIRE(c.ok());
    client_tls_ = std::move(*c);
    absl::StatusOr<std::unique_ptr<Connection>> conn =
        Connection::Connect(client_config_, *client_tls_, ClientPath(), now_, Random());
    REQUIRE(conn.ok());
    client_ = std::move(*conn);
  }

  // Steps until `done` or `limit` of simulated time; returns whether `done` held.
  template <typename Done>
  bool RunUntil(Done done, absl::Duration limit) {
    const absl::Time deadline = now_ + limit;
    while (!done()) {
      Flush(client_.get(), true);
      Flush(server_.get(), false);
      absl::Time next = absl::InfiniteFuture();
      if (!wire_.empty()) next = wire_.front().at;
      for (Connection* c : {client_.get(), server_.get()}) {
        if (c == nullptr) continue;
        if (std::optional<absl::Time> t = c->NextDeadline()) next = std::min(next, *t);
      }
      if (next == absl::InfiniteFuture() || next > deadline) {
        now_ = deadline;
        return done();
      }
      now_ = std::max(now_, next);
      while (!wire_.empty() && wire_.front().at <= now_) {
        InFlight d = std::move(wire_.front());
        wire_.pop_front();
        Deliver(d);
      }
      for (Connection* c : {client_.get(), server_.get()}) {
        if (c == nullptr) continue;
        std::optional<absl::Time> t = c->NextDeadline();
        if (t.has_value() && *t <= now_) c->OnTimeout(now_);
      }
      if (app_) app_();
    }
    return true;
  }

  Connection* client() { return client_.get(); }
  Connection* server() { return server_.get(); }
  QlogWriter& client_qlog() { return *client_qlog_; }
  QlogWriter* server_qlog() { return server_qlog_.get(); }
  const std::string& client_trace() const { return client_sink_.contents(); }
  const std::string& server_trace() const { return server_sink_.contents(); }
  std::function<void()> app_;
  uint64_t dropped = 0;

 private:
  static NetworkPath Path(uint8_t local, uint8_t remote) {
    return NetworkPath{SocketAddress::V4(10, 0, 0, local, local == 1 ? 4433 : 443),
                       SocketAddress::V4(10, 0, 0, remote, remote == 1 ? 4433 : 443)};
  }
  static NetworkPath ClientPath() { return Path(1, 2); }
  static NetworkPath ServerPath() { return Path(2, 1); }

  RandomBytes Random() {
    return [this](uint8_t* out, size_t len) {
      for (size_t i = 0; i < len; ++i) out[i] = static_cast<uint8_t>(rng_());
    };
  }

  void Flush(Connection* c, bool from_client) {
    if (c == nullptr) return;
    while (std::optional<Transmit> t = c->PollTransmit(now_, absl::MakeSpan(buf_))) {
      std::vector<uint8_t> d(buf_.begin(), buf_.begin() + t->size);
      if (from_client && !client_odcid_known_) {
        // The client's ODCID is the DCID of its first Initial (RFC 9000 §7.2); the writer has
        // held the records logged so far.
        absl::StatusOr<PacketHeader> h = ParsePacketHeader(absl::MakeConstSpan(d), 0);
        REQUIRE(h.ok());
        client_qlog_->SetOriginalDestinationConnectionId(h->dcid);
        client_odcid_known_ = true;
      }
      uint64_t& n = from_client ? client_datagrams_ : server_datagrams_;
      ++n;
      if (drop_every_ > 0 && n > 4 && n % static_cast<uint64_t>(drop_every_) == 0) {
        ++dropped;
        continue;
      }
      wire_.push_back(InFlight{now_ + kOneWayDelay, from_client, std::move(d)});
    }
  }

  void Deliver(const InFlight& d) {
    if (!d.to_server) {
      client_->OnDatagram(now_, ClientPath(), absl::MakeConstSpan(d.bytes));
      return;
    }
    if (server_ == nullptr) {
      absl::StatusOr<PacketHeader> h =
          ParsePacketHeader(absl::MakeConstSpan(d.bytes), server_config_.local_cid_length);
      REQUIRE(h.ok());
      REQUIRE(h->type == PacketType::kInitial);
      QlogOptions so;
      so.perspective = Perspective::kServer;
      so.odcid = h->dcid;
      so.dialect = dialect_;
      server_qlog_ = std::make_unique<QlogWriter>(so, &server_sink_);
      server_config_.observer = server_qlog_.get();
      absl::StatusOr<std::unique_ptr<Connection>> s = Connection::Accept(
          server_config_, *server_tls_, *h, ServerPath(), now_, Random());
      REQUIRE(s.ok());
      server_ = std::move(*s);
    }
    server_->OnDatagram(now_, ServerPath(), absl::MakeConstSpan(d.bytes));
  }

  int drop_every_;
  QlogDialect dialect_;
  std::mt19937_64 rng_;
  absl::Time now_;
  std::vector<uint8_t> buf_ = std::vector<uint8_t>(65536);
  std::deque<InFlight> wire_;
  StringSink client_sink_;
  StringSink server_sink_;
  // Declared before the connections so they outlive them.
  std::unique_ptr<QlogWriter> client_qlog_;
  std::unique_ptr<QlogWriter> server_qlog_;
  ConnectionConfig client_config_;
  ConnectionConfig server_config_;
  std::unique_ptr<tls::TlsClientContext> client_tls_;
  std::unique_ptr<tls::TlsServerContext> server_tls_;
  std::unique_ptr<Connection> client_;
  std::unique_ptr<Connection> server_;
  bool client_odcid_known_ = false;
  uint64_t client_datagrams_ = 0;
  uint64_t server_datagrams_ = 0;
};

struct TraceSummary {
  std::map<std::string, uint64_t> names;
  uint64_t stream_bytes_sent = 0;
  uint64_t frames_sent = 0;
  std::string odcid;
};

// Checks every record of one trace and counts events by name.
TraceSummary CheckTrace(const std::string& trace, const std::string& vantage, bool legacy) {
  std::vector<JsonValue> recs = ParseRecords(trace);  // RS/LF framing and strict JSON
  REQUIRE(recs.size() > 10);
  const JsonValue& h = recs[0];
  // The header fields qvis keys on, and those of the main schema.
  REQUIRE(h.Get("qlog_version") != nullptr);
  CHECK(h.Get("qlog_format")->text == "JSON-SEQ");
  CHECK(h.Get("file_schema")->text == "urn:ietf:params:qlog:file:sequential");
  CHECK(h.Get("serialization_format")->text == "application/qlog+json-seq");
  REQUIRE(h.Get("trace") != nullptr);
  CHECK(h.Get("trace", "vantage_point", "type")->text == vantage);
  REQUIRE(h.Get("trace", "common_fields", "ODCID") != nullptr);
  CHECK(h.Get("trace", "common_fields", "ODCID")->text.size() >= 16);
  CHECK(h.Get("trace", "common_fields", "time_format")->text ==
        (legacy ? "relative" : "relative_to_epoch"));
  REQUIRE(h.Get("trace", "common_fields", "reference_time") != nullptr);
  CHECK(h.Get("trace", "event_schemas")->is_array());
  CHECK(h.Get("time") == nullptr);

  TraceSummary s;
  s.odcid = h.Get("trace", "common_fields", "ODCID")->text;
  double last_time = -1;
  const std::string sent_name = legacy ? "transport:packet_sent" : "quic:packet_sent";
  for (size_t i = 1; i < recs.size(); ++i) {
    const JsonValue& e = recs[i];
    INFO("record " << i);
    REQUIRE(e.Get("time") != nullptr);
    REQUIRE(e.Get("time")->is_number());
    REQUIRE(e.Get("name") != nullptr);
    REQUIRE(e.Get("name")->is_string());
    REQUIRE(e.Get("data") != nullptr);
    REQUIRE(e.Get("data")->is_object());
    const double t = e.Get("time")->number;
    CHECK(t >= last_time);
    CHECK(t >= 0);
    last_time = t;
    const std::string name = e.Get("name")->text;
    s.names[name]++;
    if (name.find("packet_sent") != std::string::npos ||
        name.find("packet_received") != std::string::npos) {
      const JsonValue* header = e.Get("data", "header");
      REQUIRE(header != nullptr);
      REQUIRE(header->Get("packet_type") != nullptr);
      REQUIRE(header->Get("packet_number") != nullptr);
      REQUIRE(e.Get("data", "raw", "length") != nullptr);
      CHECK(e.Get("data", "raw", "length")->number >= 20);
      const JsonValue* frames = e.Get("data", "frames");
      REQUIRE(frames != nullptr);
      REQUIRE(frames->is_array());
      CHECK_FALSE(frames->items.empty());
      for (const JsonValue& f : frames->items) {
        REQUIRE(f.Get("frame_type") != nullptr);
        if (name == sent_name) {
          ++s.frames_sent;
          if (f.Get("frame_type")->text == "stream") {
            s.stream_bytes_sent += static_cast<uint64_t>(f.Get("length")->number);
          }
        }
      }
    }
  }
  return s;
}

void RunAndCheck(QlogDialect dialect, int drop_every) {
  const bool legacy = dialect == QlogDialect::kQvisLegacy;
  Pair pair(dialect, drop_every);
  pair.Init();
  bool hs = pair.RunUntil([&] { return pair.client()->handshake_complete(); }, absl::Seconds(10));
  if (!hs) {
    pair.client_qlog().Flush();
    if (pair.client()->close_info().has_value()) {
      WARN("client closed: " << pair.client()->close_info()->reason);
    }
    WARN(pair.client_trace().substr(0, 6000));
    if (pair.server_qlog() != nullptr) {
      pair.server_qlog()->Flush();
      WARN(pair.server_trace().substr(0, 6000));
    }
  }
  REQUIRE(hs);

  // 40 KB up, 8 KB back on one bidirectional stream.
  absl::StatusOr<uint64_t> id = pair.client()->OpenStream(true);
  REQUIRE(id.ok());
  std::vector<uint8_t> up(40000, 0x5a);
  REQUIRE(pair.client()->WriteStream(*id, absl::MakeConstSpan(up), true).ok());
  size_t server_got = 0;
  bool server_fin = false;
  bool replied = false;
  size_t client_got = 0;
  bool client_fin = false;
  uint8_t buf[4096];
  pair.app_ = [&] {
    Connection* s = pair.server();
    if (s != nullptr) {
      while (std::optional<ConnectionEvent> ev = s->PollEvent()) {
      }
      while (!server_fin) {
        bool fin = false;
        absl::StatusOr<size_t> n = s->ReadStream(*id, buf, sizeof(buf), &fin);
        if (!n.ok()) break;
        server_got += *n;
        server_fin = fin;
        if (*n == 0) break;
      }
      if (server_fin && !replied) {
        std::vector<uint8_t> down(8000, 0xa5);
        REQUIRE(s->WriteStream(*id, absl::MakeConstSpan(down), true).ok());
        replied = true;
      }
    }
    Connection* c = pair.client();
    while (std::optional<ConnectionEvent> ev = c->PollEvent()) {
    }
    while (!client_fin) {
      bool fin = false;
      absl::StatusOr<size_t> n = c->ReadStream(*id, buf, sizeof(buf), &fin);
      if (!n.ok()) break;
      client_got += *n;
      client_fin = fin;
      if (*n == 0) break;
    }
  };
  REQUIRE(pair.RunUntil([&] { return client_fin; }, absl::Seconds(30)));
  CHECK(server_got == up.size());
  CHECK(client_got == 8000);
  // Let the last ACKs cross, then close both traces.
  pair.RunUntil([] { return false; }, absl::Milliseconds(100));
  pair.client_qlog().Flush();
  REQUIRE(pair.server_qlog() != nullptr);
  pair.server_qlog()->Flush();

  const std::string sent = legacy ? "transport:packet_sent" : "quic:packet_sent";
  const std::string received = legacy ? "transport:packet_received" : "quic:packet_received";
  const std::string metrics = legacy ? "recovery:metrics_updated" : "quic:recovery_metrics_updated";
  const std::string lost = legacy ? "recovery:packet_lost" : "quic:packet_lost";
  const std::string state =
      legacy ? "connectivity:connection_state_updated" : "quic:connection_state_updated";
  const std::string discarded = legacy ? "security:key_retired" : "quic:key_discarded";

  struct Side {
    const char* vantage;
    const std::string* trace;
    Connection* conn;
  };
  TraceSummary summaries[2];
  int i = 0;
  for (const Side& side : {Side{"client", &pair.client_trace(), pair.client()},
                           Side{"server", &pair.server_trace(), pair.server()}}) {
    INFO(side.vantage);
    TraceSummary s = CheckTrace(*side.trace, side.vantage, legacy);
    const ConnectionStats& st = side.conn->stats();
    CHECK(s.names[sent] == st.packets_sent);
    CHECK(s.names[received] == st.packets_received);
    CHECK(s.names[lost] == st.packets_lost);
    CHECK(s.names[metrics] > 0);
    CHECK(s.names[state] >= 1);
    CHECK(s.names[discarded] >= 2);  // Initial keys, both directions
    CHECK(st.packets_sent > 5);
    summaries[i++] = s;
  }
  // Both traces name the same connection.
  CHECK(summaries[0].odcid == summaries[1].odcid);
  // The client's sent STREAM frames cover the upload (retransmissions may add more).
  CHECK(summaries[0].stream_bytes_sent >= up.size());
  CHECK(summaries[1].stream_bytes_sent >= 8000);
  if (drop_every > 0) {
    CHECK(pair.dropped > 0);
    // Loss detection ran and every declared loss was logged (compared with stats above).
    CHECK(summaries[0].names[lost] + summaries[1].names[lost] > 0);
  }
}

TEST_CASE("qlog traces of a handshake and a transfer are valid and match the stats", "[qlog]") {
  RunAndCheck(QlogDialect::kDraft, 0);
}

TEST_CASE("qlog traces stay consistent under loss", "[qlog]") {
  RunAndCheck(QlogDialect::kDraft, 6);
}

TEST_CASE("qlog traces in the qvis dialect", "[qlog]") {
  RunAndCheck(QlogDialect::kQvisLegacy, 0);
}

}  // namespace
}  // namespace kite::quic::qlog::test
