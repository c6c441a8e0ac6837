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

  absl::StatusOr<uint64_t> get = h.client()->SendRequest(Request("GET", "/bytes/100000/7"), true);
  REQUIRE(get.ok());
  std::vector<uint8_t> upload = Pattern(300000, 99);
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
  CHECK(g.body == Pattern(100000, 7));
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

}  // namespace
}  // namespace kite::http3::test
