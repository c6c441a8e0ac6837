// The server's stateless answers through the real-socket endpoint: a Stateless Reset for a
// connection it forgot (RFC 9000 §10.3), which the client recognises by the token it was given,
// and Version Negotiation for an unknown version (RFC 9000 §6).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "quic/io/stateless_reset.h"
#include "quic/io/worker_connection_id.h"
#include "test/http3/endpoint/loopback_fixture.h"

namespace kite::http3::test {
namespace {

TEST_CASE("a forgotten connection is ended by a stateless reset", "[endpoint]") {
  Loopback lb;
  REQUIRE(lb.Start(FixtureOptions{}).ok());
  auto client = lb.NewClient();
  REQUIRE(client.ok());
  ClientEndpoint& c = **client;
  FetchRequest r;
  r.authority = "localhost";
  r.path = "/bytes/1000";
  c.Fetch(r);
  c.Flush();
  REQUIRE(lb.RunUntil([&] { return c.all_done() && c.connection().handshake_confirmed(); }));
  REQUIRE(c.result(0).status == 200);

  lb.server().ForgetConnections();
  REQUIRE(lb.server().connection_count() == 0);
  r.path = "/bytes/10";
  const size_t second = c.Fetch(r);
  c.Flush();
  REQUIRE(lb.RunUntil([&] { return c.closed(); }));
  REQUIRE(c.connection().close_info().has_value());
  CHECK(c.connection().close_info()->stateless_reset);
  CHECK(c.result(second).failed);
  CHECK(lb.server().stats().stateless_resets_sent >= 1);
}

TEST_CASE("every ID the server issued names its worker and has the static key's reset token",
          "[endpoint]") {
  // RFC 9000 §10.3.2: anyone holding the key can reset the connection without its state.
  std::vector<uint8_t> key(quic::io::kStatelessResetKeySize);
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(0x40 + i);
  FixtureOptions fo;
  fo.stateless_reset_key = key;
  Loopback lb;
  REQUIRE(lb.Start(fo).ok());
  auto client = lb.NewClient();
  REQUIRE(client.ok());
  ClientEndpoint& c = **client;
  FetchRequest r;
  r.authority = "localhost";
  r.path = "/bytes/1000";
  c.Fetch(r);
  c.Flush();
  // The server tops its IDs up to the client's limit once the handshake completes.
  REQUIRE(lb.RunUntil([&] {
    return c.all_done() &&
           c.connection().connection_ids().peer_id_count() == quic::kMaxActivePeerConnectionIds;
  }));
  absl::StatusOr<quic::io::StatelessResetter> resetter =
      quic::io::StatelessResetter::Create(key);
  REQUIRE(resetter.ok());
  absl::StatusOr<quic::io::StatelessResetter> other =
      quic::io::StatelessResetter::Create(std::vector<uint8_t>(key.size(), 1));
  REQUIRE(other.ok());
  const quic::io::ConnectionIdFormat format;
  for (const quic::ConnectionId& id : c.connection().connection_ids().PeerIds()) {
    CHECK(quic::io::WorkerIndexOf(format, id.span()) == std::optional<uint32_t>(0));
    quic::StatelessResetToken t = resetter->TokenFor(id.span());
    CHECK(c.connection().connection_ids().IsPeerStatelessResetToken(absl::MakeConstSpan(t)));
    quic::StatelessResetToken wrong = other->TokenFor(id.span());
    CHECK_FALSE(
        c.connection().connection_ids().IsPeerStatelessResetToken(absl::MakeConstSpan(wrong)));
  }
}

TEST_CASE("an Initial of an unknown version gets Version Negotiation", "[endpoint]") {
  Loopback lb;
  REQUIRE(lb.Start(FixtureOptions{}).ok());
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  REQUIRE(fd >= 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(lb.server().local_address().port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<uint8_t> probe(1200, 0);
  probe[0] = 0xc0;  // long header
  probe[1] = 0x1a, probe[2] = 0x2a, probe[3] = 0x3a, probe[4] = 0x4a;  // reserved version
  probe[5] = 8;                                                       // DCID length
  for (int i = 0; i < 8; ++i) probe[6 + i] = static_cast<uint8_t>(0x10 + i);
  probe[14] = 4;  // SCID length
  for (int i = 0; i < 4; ++i) probe[15 + i] = static_cast<uint8_t>(0x70 + i);
  REQUIRE(sendto(fd, probe.data(), probe.size(), 0, reinterpret_cast<sockaddr*>(&to),
                 sizeof(to)) == static_cast<ssize_t>(probe.size()));
  std::vector<uint8_t> reply(1500);
  ssize_t got = -1;
  REQUIRE(lb.RunUntil([&] {
    got = recv(fd, reply.data(), reply.size(), 0);
    return got > 0;
  }));
  close(fd);
  REQUIRE(got >= 7 + 4 + 8 + 4);
  CHECK((reply[0] & 0x80) != 0);
  CHECK(reply[1] == 0);
  CHECK(reply[2] == 0);
  CHECK(reply[3] == 0);
  CHECK(reply[4] == 0);  // version 0: Version Negotiation
  // The IDs come back swapped (RFC 9000 §17.2.1).
  CHECK(reply[5] == 4);
  CHECK(reply[6] == 0x70);
  bool lists_v1 = false;
  for (ssize_t i = 6 + 4 + 1 + 8; i + 4 <= got; i += 4) {
    if (reply[i] == 0 && reply[i + 1] == 0 && reply[i + 2] == 0 && reply[i + 3] == 1) {
      lists_v1 = true;
    }
  }
  CHECK(lists_v1);
  CHECK(lb.server().stats().version_negotiations_sent == 1);
  CHECK(lb.server().connection_count() == 0);
}

}  // namespace
}  // namespace kite::http3::test
