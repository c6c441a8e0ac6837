// 0-RTT (RFC 9114 §7.2.4.2, RFC 8470): the client resumes with the server's SETTINGS from the
// ticket; the server serves safe requests that arrive early and answers unsafe ones with 425.
#include <catch2/catch.hpp>

#include <string>

#include "quic/connection/resumption_ticket.h"
#include "test/http3/http3_harness.h"

namespace kite::http3::test {
namespace {

HeaderList Req(const std::string& method, const std::string& path) {
  return {{":method", method}, {":scheme", "https"}, {":authority", "localhost"}, {":path", path}};
}

// A first connection that ends with a ticket carrying the server's SETTINGS.
std::vector<uint8_t> FirstVisit(Http3Harness& h, RecordingClient& client, PatternServer& server) {
  REQUIRE(h.Connect(&client, &server).ok());
  REQUIRE(h.RunUntil([&] { return h.client_connection()->handshake_complete(); }));
  absl::StatusOr<uint64_t> id = h.client()->SendRequest(Req("GET", "/bytes/10/1"), true);
  REQUIRE(id.ok());
  REQUIRE(h.RunUntil([&] { return client.completed == 1 && !h.tickets().empty(); }));
  CHECK_FALSE(server.requests[*id].early);
  return h.tickets().back();
}

TEST_CASE("a 0-RTT GET is served early; a 0-RTT POST is answered 425", "[http3][0rtt]") {
  Http3Harness h;
  h.server_config.settings.max_field_section_size = 20000;
  RecordingClient first_client;
  PatternServer first_server;
  std::vector<uint8_t> ticket = FirstVisit(h, first_client, first_server);

  h.resumption_ticket = ticket;
  RecordingClient client;
  PatternServer server;
  REQUIRE(h.Connect(&client, &server).ok());
  // The remembered SETTINGS are in force before the server's arrive.
  REQUIRE(h.client()->remembered_settings().has_value());
  CHECK(h.client()->remembered_settings()->max_field_section_size == 20000u);
  CHECK(h.client()->effective_peer_settings().max_field_section_size == 20000u);
  CHECK_FALSE(h.client()->peer_settings().has_value());
  // Requests go out before the handshake completes.
  REQUIRE_FALSE(h.client_connection()->handshake_complete());
  absl::StatusOr<uint64_t> get = h.client()->SendRequest(Req("GET", "/bytes/3000/2"), true);
  REQUIRE(get.ok());
  std::vector<uint8_t> body = Pattern(500, 3);
  absl::StatusOr<uint64_t> post = h.client()->SendRequest(Req("POST", "/echo"), false);
  REQUIRE(post.ok());
  REQUIRE(h.client()->SendRequestBody(*post, body, true).ok());
  REQUIRE(h.RunUntil([&] { return client.completed == 2; }));

  CHECK(h.client_connection()->early_data_accepted());
  INFO("0-RTT packets sent " << h.client_connection()->stats().zero_rtt_packets_sent);
  CHECK(h.client_connection()->stats().zero_rtt_packets_sent > 0);
  const RecordingClient::Response& g = client.responses[*get];
  REQUIRE(g.head.has_value());
  CHECK(g.head->status == 200);
  CHECK(g.body == Pattern(3000, 2));
  CHECK(server.requests[*get].early);
  const RecordingClient::Response& p = client.responses[*post];
  REQUIRE(p.head.has_value());
  CHECK(p.head->status == 425);
  CHECK(p.body.empty());
  CHECK(server.requests.count(*post) == 0);  // the handler never saw it
  CHECK(h.server()->early_requests_refused() == 1);

  // After the handshake the same POST goes through.
  absl::StatusOr<uint64_t> retry = h.client()->SendRequest(Req("POST", "/echo"), false);
  REQUIRE(retry.ok());
  REQUIRE(h.client()->SendRequestBody(*retry, body, true).ok());
  REQUIRE(h.RunUntil([&] { return client.completed == 3; }));
  CHECK(client.responses[*retry].head->status == 200);
  CHECK(client.responses[*retry].body == body);
  CHECK_FALSE(server.requests[*retry].early);
  REQUIRE(h.client()->peer_settings().has_value());
  CHECK(h.client()->peer_settings()->max_field_section_size == 20000u);
  CHECK_FALSE(h.client()->is_closed());
}

TEST_CASE("a handler that opts in serves an early POST", "[http3][0rtt]") {
  Http3Harness h;
  RecordingClient first_client;
  PatternServer first_server;
  std::vector<uint8_t> ticket = FirstVisit(h, first_client, first_server);
  h.resumption_ticket = ticket;
  RecordingClient client;
  PatternServer server;
  server.accept_early = true;
  REQUIRE(h.Connect(&client, &server).ok());
  std::vector<uint8_t> body = Pattern(700, 8);
  absl::StatusOr<uint64_t> post = h.client()->SendRequest(Req("POST", "/echo"), false);
  REQUIRE(post.ok());
  REQUIRE(h.client()->SendRequestBody(*post, body, true).ok());
  REQUIRE(h.RunUntil([&] { return client.completed == 1; }));
  CHECK(server.requests[*post].early);
  CHECK(client.responses[*post].head->status == 200);
  CHECK(client.responses[*post].body == body);
}

TEST_CASE("a ticket from before SETTINGS arrived still gets them attached", "[http3][0rtt]") {
  // Every ticket handed out carries settings, whatever the order of NEW_SESSION_TICKET and
  // SETTINGS on the wire.
  Http3Harness h;
  RecordingClient client;
  PatternServer server;
  std::vector<uint8_t> ticket = FirstVisit(h, client, server);
  absl::StatusOr<quic::ResumptionTicket> t = quic::DecodeResumptionTicket(ticket);
  REQUIRE(t.ok());
  absl::StatusOr<Settings> s = ParseSettingsFromTicket(t->application_data);
  REQUIRE(s.ok());
  CHECK(*s == *h.client()->peer_settings());
}

}  // namespace
}  // namespace kite::http3::test
