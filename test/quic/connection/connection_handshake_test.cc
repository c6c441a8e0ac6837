#include <catch2/catch.hpp>

#include "test/quic/connection/connection_harness.h"

namespace kite::quic::test {
namespace {

bool HasEvent(const std::vector<ConnectionEvent>& events, ConnectionEvent::Type type) {
  for (const ConnectionEvent& e : events) {
    if (e.type == type) return true;
  }
  return false;
}

TEST_CASE("client and server complete a handshake over the in-memory network", "[connection]") {
  HarnessOptions opts;
  opts.link.propagation_delay = absl::Milliseconds(10);
  ConnectionHarness h(opts);
  REQUIRE(h.Init().ok());
  REQUIRE(h.Connect().ok());
  REQUIRE(h.RunUntil([&] {
    return h.client()->handshake_confirmed() && h.server() != nullptr &&
           h.server()->handshake_confirmed();
  }));
  CHECK(h.client()->alpn() == "kite-test");
  CHECK(h.server()->alpn() == "kite-test");
  CHECK(HasEvent(h.client_events(), ConnectionEvent::Type::kHandshakeCompleted));
  CHECK(HasEvent(h.server_events(), ConnectionEvent::Type::kHandshakeConfirmed));
  CHECK_FALSE(h.client()->is_closing());
  CHECK_FALSE(h.server()->is_closing());
}

}  // namespace
}  // namespace kite::quic::test
