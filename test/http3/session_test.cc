// HTTP/3 client and server sessions over in-memory QUIC connections: requests and responses
// with bodies and trailers, interim responses, cancellation, rejection, priorities.
#include <catch2/catch.hpp>

#include <string>

#include "test/http3/http3_harness.h"

namespace kite::http3::test {
namespace {

HeaderList Request(const std::string& method, const std::string& path) {
  return {{":method", method}, {":scheme", "https"}, {":authority", "localhost"}, {":path", path}};
}

TEST_CASE("a GET and a POST with trailers complete with intact bodies", "[http3][session]") {
  Http3Harness h;
  RecordingClient client;
  PatternServer server;
  REQUIRE(h.Connect(&client, &server).ok());
  REQUIRE(h.RunUntil([&] { return h.client_connection()->handshake_complete(); }));

  absl::StatusOr<uint64_t> get = h.client()->SendRequest(Request("GET", "/bytes/50000/7"), true);
  REQUIRE(get.ok());
  std::vector<uint8_t> upload = Pattern(150000, 99);
  HeaderList post_headers = Request("POST", "/echo");
  post_headers.push_back({"content-length", std::to_string(upload.size())});
  absl::StatusOr<uint64_t> post = h.client()->SendRequest(post_headers, false);
  REQUIRE(post.ok());
  size_t sent = 0;
  auto feed = [&] {
    while (sent < upload.size() && h.client()->QueuedBytes(*post) < 64 * 1024) {
      size_t n = std::min<size_t>(20000, upload.size() - sent);
      REQUIRE(h.client()
                  ->SendRequestBody(*post, absl::MakeConstSpan(upload.data() + sent, n), false)
                  .ok());
      sent += n;
      if (sent == upload.size()) {
        REQUIRE(h.client()->SendRequestTrailers(*post, {{"x-checksum", "abc123"}}).ok());
      }
    }
  };
  feed();
  client.on_writable = [&](uint64_t id) {
    if (id == *post) feed();
  };
  REQUIRE(h.RunUntil([&] { return client.completed == 2; }));

  const RecordingClient::Response& g = client.responses[*get];
  REQUIRE(g.head.has_value());
  CHECK(g.head->status == 200);
  CHECK(g.body == Pattern(50000, 7));
  CHECK(g.trailers.empty());
  const RecordingClient::Response& p = client.responses[*post];
  REQUIRE(p.head.has_value());
  CHECK(p.body == upload);
  CHECK(p.trailers == HeaderList{{"x-checksum", "abc123"}});
  CHECK(server.requests[*post].trailers == HeaderList{{"x-checksum", "abc123"}});
  CHECK(server.requests[*post].head.method == "POST");
  CHECK(server.requests[*post].head.content_length == upload.size());
  CHECK_FALSE(server.requests[*get].early);
  // Both sides learned the other's SETTINGS.
  REQUIRE(h.client()->peer_settings().has_value());
  REQUIRE(h.server()->peer_settings().has_value());
  CHECK(h.client()->peer_settings()->qpack_max_table_capacity == 4096);
  CHECK_FALSE(h.client()->is_closed());
  CHECK_FALSE(h.server()->is_closed());
  // Streams are forgotten once both directions are done.
  REQUIRE(h.RunUntil([&] {
    return h.client()->active_request_streams() == 0 && h.server()->active_request_streams() == 0;
  }));
}


TEST_CASE("interim 103 responses precede the final one", "[http3][session]") {
  Http3Harness h;
  RecordingClient client;
  PatternServer server;
  server.send_interim = true;
  REQUIRE(h.Connect(&client, &server).ok());
  REQUIRE(h.RunUntil([&] { return h.client_connection()->handshake_complete(); }));
  absl::StatusOr<uint64_t> id = h.client()->SendRequest(Request("GET", "/bytes/5000/1"), true);
  REQUIRE(id.ok());
  REQUIRE(h.RunUntil([&] { return client.completed == 1; }));
  const RecordingClient::Response& r = client.responses[*id];
  REQUIRE(r.interim.size() == 1);
  CHECK(r.interim[0].status == 103);
  CHECK(FindField(r.interim[0].fields, "link") == std::string_view("</style.css>"));
  REQUIRE(r.head.has_value());
  CHECK(r.head->status == 200);
  CHECK(r.body == Pattern(5000, 1));
}

TEST_CASE("a client cancels a download; the server sees H3_REQUEST_CANCELLED",
          "[http3][session]") {
  Http3Harness h;
  RecordingClient client;
  PatternServer server;
  REQUIRE(h.Connect(&client, &server).ok());
  REQUIRE(h.RunUntil([&] { return h.client_connection()->handshake_complete(); }));
  absl::StatusOr<uint64_t> big =
      h.client()->SendRequest(Request("GET", "/bytes/2000000/3"), true);
  REQUIRE(big.ok());
  REQUIRE(h.RunUntil([&] { return client.responses[*big].body.size() > 50000; }));
  h.client()->CancelRequest(*big);
  REQUIRE(h.RunUntil([&] { return server.requests[*big].aborted; }));
  CHECK(server.requests[*big].abort_code == Http3ErrorCode::kRequestCancelled);
  CHECK(client.responses[*big].body.size() < 2000000);
  // The connection carries on.
  absl::StatusOr<uint64_t> next = h.client()->SendRequest(Request("GET", "/bytes/1000/4"), true);
  REQUIRE(next.ok());
  REQUIRE(h.RunUntil([&] { return client.responses[*next].complete; }));
  CHECK(client.responses[*next].body == Pattern(1000, 4));
  REQUIRE(h.RunUntil([&] { return h.server()->active_request_streams() == 0; }));
}

TEST_CASE("a rejected request fails as retryable with H3_REQUEST_REJECTED", "[http3][session]") {
  Http3Harness h;
  RecordingClient client;
  PatternServer server;
  server.respond_on_headers = true;
  server.custom = [](ServerSession& s, uint64_t id, const PatternServer::Request& r) {
    if (r.head.path != "/reject") return false;
    s.RejectRequest(id);
    return true;
  };
  REQUIRE(h.Connect(&client, &server).ok());
  REQUIRE(h.RunUntil([&] { return h.client_connection()->handshake_complete(); }));
  absl::StatusOr<uint64_t> id = h.client()->SendRequest(Request("GET", "/reject"), true);
  REQUIRE(id.ok());
  REQUIRE(h.RunUntil([&] { return client.failed == 1; }));
  CHECK(client.responses[*id].error == Http3ErrorCode::kRequestRejected);
  CHECK(client.responses[*id].retryable);
  CHECK(h.server()->requests_rejected() == 1);
  CHECK_FALSE(h.client()->is_closed());
}

TEST_CASE("a response whose content-length disagrees with its DATA is H3_MESSAGE_ERROR",
          "[http3][session]") {
  for (int declared : {10, 2}) {
    Http3Harness h;
    RecordingClient client;
    PatternServer server;
    server.custom = [declared](ServerSession& s, uint64_t id, const PatternServer::Request&) {
      REQUIRE(s.SendResponseHeaders(
                   id, {{":status", "200"}, {"content-length", std::to_string(declared)}}, false)
                  .ok());
      std::vector<uint8_t> five(5, 'x');
      REQUIRE(s.SendResponseBody(id, five, true).ok());
      return true;
    };
    REQUIRE(h.Connect(&client, &server).ok());
    REQUIRE(h.RunUntil([&] { return h.client_connection()->handshake_complete(); }));
    absl::StatusOr<uint64_t> id = h.client()->SendRequest(Request("GET", "/"), true);
    REQUIRE(id.ok());
    REQUIRE(h.RunUntil([&] { return client.failed == 1; }));
    CHECK(client.responses[*id].error == Http3ErrorCode::kMessageError);
    CHECK_FALSE(client.responses[*id].complete);
    CHECK_FALSE(h.client()->is_closed());
  }
}

TEST_CASE("HEAD and 304 responses may declare a length without content", "[http3][session]") {
  Http3Harness h;
  RecordingClient client;
  PatternServer server;
  server.custom = [](ServerSession& s, uint64_t id, const PatternServer::Request& r) {
    std::string status = r.head.method == "HEAD" ? "200" : "304";
    REQUIRE(s.SendResponseHeaders(id, {{":status", status}, {"content-length", "1234"}}, true)
                .ok());
    return true;
  };
  REQUIRE(h.Connect(&client, &server).ok());
  REQUIRE(h.RunUntil([&] { return h.client_connection()->handshake_complete(); }));
  absl::StatusOr<uint64_t> head = h.client()->SendRequest(Request("HEAD", "/"), true);
  absl::StatusOr<uint64_t> cond = h.client()->SendRequest(Request("GET", "/"), true);
  REQUIRE(head.ok());
  REQUIRE(cond.ok());
  REQUIRE(h.RunUntil([&] { return client.completed == 2; }));
  CHECK(client.failed == 0);
  CHECK(client.responses[*cond].head->status == 304);
}

TEST_CASE("a paused upload waits in the transport and resumes intact", "[http3][session]") {
  Http3Harness h;
  RecordingClient client;
  PatternServer server;
  REQUIRE(h.Connect(&client, &server).ok());
  REQUIRE(h.RunUntil([&] { return h.client_connection()->handshake_complete(); }));
  std::vector<uint8_t> upload = Pattern(400000, 5);
  absl::StatusOr<uint64_t> id = h.client()->SendRequest(Request("PUT", "/echo"), false);
  REQUIRE(id.ok());
  size_t sent = 0;
  auto feed = [&] {
    while (sent < upload.size() && h.client()->QueuedBytes(*id) < 128 * 1024) {
      size_t n = std::min<size_t>(64 * 1024, upload.size() - sent);
      REQUIRE(h.client()
                  ->SendRequestBody(*id, absl::MakeConstSpan(upload.data() + sent, n),
                                    sent + n == upload.size())
                  .ok());
      sent += n;
    }
  };
  feed();
  client.on_writable = [&](uint64_t) { feed(); };
  REQUIRE(h.RunUntil([&] { return server.requests[*id].body.size() > 50000; }));
  h.server()->SetReadPaused(*id, true);
  size_t at_pause = server.requests[*id].body.size();
  // Simulated time passes; the client is held back by stream flow control.
  h.RunUntil([] { return false; }, absl::Seconds(2));
  CHECK(server.requests[*id].body.size() == at_pause);
  // The rest waits in the client's transport, held back by stream flow control.
  CHECK(h.client_connection()->StreamBufferedBytes(*id) > 0);
  h.server()->SetReadPaused(*id, false);
  REQUIRE(h.RunUntil([&] { return client.responses[*id].complete; }));
  CHECK(server.requests[*id].body == upload);
  CHECK(client.responses[*id].body == upload);
  CHECK(h.stalled_steps() == 0);
}

// Two equal downloads started together; the one with the more urgent priority finishes first
// because the server's transport scheduler sends it first (RFC 9218 §4.1).
uint64_t FirstFinished(bool use_update) {
  HarnessOptions opts = Http3HarnessOptions();
  opts.link.bandwidth_bps = 8'000'000;
  Http3Harness h(opts);
  RecordingClient client;
  PatternServer server;
  REQUIRE(h.Connect(&client, &server).ok());
  REQUIRE(h.RunUntil([&] {
    return h.client()->peer_settings().has_value() && h.server() != nullptr &&
           h.server()->peer_settings().has_value();
  }));
  HeaderList a = Request("GET", "/bytes/200000/1");
  HeaderList b = Request("GET", "/bytes/200000/2");
  if (!use_update) {
    a.push_back({"priority", "u=6"});
    b.push_back({"priority", "u=1"});
  }
  absl::StatusOr<uint64_t> ida = h.client()->SendRequest(a, true);
  absl::StatusOr<uint64_t> idb = h.client()->SendRequest(b, true);
  REQUIRE(ida.ok());
  REQUIRE(idb.ok());
  if (use_update) REQUIRE(h.client()->UpdatePriority(*idb, PriorityParams{0, false}).ok());
  std::vector<uint64_t> order;
  client.on_complete = [&](uint64_t id) { order.push_back(id); };
  REQUIRE(h.RunUntil([&] { return order.size() == 2; }));
  CHECK(client.responses[*ida].body == Pattern(200000, 1));
  CHECK(client.responses[*idb].body == Pattern(200000, 2));
  CHECK_FALSE(h.server()->is_closed());
  CHECK(h.stalled_steps() == 0);
  CHECK(h.server()->priority_updates_applied() == (use_update ? 1u : 0u));
  return order[0] == *idb ? 1 : 0;
}

TEST_CASE("the Priority header orders responses", "[http3][session][priority]") {
  CHECK(FirstFinished(/*use_update=*/false) == 1);
}

TEST_CASE("PRIORITY_UPDATE reorders responses", "[http3][session][priority]") {
  // Also checks that the QPACK encoder stream is not stuck behind the first response (the
  // second response's HEADERS need its inserts).
  CHECK(FirstFinished(/*use_update=*/true) == 1);
}

}  // namespace
}  // namespace kite::http3::test
