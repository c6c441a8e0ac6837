#include "quic/connection/connection_id_manager.h"

#include <algorithm>
#include <cstring>

#include "quic/codec/transport_error.h"

namespace kite::quic {

ConnectionIdManager::ConnectionIdManager(size_t local_cid_length, RandomBytes random,
                                         ConnectionIdGenerator generator)
    : local_len_(std::min(local_cid_length, kMaxConnectionIdLength)),
      random_(std::move(random)),
      generator_(std::move(generator)) {
  IssueLocalId();
}

const IssuedConnectionId& ConnectionIdManager::InitialLocalId() const {
  return local_.begin()->second;
}

const IssuedConnectionId& ConnectionIdManager::IssueLocalId() {
  IssuedConnectionId issued;
  issued.sequence_number = next_local_seq_++;
  bool generated = false;
  if (generator_.enabled() && local_len_ > 0) {
    ConnectionId id = generator_.new_id(local_len_);
    // The connection finds its IDs in short headers by length (RFC 9000 §17.3), so an ID of
    // another length would be unusable; a duplicate would be ambiguous.
    if (id.length() == local_len_ && !IsLocalId(id)) {
      issued.id = id;
      generated = true;
    }
  }
  if (!generated) {
    uint8_t buf[kMaxConnectionIdLength];
    // Never hand out a duplicate of an ID we still own (astronomically unlikely; cheap to
    // avoid).
    do {
      random_(buf, local_len_);
      issued.id = ConnectionId(buf, local_len_);
    } while (local_len_ > 0 && IsLocalId(issued.id));
  }
  if (generated && generator_.reset_token) {
    issued.reset_token = generator_.reset_token(issued.id);
  } else {
    random_(issued.reset_token.data(), issued.reset_token.size());
  }
  auto [it, inserted] = local_.emplace(issued.sequence_number, issued);
  (void)inserted;
  return it->second;
}

std::vector<IssuedConnectionId> ConnectionIdManager::TopUpLocalIds() {
  std::vector<IssuedConnectionId> fresh;
  // A zero-length local ID cannot be rotated (RFC 9000 §5.1.1): nothing to issue.
  if (local_len_ == 0) return fresh;
  uint64_t target = std::min(peer_limit_, kMaxIssuedConnectionIds);
  while (local_.size() < target) fresh.push_back(IssueLocalId());
  return fresh;
}

absl::Status ConnectionIdManager::OnRetireConnectionId(uint64_t sequence_number,
                                                       const ConnectionId& packet_dcid) {
  if (sequence_number >= next_local_seq_) {
    return TransportErrorStatus(TransportErrorCode::kProtocolViolation,
                                "RETIRE_CONNECTION_ID for a sequence number never issued", 0x19);
  }
  auto it = local_.find(sequence_number);
  if (it == local_.end()) return absl::OkStatus();  // already retired: a retransmission
  if (it->second.id == packet_dcid) {
    return TransportErrorStatus(TransportErrorCode::kProtocolViolation,
                                "RETIRE_CONNECTION_ID retires the ID the packet was sent to", 0x19);
  }
  const ConnectionId retired = it->second.id;
  local_.erase(it);
  if (generator_.retired) generator_.retired(retired);
  return absl::OkStatus();
}

bool ConnectionIdManager::IsLocalId(const ConnectionId& id) const {
  for (const auto& [seq, issued] : local_) {
    if (issued.id == id) return true;
  }
  return false;
}

std::optional<IssuedConnectionId> ConnectionIdManager::LocalIdBySequence(uint64_t seq) const {
  auto it = local_.find(seq);
  if (it == local_.end()) return std::nullopt;
  return it->second;
}

void ConnectionIdManager::SetInitialPeerId(const ConnectionId& id) {
  auto it = peer_.find(0);
  if (it == peer_.end()) {
    peer_.emplace(0, PeerId{id, std::nullopt});
  } else {
    it->second.id = id;
  }
  active_peer_seq_ = 0;
}

void ConnectionIdManager::SetPeerResetTokenForSequenceZero(const StatelessResetToken& token) {
  auto it = peer_.find(0);
  if (it != peer_.end()) it->second.reset_token = token;
}

absl::Status ConnectionIdManager::OnNewConnectionId(uint64_t sequence, uint64_t retire_prior_to,
                                                    const ConnectionId& id,
                                                    const StatelessResetToken& token) {
  constexpr uint64_t kFrameType = 0x18;
  if (ActivePeerId().empty()) {
    // RFC 9000 §19.15: an endpoint using a zero-length peer CID receiving this is a
    // PROTOCOL_VIOLATION.
    return TransportErrorStatus(TransportErrorCode::kProtocolViolation,
                                "NEW_CONNECTION_ID while the peer uses a zero-length ID",
                                kFrameType);
  }
  auto existing = peer_.find(sequence);
  if (existing != peer_.end()) {
    if (existing->second.id != id ||
        (existing->second.reset_token.has_value() && *existing->second.reset_token != token)) {
      return TransportErrorStatus(TransportErrorCode::kProtocolViolation,
                                  "NEW_CONNECTION_ID reuses a sequence number", kFrameType);
    }
    return absl::OkStatus();  // retransmission
  }
  for (const auto& [seq, peer] : peer_) {
    if (peer.id == id) {
      return TransportErrorStatus(TransportErrorCode::kProtocolViolation,
                                  "NEW_CONNECTION_ID repeats an ID under a new sequence number",
                                  kFrameType);
    }
  }
  if (sequence < peer_retire_prior_to_) {
    // RFC 9000 §19.15: already retired by an earlier retire_prior_to; retire it at once.
    if (pending_retire_.size() >= kMaxPendingRetirements) {
      return TransportErrorStatus(TransportErrorCode::kConnectionIdLimitError,
                                  "too many connection IDs to retire", kFrameType);
    }
    pending_retire_.push_back(sequence);
    return absl::OkStatus();
  }
  peer_.emplace(sequence, PeerId{id, token});
  if (retire_prior_to > peer_retire_prior_to_) {
    peer_retire_prior_to_ = retire_prior_to;
    for (auto it = peer_.begin(); it != peer_.end() && it->first < retire_prior_to;) {
      if (pending_retire_.size() >= kMaxPendingRetirements) {
        return TransportErrorStatus(TransportErrorCode::kConnectionIdLimitError,
                                    "too many connection IDs to retire", kFrameType);
      }
      pending_retire_.push_back(it->first);
      it = peer_.erase(it);
    }
    if (peer_.find(active_peer_seq_) == peer_.end()) active_peer_seq_ = peer_.begin()->first;
  }
  if (peer_.size() > kMaxActivePeerConnectionIds) {
    return TransportErrorStatus(TransportErrorCode::kConnectionIdLimitError,
                                "peer exceeded active_connection_id_limit", kFrameType);
  }
  return absl::OkStatus();
}

const ConnectionId& ConnectionIdManager::ActivePeerId() const {
  static const ConnectionId kEmpty;
  auto it = peer_.find(active_peer_seq_);
  return it == peer_.end() ? kEmpty : it->second.id;
}

std::vector<ConnectionId> ConnectionIdManager::PeerIds() const {
  std::vector<ConnectionId> ids;
  ids.reserve(peer_.size());
  for (const auto& [seq, peer] : peer_) ids.push_back(peer.id);
  return ids;
}

bool ConnectionIdManager::RotatePeerId() {
  auto next = peer_.upper_bound(active_peer_seq_);
  if (next == peer_.end()) return false;
  uint64_t old = active_peer_seq_;
  active_peer_seq_ = next->first;
  if (pending_retire_.size() < kMaxPendingRetirements) {
    pending_retire_.push_back(old);
    peer_.erase(old);
  }
  return true;
}

bool ConnectionIdManager::IsPeerStatelessResetToken(absl::Span<const uint8_t> token) const {
  if (token.size() != kStatelessResetTokenLength) return false;
  for (const auto& [seq, peer] : peer_) {
    if (peer.reset_token.has_value() &&
        std::memcmp(peer.reset_token->data(), token.data(), kStatelessResetTokenLength) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace kite::quic
