// Client migration through the real-socket endpoints (RFC 9000 §9): mid-transfer the client
// moves to a new socket (new ephemeral port) and the transfer completes intact.
#include <catch2/catch.hpp>

#include "test/http3/endpoint/loopback_fixture.h"

namespace kite::http3::test {
namespace {

TEST_CASE("the client moves to a new local port mid-transfer and the body arrives intact",
          "[endpoint]") {
  Loopback lb;
  REQUIRE(lb.Start(FixtureOptions{}).ok());
  auto client = lb.NewClient({}, /*migrate_after_bytes=*/300000);
  REQUIRE(client.ok());
  ClientEndpoint& c = **client;
  const uint16_t first_port = c.local_address().port;
  FetchRequest r;
  r.authority = "localhost";
  r.path = "/bytes/3000000";
  c.Fetch(r);
  c.Flush();
  REQUIRE(lb.RunUntil([&] { return c.all_done(); }));
  INFO(c.migration_status().ToString());
  CHECK(c.migrated());
  CHECK(c.migration_status().ok());
  CHECK(c.local_address().port != first_port);
  CHECK(c.connection().stats().migrations >= 1);
  CHECK(c.connection().path_validated());
  CHECK(c.result(0).status == 200);
  CHECK(c.result(0).body_bytes == 3000000);
  CHECK(c.result(0).sha256 == PatternSha256(3000000));
  c.Close();
  REQUIRE(lb.RunUntil([&] { return lb.server().connection_count() == 0; }));
  REQUIRE(lb.server_log().size() == 1);
  CHECK(lb.server_log()[0].find("migrations=") != std::string::npos);
}

}  // namespace
}  // namespace kite::http3::test
