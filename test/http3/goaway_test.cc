// Graceful shutdown with GOAWAY (RFC 9114 §5.2) from either side, with requests in flight.
#include <catch2/catch.hpp>

#include <string>

#include "test/http3/http3_harness.h"

namespace kite::http3::test {
namespace {

HeaderList Get(const std::string& path) {
  return {{":method", "GET"}, {":scheme", "https"}, {":authority", "localhost"}, {":path", path}};
}

TEST_CASE("server GOAWAY: requests in flight finish, later ones are rejected as retryable",
          "[http3][goaway]") {
  Http3Harness h;
  RecordingClient client;
  PatternServer server;
  REQUIRE(h.Connect(&client, &server).ok());
  REQUIRE(h.RunUntil([&] { return h.client_connection()->handshake_complete(); }));
  std::vector<uint64_t> first;
  for (int i = 0; i < 10; ++i) {
    absl::StatusOr<uint64_t> id =
        h.client()->SendRequest(Get("/bytes/60000/" + std::to_string(i)), true);
    REQUIRE(id.ok());
    first.push_back(*id);
  }
  REQUIRE(h.RunUntil([&] { return server.requests.size() == 10; }));
  // The server stops taking requests; the client does not know yet and sends five more.
  h.server()->Shutdown(h.now());
  CHECK(h.server()->goaway_sent());
  std::vector<uint64_t> late;
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<uint64_t> id = h.client()->SendRequest(Get("/bytes/1000/9"), true);
    REQUIRE(id.ok());
    late.push_back(*id);
  }
  REQUIRE(h.RunUntil([&] { return client.completed + client.failed == 15; }));
  for (size_t i = 0; i < first.size(); ++i) {
    const RecordingClient::Response& r = client.responses[first[i]];
    CHECK(r.complete);
    CHECK(r.body == Pattern(60000, i));
  }
  for (uint64_t id : late) {
    const RecordingClient::Response& r = client.responses[id];
    CHECK(r.failed);
    CHECK(r.retryable);
    CHECK(r.error == Http3ErrorCode::kRequestRejected);
    CHECK(server.requests.count(id) == 0);  // never reached the handler
  }
  CHECK(h.client()->goaway_received());
  // No new requests after GOAWAY.
  CHECK(absl::IsFailedPrecondition(h.client()->SendRequest(Get("/"), true).status()));
  // Once the last response is through, the connection closes with H3_NO_ERROR.
  REQUIRE(h.RunUntil([&] { return h.client_connection()->is_closing(); }));
  REQUIRE(h.client_connection()->close_info().has_value());
  CHECK(h.client_connection()->close_info()->is_application);
  CHECK(h.client_connection()->close_info()->error_code == ToWire(Http3ErrorCode::kNoError));
  CHECK_FALSE(h.client()->local_error().has_value());
  CHECK_FALSE(h.server()->local_error().has_value());
}

TEST_CASE("server GOAWAY on an idle connection closes it at once", "[http3][goaway]") {
  Http3Harness h;
  RecordingClient client;
  PatternServer server;
  REQUIRE(h.Connect(&client, &server).ok());
  REQUIRE(h.RunUntil([&] { return h.server() != nullptr && h.server()->peer_settings(); }));
  h.server()->Shutdown(h.now());
  REQUIRE(h.RunUntil([&] { return h.client_connection()->is_closing(); }));
  CHECK(h.client()->goaway_received());
  CHECK(h.client_connection()->close_info()->error_code == ToWire(Http3ErrorCode::kNoError));
}

TEST_CASE("client GOAWAY: the client finishes its requests, then closes", "[http3][goaway]") {
  Http3Harness h;
  RecordingClient client;
  PatternServer server;
  REQUIRE(h.Connect(&client, &server).ok());
  REQUIRE(h.RunUntil([&] { return h.client_connection()->handshake_complete(); }));
  std::vector<uint64_t> ids;
  for (int i = 0; i < 4; ++i) {
    absl::StatusOr<uint64_t> id =
        h.client()->SendRequest(Get("/bytes/40000/" + std::to_string(i)), true);
    REQUIRE(id.ok());
    ids.push_back(*id);
  }
  h.client()->Shutdown(h.now());
  CHECK(absl::IsFailedPrecondition(h.client()->SendRequest(Get("/"), true).status()));
  REQUIRE(h.RunUntil([&] { return h.client_connection()->is_closing(); }));
  CHECK(client.completed == 4);
  for (size_t i = 0; i < ids.size(); ++i) {
    CHECK(client.responses[ids[i]].body == Pattern(40000, i));
  }
  CHECK(h.client_connection()->close_info()->error_code == ToWire(Http3ErrorCode::kNoError));
  REQUIRE(h.RunUntil([&] { return h.server()->is_closed(); }));
  CHECK(h.server()->goaway_received());
}

}  // namespace
}  // namespace kite::http3::test
