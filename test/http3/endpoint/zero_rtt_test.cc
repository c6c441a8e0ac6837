// 0-RTT through the real-socket endpoints: a second connection resumes with the first one's
// ticket, its GET is answered from early data, and its POST in 0-RTT gets 425 Too Early
// (RFC 8470 §3, RFC 9114 §10.9).
#include <catch2/catch.hpp>

#include "test/http3/endpoint/loopback_fixture.h"

namespace kite::http3::test {
namespace {

TEST_CASE("second connection resumes in 0-RTT; early POST is answered 425", "[endpoint]") {
  Loopback lb;
  FixtureOptions fo;
  fo.early_data = true;
  REQUIRE(lb.Start(fo).ok());

  std::vector<std::vector<uint8_t>> tickets;
  {
    auto first = lb.NewClient();
    REQUIRE(first.ok());
    ClientEndpoint& c = **first;
    FetchRequest r;
    r.authority = "localhost";
    r.path = "/bytes/1000";
    c.Fetch(r);
    c.Flush();
    REQUIRE(lb.RunUntil([&] {
      for (auto& t : c.TakeTickets()) tickets.push_back(std::move(t));
      return c.all_done() && !tickets.empty();
    }));
    CHECK_FALSE(c.connection().is_resumed());
    c.Close();
    REQUIRE(lb.RunUntil([&] { return c.closed(); }));
  }

  auto second = lb.NewClient(tickets.back());
  REQUIRE(second.ok());
  ClientEndpoint& c = **second;
  FetchRequest get;
  get.authority = "localhost";
  get.path = "/bytes/5000";
  FetchRequest post;
  post.method = "POST";
  post.authority = "localhost";
  post.path = "/echo";
  post.body = {'h', 'e', 'l', 'l', 'o'};
  c.Fetch(get);
  c.Fetch(post);
  c.Flush();
  REQUIRE(lb.RunUntil([&] { return c.all_done(); }));
  CHECK(c.connection().is_resumed());
  CHECK(c.connection().early_data_attempted());
  CHECK(c.connection().early_data_accepted());
  CHECK(c.result(0).sent_early);
  CHECK(c.result(0).status == 200);
  CHECK(c.result(0).sha256 == PatternSha256(5000));
  CHECK(c.result(1).sent_early);
  CHECK(c.result(1).status == 425);
  CHECK(lb.server().stats().early_data_accepted == 1);
}

}  // namespace
}  // namespace kite::http3::test
