// Many requests over one HTTP/3 connection: bodies of varied sizes both ways, some with
// trailers, a bounded number in flight, every byte checked.
#include <catch2/catch.hpp>

#include <deque>
#include <random>
#include <string>

#include "test/http3/http3_harness.h"

namespace kite::http3::test {
namespace {

struct Plan {
  size_t request_bytes;
  size_t response_bytes;
  bool trailers;
};

// Runs `count` requests with at most `in_flight` open at a time; sizes drawn so that the total
// of both directions stays near `budget_bytes`.
void RunMany(size_t count, size_t in_flight, size_t budget_bytes, uint64_t seed,
             HarnessOptions opts = Http3HarnessOptions()) {
  opts.seed = seed;
  Http3Harness h(opts);
  RecordingClient client;
  PatternServer server;
  server.chunk = 16 * 1024;
  REQUIRE(h.Connect(&client, &server).ok());
  REQUIRE(h.RunUntil([&] { return h.client_connection()->handshake_complete(); }));

  std::mt19937_64 rng(seed);
  // Mean per direction is budget / count / 2; a few large ones, many small, some empty.
  size_t mean = budget_bytes / count / 2;
  auto draw = [&]() -> size_t {
    uint64_t r = rng() % 100;
    if (r < 10) return 0;
    if (r < 85) return rng() % (mean + 1);
    return rng() % (mean * 6 + 1);
  };
  std::vector<Plan> plans(count);
  size_t total = 0;
  for (Plan& p : plans) {
    p.request_bytes = draw();
    p.response_bytes = draw();
    p.trailers = rng() % 5 == 0;
    total += p.request_bytes + p.response_bytes;
  }
  INFO("total body bytes " << total);

  std::map<uint64_t, size_t> plan_of;           // stream -> plan index
  std::map<uint64_t, size_t> upload_offset;     // stream -> bytes of body sent
  size_t next = 0;
  size_t done = 0;
  auto feed = [&](uint64_t id) {
    auto it = upload_offset.find(id);
    if (it == upload_offset.end()) return;
    const Plan& p = plans[plan_of[id]];
    std::vector<uint8_t> body = Pattern(p.request_bytes, plan_of[id] + 1000);
    size_t& off = it->second;
    while (off < body.size() && h.client()->QueuedBytes(id) < 32 * 1024) {
      size_t n = std::min<size_t>(16 * 1024, body.size() - off);
      bool last = off + n == body.size();
      REQUIRE(h.client()
                  ->SendRequestBody(id, absl::MakeConstSpan(body.data() + off, n),
                                    last && !p.trailers)
                  .ok());
      off += n;
    }
    if (off == body.size()) {
      if (p.trailers) {
        REQUIRE(h.client()
                    ->SendRequestTrailers(id, {{"x-plan", std::to_string(plan_of[id])}})
                    .ok());
      } else if (body.empty()) {
        REQUIRE(h.client()->SendRequestBody(id, {}, true).ok());
      }
      upload_offset.erase(it);
    }
  };
  auto start_more = [&] {
    while (next < count && (next - done) < in_flight) {
      const Plan& p = plans[next];
      HeaderList headers = {{":method", "POST"},
                            {":scheme", "https"},
                            {":authority", "localhost"},
                            {":path", "/bytes/" + std::to_string(p.response_bytes) + "/" +
                                          std::to_string(next)},
                            {"content-length", std::to_string(p.request_bytes)},
                            {"x-index", std::to_string(next)}};
      absl::StatusOr<uint64_t> id = h.client()->SendRequest(headers, false);
      if (!id.ok()) return;  // no stream credit right now; retried next step
      plan_of[*id] = next;
      upload_offset[*id] = 0;
      ++next;
      feed(*id);
    }
  };
  client.on_writable = feed;
  client.on_complete = [&](uint64_t) { ++done; };
  h.on_step = start_more;
  REQUIRE(h.RunUntil([&] { return client.completed == count; }, absl::Seconds(300)));

  CHECK(client.failed == 0);
  size_t checked = 0;
  for (const auto& [id, index] : plan_of) {
    const Plan& p = plans[index];
    const RecordingClient::Response& r = client.responses[id];
    REQUIRE(r.complete);
    REQUIRE(r.head.has_value());
    CHECK(r.head->status == 200);
    CHECK(FindField(r.head->fields, "x-request-bytes") == std::to_string(p.request_bytes));
    bool body_ok = r.body == Pattern(p.response_bytes, index);
    CHECK(body_ok);
    const PatternServer::Request& q = server.requests[id];
    bool upload_ok = q.body == Pattern(p.request_bytes, index + 1000);
    CHECK(upload_ok);
    CHECK(FindField(q.head.fields, "x-index") == std::to_string(index));
    if (p.trailers) {
      CHECK(q.trailers == HeaderList{{"x-plan", std::to_string(index)}});
      CHECK(r.trailers == HeaderList{{"x-plan", std::to_string(index)}});
    } else {
      CHECK(r.trailers.empty());
    }
    ++checked;
  }
  CHECK(checked == count);
  CHECK_FALSE(h.client()->is_closed());
  CHECK_FALSE(h.server()->is_closed());
  REQUIRE(h.RunUntil([&] {
    return h.client()->active_request_streams() == 0 && h.server()->active_request_streams() == 0;
  }));
  CHECK(h.stalled_steps() == 0);
}

TEST_CASE("1000 requests with bodies and trailers over one connection", "[http3][load]") {
  RunMany(/*count=*/1000, /*in_flight=*/64, /*budget_bytes=*/400'000, /*seed=*/11);
}

TEST_CASE("200 requests over a lossy, reordering link", "[http3][load]") {
  HarnessOptions opts = Http3HarnessOptions();
  opts.link.propagation_delay = absl::Milliseconds(15);
  opts.link.bandwidth_bps = 50'000'000;
  opts.link.loss_probability = 0.02;
  opts.link.reorder_probability = 0.03;
  RunMany(/*count=*/200, /*in_flight=*/32, /*budget_bytes=*/200'000, /*seed=*/5, opts);
}

TEST_CASE("heavy: 5000 requests, 10 MB of bodies", "[http3][load][.heavy]") {
  RunMany(/*count=*/5000, /*in_flight=*/100, /*budget_bytes=*/10'000'000, /*seed=*/3);
}

}  // namespace
}  // namespace kite::http3::test
