// An HTTP/3 client and server session over a pair of kite Connections on the seeded in-memory
// network (quic/sim), in simulated time. Each step: connection events go to their session (or
// to a raw-peer hook), both sessions are pumped, datagrams move, timers fire.
#ifndef KITE_TEST_HTTP3_HTTP3_HARNESS_H_
#define KITE_TEST_HTTP3_HTTP3_HARNESS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <random>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "http3/client_session.h"
#include "http3/server_session.h"
#include "quic/connection/connection.h"
#include "quic/sim/in_memory_network.h"
#include "tls/tls_context.h"

namespace kite::http3::test {

struct HarnessOptions {
  quic::ConnectionConfig client;
  quic::ConnectionConfig server;
  quic::sim::LinkConfig link;  // both directions
  uint64_t seed = 1;
  bool enable_early_data = true;
};

HarnessOptions Http3HarnessOptions();

// Deterministic bytes (xorshift) for body integrity checks.
std::vector<uint8_t> Pattern(size_t n, uint64_t seed);

class Http3Harness {
 public:
  explicit Http3Harness(HarnessOptions options = Http3HarnessOptions());
  ~Http3Harness();

  // TLS contexts (once), then a fresh connection pair. The client session exists at once
  // (unless `raw_client`: the test then drives the client Connection itself); the server
  // session is created with the server connection (unless `raw_server`).
  absl::Status Connect(ClientHandler* client_handler, ServerHandler* server_handler,
                       bool raw_client = false, bool raw_server = false);
  bool RunUntil(const std::function<bool()>& done, absl::Duration limit = absl::Seconds(30));

  ClientSession* client() { return client_.get(); }
  ServerSession* server() { return server_.get(); }
  quic::Connection* client_connection() { return client_conn_.get(); }
  quic::Connection* server_connection() { return server_conn_.get(); }
  absl::Time now() const { return now_; }
  HarnessOptions& options() { return options_; }
  // Loop turns so far, and the turns where time did not advance (a due deadline not acted on).
  uint64_t steps() const { return steps_; }
  uint64_t stalled_steps() const { return stalled_steps_; }
  // Tickets the client session handed out (with the server's SETTINGS attached).
  const std::vector<std::vector<uint8_t>>& tickets() const { return tickets_; }

  SessionConfig client_config;
  // The client's ConnectionConfig::resumption_session for the next Connect.
  std::vector<uint8_t> resumption_ticket;
  SessionConfig server_config;
  // Extra work each step (after both sessions pumped).
  std::function<void()> on_step;
  // Raw peers (no session) see their connection's events here.
  std::function<void(quic::Connection&, const quic::ConnectionEvent&)> on_raw_client_event;
  std::function<void(quic::Connection&, const quic::ConnectionEvent&)> on_raw_server_event;

 private:
  absl::Status Init();
  void Step();
  void Flush(quic::Connection* c, bool from_client);
  void Deliver(const quic::sim::Delivery& d);
  quic::RandomBytes MakeRandom();

  HarnessOptions options_;
  std::unique_ptr<quic::sim::InMemoryNetwork> network_;
  std::unique_ptr<tls::TlsClientContext> client_tls_;
  std::unique_ptr<tls::TlsServerContext> server_tls_;
  std::mt19937_64 rng_;
  absl::Time now_;
  std::vector<uint8_t> buf_;
  bool raw_client_ = false;
  bool raw_server_ = false;
  ClientHandler* client_handler_ = nullptr;
  ServerHandler* server_handler_ = nullptr;
  // Sessions before connections: they are destroyed first.
  std::unique_ptr<quic::Connection> client_conn_;
  std::unique_ptr<quic::Connection> server_conn_;
  std::unique_ptr<ClientSession> client_;
  std::unique_ptr<ServerSession> server_;
  std::vector<std::vector<uint8_t>> tickets_;
  uint64_t steps_ = 0;
  uint64_t stalled_steps_ = 0;
};

// A client handler that records everything per stream.
class RecordingClient : public ClientHandler {
 public:
  struct Response {
    std::vector<ResponseHead> interim;
    std::optional<ResponseHead> head;
    std::vector<uint8_t> body;
    HeaderList trailers;
    bool complete = false;
    bool failed = false;
    Http3ErrorCode error = Http3ErrorCode::kNoError;
    bool retryable = false;
  };
  void OnInterimResponse(uint64_t id, const ResponseHead& head) override {
    responses[id].interim.push_back(head);
  }
  void OnResponseHeaders(uint64_t id, const ResponseHead& head) override {
    responses[id].head = head;
  }
  void OnResponseBody(uint64_t id, absl::Span<const uint8_t> data) override {
    std::vector<uint8_t>& b = responses[id].body;
    b.insert(b.end(), data.begin(), data.end());
  }
  void OnResponseComplete(uint64_t id, const HeaderList& trailers) override {
    responses[id].trailers = trailers;
    responses[id].complete = true;
    ++completed;
    if (on_complete) on_complete(id);
  }
  void OnRequestFailed(uint64_t id, Http3ErrorCode code, bool retryable) override {
    Response& r = responses[id];
    r.failed = true;
    r.error = code;
    r.retryable = retryable;
    ++failed;
    if (on_failed) on_failed(id);
  }
  void OnRequestWritable(uint64_t id) override {
    if (on_writable) on_writable(id);
  }

  std::map<uint64_t, Response> responses;
  size_t completed = 0;
  size_t failed = 0;
  std::function<void(uint64_t)> on_complete;
  std::function<void(uint64_t)> on_failed;
  std::function<void(uint64_t)> on_writable;
};

// A server that answers "/bytes/<n>/<seed>" with Pattern(n, seed), "/echo" with the request
// body, adds the request's trailers back as response trailers, and streams large bodies with
// backpressure (at most `chunk` bytes queued at a time).
class PatternServer : public ServerHandler {
 public:
  struct Request {
    RequestHead head;
    std::vector<uint8_t> body;
    HeaderList trailers;
    bool complete = false;
    bool aborted = false;
    Http3ErrorCode abort_code = Http3ErrorCode::kNoError;
    bool early = false;
  };
  void OnRequest(ServerSession& s, uint64_t id, const RequestHead& head) override;
  void OnRequestBody(ServerSession& s, uint64_t id, absl::Span<const uint8_t> data) override;
  void OnRequestComplete(ServerSession& s, uint64_t id, const HeaderList& trailers) override;
  void OnRequestAborted(ServerSession& s, uint64_t id, Http3ErrorCode code) override;
  void OnResponseWritable(ServerSession& s, uint64_t id) override;
  bool AcceptEarlyRequest(const RequestHead& head) override {
    (void)head;
    return accept_early;
  }

  std::map<uint64_t, Request> requests;
  size_t chunk = 32 * 1024;
  bool accept_early = false;
  // Respond only when the request is complete (default), or at once after the headers.
  bool respond_on_headers = false;
  // Send a 103 before the final response.
  bool send_interim = false;
  // Hook to replace the default response.
  std::function<bool(ServerSession&, uint64_t, const Request&)> custom;

 private:
  void Respond(ServerSession& s, uint64_t id);
  void Continue(ServerSession& s, uint64_t id);
  struct Outgoing {
    std::vector<uint8_t> body;
    size_t offset = 0;
    HeaderList trailers;
  };
  std::map<uint64_t, Outgoing> outgoing_;
};

}  // namespace kite::http3::test

#endif  // KITE_TEST_HTTP3_HTTP3_HARNESS_H_
