// Retry through the real-socket endpoints (RFC 9000 §8.1.2): the server answers the first
// Initial with a Retry carrying an encrypted address token, accepts the Initial that echoes it,
// and the connection works.
#include <catch2/catch.hpp>

#include "test/http3/endpoint/loopback_fixture.h"

namespace kite::http3::test {
namespace {

TEST_CASE("with Retry on, a client is validated by token and fetches", "[endpoint]") {
  Loopback lb;
  FixtureOptions fo;
  fo.retry = true;
  REQUIRE(lb.Start(fo).ok());
  auto client = lb.NewClient();
  REQUIRE(client.ok());
  ClientEndpoint& c = **client;
  FetchRequest r;
  r.authority = "localhost";
  r.path = "/bytes/200000";
  c.Fetch(r);
  c.Flush();
  REQUIRE(lb.RunUntil([&] { return c.all_done(); }));
  CHECK(c.result(0).status == 200);
  CHECK(c.result(0).sha256 == PatternSha256(200000));
  CHECK(lb.server().stats().retries_sent == 1);
  CHECK(lb.server().stats().connections_accepted == 1);
  CHECK(lb.server().stats().invalid_tokens == 0);
}

}  // namespace
}  // namespace kite::http3::test
