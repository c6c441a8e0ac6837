#include "quic/connection/connection_id_manager.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <memory>
#include <vector>

#include "quic/codec/transport_error.h"

namespace kite::quic {
namespace {

RandomBytes Counter() {
  auto state = std::make_shared<uint8_t>(1);
  return [state](uint8_t* out, size_t len) {
    for (size_t i = 0; i < len; ++i) out[i] = (*state)++;
  };
}

ConnectionId Cid(uint8_t b) {
  uint8_t bytes[8];
  std::memset(bytes, b, sizeof(bytes));
  return ConnectionId(bytes, sizeof(bytes));
}

StatelessResetToken Token(uint8_t b) {
  StatelessResetToken t;
  t.fill(b);
  return t;
}

TEST_CASE("issued IDs top up to the peer's limit and are retired", "[cid]") {
  ConnectionIdManager m(8, Counter());
  const IssuedConnectionId& first = m.InitialLocalId();
  CHECK(first.sequence_number == 0);
  CHECK(first.id.length() == 8);
  m.SetPeerActiveConnectionIdLimit(4);
  std::vector<IssuedConnectionId> fresh = m.TopUpLocalIds();
  CHECK(fresh.size() == 3);
  CHECK(m.local_ids().size() == 4);
  CHECK(m.TopUpLocalIds().empty());
  // Unique IDs and tokens.
  for (const auto& a : m.local_ids()) {
    for (const auto& b : m.local_ids()) {
      if (a.first != b.first) {
        CHECK(a.second.id != b.second.id);
        CHECK(a.second.reset_token != b.second.reset_token);
      }
    }
  }
  // RFC 9000 §19.16: retiring the ID the packet was sent to, or one never issued, is a
  // PROTOCOL_VIOLATION.
  CHECK(GetTransportErrorCode(m.OnRetireConnectionId(1, m.LocalIdBySequence(1)->id)) ==
        TransportErrorCode::kProtocolViolation);
  CHECK(GetTransportErrorCode(m.OnRetireConnectionId(99, first.id)) ==
        TransportErrorCode::kProtocolViolation);
  REQUIRE(m.OnRetireConnectionId(1, first.id).ok());
  CHECK(m.OnRetireConnectionId(1, first.id).ok());  // a retransmitted retirement
  CHECK_FALSE(m.LocalIdBySequence(1).has_value());
  // A replacement is issued.
  CHECK(m.TopUpLocalIds().size() == 1);
  CHECK(m.local_ids().size() == 4);
}

TEST_CASE("peer IDs: limits, duplicates, retire_prior_to and rotation", "[cid]") {
  ConnectionIdManager m(8, Counter());
  m.SetInitialPeerId(Cid(0xa0));
  m.SetPeerResetTokenForSequenceZero(Token(0xb0));
  for (uint8_t s = 1; s < kMaxActivePeerConnectionIds; ++s) {
    REQUIRE(m.OnNewConnectionId(s, 0, Cid(0xa0 + s), Token(0xb0 + s)).ok());
  }
  CHECK(m.peer_id_count() == kMaxActivePeerConnectionIds);
  // A retransmission is fine; a changed one under the same sequence is not.
  CHECK(m.OnNewConnectionId(1, 0, Cid(0xa1), Token(0xb1)).ok());
  CHECK(GetTransportErrorCode(m.OnNewConnectionId(1, 0, Cid(0xee), Token(0xb1))) ==
        TransportErrorCode::kProtocolViolation);
  // The same ID under a new sequence number.
  CHECK(GetTransportErrorCode(m.OnNewConnectionId(50, 0, Cid(0xa2), Token(0xcc))) ==
        TransportErrorCode::kProtocolViolation);
  // One more than our active_connection_id_limit.
  CHECK(GetTransportErrorCode(m.OnNewConnectionId(kMaxActivePeerConnectionIds, 0, Cid(0x11),
                                                  Token(0x11))) ==
        TransportErrorCode::kConnectionIdLimitError);

  ConnectionIdManager r(8, Counter());
  r.SetInitialPeerId(Cid(0xa0));
  REQUIRE(r.OnNewConnectionId(1, 0, Cid(0xa1), Token(0xb1)).ok());
  REQUIRE(r.OnNewConnectionId(2, 0, Cid(0xa2), Token(0xb2)).ok());
  // RFC 9000 §5.1.2: retire_prior_to = 2 retires 0 and 1; the active ID moves on.
  REQUIRE(r.OnNewConnectionId(3, 2, Cid(0xa3), Token(0xb3)).ok());
  CHECK(r.ActivePeerId() == Cid(0xa2));
  CHECK(r.pending_retirements_view() == std::vector<uint64_t>{0, 1});
  // A late NEW_CONNECTION_ID below retire_prior_to is retired at once.
  REQUIRE(r.OnNewConnectionId(1, 0, Cid(0xa1), Token(0xb1)).ok());
  // Stateless reset tokens of held IDs are recognised, retired ones are not.
  CHECK(r.IsPeerStatelessResetToken(absl::MakeConstSpan(Token(0xb3))));
  CHECK_FALSE(r.IsPeerStatelessResetToken(absl::MakeConstSpan(Token(0xb1))));
  // Rotation (migration) takes the next ID and retires the old one.
  REQUIRE(r.RotatePeerId());
  CHECK(r.ActivePeerId() == Cid(0xa3));
  CHECK_FALSE(r.RotatePeerId());
}

TEST_CASE("NEW_CONNECTION_ID while the peer uses a zero-length ID is a violation", "[cid]") {
  ConnectionIdManager m(0, Counter());
  m.SetInitialPeerId(ConnectionId());
  CHECK(GetTransportErrorCode(m.OnNewConnectionId(1, 0, Cid(1), Token(1))) ==
        TransportErrorCode::kProtocolViolation);
}


// A generator that numbers its IDs (0x5a, n, 0, ...) and derives the token from the ID, as a
// server deriving tokens from a static key would; it records what it was asked.
struct NumberingGenerator {
  std::vector<ConnectionId> made;
  std::vector<ConnectionId> retired;
  size_t asked_length = 0;
  size_t wrong_length_after = 1000;  // from this many IDs on, return IDs one byte short

