// Connection IDs of one connection (RFC 9000 §5.1): the IDs we issued to the peer (they put
// them in the Destination Connection ID of packets they send us) and the IDs the peer issued
// to us (we send to them), with their sequence numbers and stateless reset tokens.
#ifndef KITE_QUIC_CONNECTION_CONNECTION_ID_MANAGER_H_
#define KITE_QUIC_CONNECTION_CONNECTION_ID_MANAGER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "quic/codec/connection_id.h"

namespace kite::quic {

// Fills `out` with random bytes (injected so runs replay exactly).
using RandomBytes = std::function<void(uint8_t* out, size_t len)>;

// Upper bound on the peer's connection IDs we keep active; we advertise this as our
// active_connection_id_limit. RFC 9000 §5.1.1: exceeding it is CONNECTION_ID_LIMIT_ERROR.
inline constexpr uint64_t kMaxActivePeerConnectionIds = 8;
// Upper bound on the IDs we issue, whatever the peer's limit (RFC 9000 §5.1.1 lets us issue
// fewer than the peer allows).
inline constexpr uint64_t kMaxIssuedConnectionIds = 8;
// Bound on queued RETIRE_CONNECTION_ID frames; a peer forcing more than this many retirements
// without acknowledging is treated as abusive (RFC 9000 §5.1.2 suggests a limit).
inline constexpr size_t kMaxPendingRetirements = 64;

// Where a connection's own IDs and their stateless reset tokens come from when they must mean
// something outside the connection. RFC 9000 §5.1 leaves the choice of IDs to the endpoint (a
// server may encode routing information in them) and §10.3.2 lets the reset token be derived
// from the ID with a static key, so that an endpoint that lost the connection's state can still
// reset it. A server that steers datagrams by ID sets this; unset, IDs and tokens are random.
struct ConnectionIdGenerator {
  // A fresh ID of exactly `length` bytes. An ID of any other length, or one the connection
  // already holds, is not used: the manager then falls back to random bytes.
  std::function<ConnectionId(size_t length)> new_id;
  // The token for an ID that new_id returned; null: a random token.
  std::function<StatelessResetToken(const ConnectionId& id)> reset_token;
  // Told when the peer retired one of our IDs (RFC 9000 §19.16), so that whatever routes it
  // can forget it; may be null.
  std::function<void(const ConnectionId& id)> retired;

  bool enabled() const { return static_cast<bool>(new_id); }
};

struct IssuedConnectionId {
  uint64_t sequence_number = 0;
  ConnectionId id;
  StatelessResetToken reset_token{};
};

class ConnectionIdManager {
 public:
  // `generator` (optional) chooses the IDs we issue and their reset tokens.
  ConnectionIdManager(size_t local_cid_length, RandomBytes random,
                      ConnectionIdGenerator generator = {});

  // --- IDs we issue ---
  // The ID with sequence 0: our handshake Source Connection ID.
  const IssuedConnectionId& InitialLocalId() const;
  // Creates a fresh local ID (sequence 0 first): from the generator when one is set, else
  // random bytes and token.
  const IssuedConnectionId& IssueLocalId();
  // The peer's active_connection_id_limit arrived: how many more IDs to issue now.
  void SetPeerActiveConnectionIdLimit(uint64_t limit) { peer_limit_ = limit; }
  // Issues IDs until the peer holds min(peer limit, kMaxIssuedConnectionIds); returns the new
  // ones for NEW_CONNECTION_ID frames.
  std::vector<IssuedConnectionId> TopUpLocalIds();
  // RFC 9000 §19.16: a sequence number never issued is a PROTOCOL_VIOLATION, as is retiring
  // the ID the packet carrying the frame was sent to.
  absl::Status OnRetireConnectionId(uint64_t sequence_number, const ConnectionId& packet_dcid);
  bool IsLocalId(const ConnectionId& id) const;
  const std::map<uint64_t, IssuedConnectionId>& local_ids() const { return local_; }
  std::optional<IssuedConnectionId> LocalIdBySequence(uint64_t seq) const;

  // --- IDs the peer issued ---
  // Sequence 0: the Source Connection ID of the peer's first Initial / Retry.
  void SetInitialPeerId(const ConnectionId& id);
  void SetPeerResetTokenForSequenceZero(const StatelessResetToken& token);
  // RFC 9000 §19.15. Errors: CONNECTION_ID_LIMIT_ERROR, PROTOCOL_VIOLATION (same sequence with a
  // different ID or token, or a zero-length peer CID in use).
  absl::Status OnNewConnectionId(uint64_t sequence, uint64_t retire_prior_to,
                                 const ConnectionId& id, const StatelessResetToken& token);
  const ConnectionId& ActivePeerId() const;
  uint64_t active_peer_sequence() const { return active_peer_seq_; }
  // IDs the peer issued that we still hold (retired ones excluded).
  size_t peer_id_count() const { return peer_.size(); }
  // The IDs the peer issued that we still hold, by sequence number.
  std::vector<ConnectionId> PeerIds() const;
  // Switches to an unused peer ID (migration); false if none is available.
  bool RotatePeerId();
  // Sequence numbers whose RETIRE_CONNECTION_ID must be (re)sent.
  std::vector<uint64_t>& pending_retirements() { return pending_retire_; }
  const std::vector<uint64_t>& pending_retirements_view() const { return pending_retire_; }
  // RFC 9000 §10.3.1: does `token` match a stateless reset token of the peer?
  bool IsPeerStatelessResetToken(absl::Span<const uint8_t> token) const;

 private:
  size_t local_len_;
  RandomBytes random_;
  ConnectionIdGenerator generator_;
  uint64_t peer_limit_ = 2;  // RFC 9000 §18.2 default
  uint64_t next_local_seq_ = 0;
  std::map<uint64_t, IssuedConnectionId> local_;

  struct PeerId {
    ConnectionId id;
    std::optional<StatelessResetToken> reset_token;
  };
  std::map<uint64_t, PeerId> peer_;
  uint64_t peer_retire_prior_to_ = 0;
  uint64_t active_peer_seq_ = 0;
  std::vector<uint64_t> pending_retire_;
};

}  // namespace kite::quic

#endif  // KITE_QUIC_CONNECTION_CONNECTION_ID_MANAGER_H_
