// NEW_TOKEN through the real-socket endpoints (RFC 9000 §8.1.3): the server gives each client a
// token once the handshake is confirmed; a later connection that shows it in its Initial skips
// the Retry round trip, while a damaged token counts as none and gets the usual Retry.
#include <catch2/catch.hpp>

#include "test/http3/endpoint/loopback_fixture.h"

namespace kite::http3::test {
namespace {

FetchRequest Get(const std::string& path) {
  FetchRequest r;
  r.authority = "localhost";
  r.path = path;
  return r;
}

// Runs one client to completion of a fetch and returns the token it was given (if any).
std::vector<uint8_t> FetchAndTakeToken(Loopback& lb, ClientEndpoint& c, uint64_t bytes) {
  c.Fetch(Get("/bytes/" + std::to_string(bytes)));
  c.Flush();
  std::vector<std::vector<uint8_t>> tokens;
  REQUIRE(lb.RunUntil([&] {
    for (auto& t : c.TakeAddressTokens()) tokens.push_back(std::move(t));
    return c.all_done() && !tokens.empty();
  }));
  CHECK(c.result(0).status == 200);
  CHECK(c.result(0).sha256 == PatternSha256(bytes));
  return tokens.back();
}

TEST_CASE("with Retry on, a NEW_TOKEN token from the first connection skips Retry on the next",
          "[endpoint][new_token]") {
  Loopback lb;
  FixtureOptions fo;
  fo.retry = true;
  REQUIRE(lb.Start(fo).ok());

  auto first = lb.NewClient();
  REQUIRE(first.ok());
  std::vector<uint8_t> token = FetchAndTakeToken(lb, **first, 30000);
  CHECK(lb.server().stats().retries_sent == 1);
  CHECK(lb.server().stats().new_tokens_sent == 1);
  const uint64_t first_round_trips = (*first)->connection().stats().handshake_round_trips;
  (*first)->Close();

  // The second connection carries the token in its first Initial: no Retry.
  auto second = lb.NewClient({}, 0, token);
  REQUIRE(second.ok());
  std::vector<uint8_t> token2 = FetchAndTakeToken(lb, **second, 30000);
  CHECK(lb.server().stats().retries_sent == 1);
  CHECK(lb.server().stats().new_tokens_accepted == 1);
  CHECK(lb.server().stats().invalid_tokens == 0);
  CHECK(lb.server().stats().connections_accepted == 2);
  // The Retry cost the first client a flight the second did not send.
  CHECK((*second)->connection().stats().handshake_round_trips < first_round_trips);
  // Tokens are single-use in spirit (RFC 9000 §8.1.3: unlinkable): each connection gets its own.
  CHECK(token2 != token);

  // A damaged token is no token: the third client gets a Retry and still completes.
  std::vector<uint8_t> bad = token2;
  bad[bad.size() / 2] ^= 0x40;
  auto third = lb.NewClient({}, 0, bad);
  REQUIRE(third.ok());
  FetchAndTakeToken(lb, **third, 1000);
  CHECK(lb.server().stats().retries_sent == 2);
  CHECK(lb.server().stats().invalid_tokens == 1);
  CHECK(lb.server().stats().new_tokens_accepted == 1);
  CHECK(lb.server().stats().connections_accepted == 3);
}

TEST_CASE("an expired NEW_TOKEN token is no token: Retry as usual", "[endpoint][new_token]") {
  Loopback lb;
  FixtureOptions fo;
  fo.retry = true;
  // Expired by the time any client could show it.
  fo.new_token_lifetime = absl::Microseconds(1);
  REQUIRE(lb.Start(fo).ok());
  auto first = lb.NewClient();
  REQUIRE(first.ok());
  std::vector<uint8_t> token = FetchAndTakeToken(lb, **first, 1000);
  auto second = lb.NewClient({}, 0, token);
  REQUIRE(second.ok());
  FetchAndTakeToken(lb, **second, 1000);
  CHECK(lb.server().stats().retries_sent == 2);
  CHECK(lb.server().stats().invalid_tokens == 1);
  CHECK(lb.server().stats().new_tokens_accepted == 0);
  CHECK(lb.server().stats().connections_accepted == 2);
}

TEST_CASE("a server with new_tokens off sends none", "[endpoint][new_token]") {
  Loopback lb;
  FixtureOptions fo;
  fo.new_tokens = false;
  REQUIRE(lb.Start(fo).ok());
  auto c = lb.NewClient();
  REQUIRE(c.ok());
  (*c)->Fetch(Get("/bytes/1000"));
  (*c)->Flush();
  REQUIRE(lb.RunUntil([&] {
    return (*c)->all_done() && (*c)->connection().handshake_confirmed();
  }));
  // Give a token every chance to arrive (the loop bound is not an assertion on time).
  lb.RunUntil([] { return false; }, absl::Milliseconds(300));
  CHECK((*c)->TakeAddressTokens().empty());
  CHECK(lb.server().stats().new_tokens_sent == 0);
}

}  // namespace
}  // namespace kite::http3::test