  static StatelessResetToken TokenOf(const ConnectionId& id) {
    StatelessResetToken t{};
    for (size_t i = 0; i < t.size(); ++i) t[i] = static_cast<uint8_t>(id.span()[i % id.length()] ^ 0xc3 ^ i);
    return t;
  }
  ConnectionIdGenerator Make() {
    ConnectionIdGenerator g;
    g.new_id = [this](size_t length) {
      asked_length = length;
      uint8_t bytes[kMaxConnectionIdLength] = {};
      bytes[0] = 0x5a;
      bytes[1] = static_cast<uint8_t>(made.size());
      size_t len = made.size() >= wrong_length_after ? length - 1 : length;
      ConnectionId id(bytes, len);
      made.push_back(id);
      return id;
    };
    g.reset_token = [](const ConnectionId& id) { return TokenOf(id); };
    g.retired = [this](const ConnectionId& id) { retired.push_back(id); };
    return g;
  }
};

TEST_CASE("a generator chooses the issued IDs and their reset tokens", "[cid]") {
  NumberingGenerator gen;
  ConnectionIdManager m(8, Counter(), gen.Make());
  CHECK(gen.asked_length == 8);
  REQUIRE(gen.made.size() == 1);
  CHECK(m.InitialLocalId().id == gen.made[0]);
  CHECK(m.InitialLocalId().reset_token == NumberingGenerator::TokenOf(gen.made[0]));
  m.SetPeerActiveConnectionIdLimit(4);
  std::vector<IssuedConnectionId> fresh = m.TopUpLocalIds();
  REQUIRE(fresh.size() == 3);
  REQUIRE(gen.made.size() == 4);
  for (size_t i = 0; i < fresh.size(); ++i) {
    CHECK(fresh[i].sequence_number == i + 1);
    CHECK(fresh[i].id == gen.made[i + 1]);
    CHECK(fresh[i].reset_token == NumberingGenerator::TokenOf(gen.made[i + 1]));
  }
  // Retirement is reported with the retired ID, once.
  REQUIRE(m.OnRetireConnectionId(2, m.InitialLocalId().id).ok());
  REQUIRE(m.OnRetireConnectionId(2, m.InitialLocalId().id).ok());
  REQUIRE(gen.retired.size() == 1);
  CHECK(gen.retired[0] == gen.made[2]);
}

TEST_CASE("a generated ID of the wrong length or a duplicate falls back to random", "[cid]") {
  NumberingGenerator gen;
  gen.wrong_length_after = 2;
  ConnectionIdManager m(8, Counter(), gen.Make());
  m.SetPeerActiveConnectionIdLimit(3);
  std::vector<IssuedConnectionId> fresh = m.TopUpLocalIds();
  REQUIRE(fresh.size() == 2);
  CHECK(fresh[0].id == gen.made[1]);
  CHECK(fresh[1].id.length() == 8);  // random, not the 7-byte ID
  CHECK(fresh[1].id.span()[0] != 0x5a);
  CHECK(fresh[1].reset_token != NumberingGenerator::TokenOf(fresh[1].id));

  // A generator that always returns the same ID: only the first is used.
  ConnectionIdGenerator same;
  same.new_id = [](size_t length) {
    uint8_t bytes[kMaxConnectionIdLength] = {7};
    return ConnectionId(bytes, length);
  };
  ConnectionIdManager d(8, Counter(), same);
  d.SetPeerActiveConnectionIdLimit(2);
  std::vector<IssuedConnectionId> more = d.TopUpLocalIds();
  REQUIRE(more.size() == 1);
  CHECK(d.InitialLocalId().id.span()[0] == 7);
  CHECK(more[0].id != d.InitialLocalId().id);
}

TEST_CASE("a zero-length local ID never asks the generator", "[cid]") {
  NumberingGenerator gen;
  ConnectionIdManager m(0, Counter(), gen.Make());
  CHECK(gen.made.empty());
  CHECK(m.InitialLocalId().id.empty());
}

}  // namespace
}  // namespace kite::quic
