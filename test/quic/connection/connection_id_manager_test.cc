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

}  // namespace
}  // namespace kite::quic
