// Loopback fetches through the real-socket endpoints: several /bytes/N of different sizes on one
// connection at once, over IPv4 and IPv6, each body checked by length and SHA-256.
#include <catch2/catch.hpp>

#include "test/http3/endpoint/loopback_fixture.h"

namespace kite::http3::test {
namespace {

void FetchConcurrently(bool ipv6) {
  Loopback lb;
  FixtureOptions fo;
  fo.ipv6 = ipv6;
  REQUIRE(lb.Start(fo).ok());
  auto client = lb.NewClient();
  REQUIRE(client.ok());
  ClientEndpoint& c = **client;
  const std::vector<uint64_t> sizes = {0, 1, 1199, 70000, 1500000};
  for (uint64_t n : sizes) {
    FetchRequest r;
    r.authority = "localhost";
    r.path = "/bytes/" + std::to_string(n);
    c.Fetch(r);
  }
  FetchRequest missing;
  missing.authority = "localhost";
  missing.path = "/no/such/file";
  const size_t missing_index = c.Fetch(missing);
  uint64_t streamed = 0;
  c.set_body_callback([&](size_t index, absl::Span<const uint8_t> d) {
    if (index < sizes.size()) streamed += d.size();
  });
  c.Flush();
  REQUIRE(lb.RunUntil([&] { return c.all_done(); }));

  uint64_t total = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    const FetchResult& r = c.result(i);
    INFO("request " << i << " error " << r.error);
    CHECK_FALSE(r.failed);
    CHECK(r.status == 200);
    REQUIRE(r.content_length.has_value());
    CHECK(*r.content_length == sizes[i]);
    CHECK(r.body_bytes == sizes[i]);
    CHECK(r.sha256 == PatternSha256(sizes[i]));
    total += sizes[i];
  }
  CHECK(streamed == total);
  CHECK(c.result(missing_index).status == 404);
  CHECK(c.connection().handshake_complete());
  CHECK(c.connection().alpn() == "h3");
  CHECK_FALSE(c.connection().early_data_accepted());

  c.Close();
  REQUIRE(lb.RunUntil([&] { return c.closed() && lb.server().connection_count() == 0; }));
  CHECK(lb.server().stats().connections_accepted == 1);
  REQUIRE(lb.server_log().size() == 1);
  CHECK(lb.server_log()[0].find("alpn=h3") != std::string::npos);
  CHECK(lb.server_log()[0].find("0rtt=no") != std::string::npos);
}

TEST_CASE("concurrent /bytes/N fetches over IPv4 loopback", "[endpoint]") {
  FetchConcurrently(false);
}

TEST_CASE("concurrent /bytes/N fetches over IPv6 loopback", "[endpoint]") {
  FetchConcurrently(true);
}

}  // namespace
}  // namespace kite::http3::test
