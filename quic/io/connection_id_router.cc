#include "quic/io/connection_id_router.h"

#include <algorithm>
#include <utility>

#include "quic/codec/data_writer.h"
#include "quic/codec/packet_header.h"
#include "quic/codec/packet_type.h"
#include "quic/io/invariant_header.h"

namespace kite::quic::io {

absl::StatusOr<ConnectionIdRouter> ConnectionIdRouter::Create(const RouterConfig& config) {
  if (absl::Status s = config.cid_format.Validate(); !s.ok()) return s;
  if (config.worker_count == 0 || config.worker_count > config.cid_format.max_workers() ||
      config.worker_index >= config.worker_count) {
    return absl::InvalidArgumentError("worker index/count out of range for the ID format");
  }
  if (config.versions.empty() || config.versions.size() > kMaxVersionNegotiationVersions) {
    return absl::InvalidArgumentError("version list empty or too long");
  }
  for (uint32_t v : config.versions) {
    if (!IsSupportedVersion(v)) return absl::InvalidArgumentError("router configured with a QUIC version kite does not speak");
  }
  absl::StatusOr<StatelessResetter> resetter =
      StatelessResetter::Create(config.stateless_reset_key);
  if (!resetter.ok()) return resetter.status();
  return ConnectionIdRouter(config, *resetter);
}

ConnectionIdRouter::ConnectionIdRouter(const RouterConfig& config, StatelessResetter resetter)
    : config_(config), resetter_(resetter) {}

ConnectionId ConnectionIdRouter::NewConnectionId(const RandomBytes& random) const {
  // With at least 7 random bytes a collision is all but impossible; loop anyway, since routing
  // two connections' packets to one would be a silent failure.
  for (;;) {
    ConnectionId id = MakeWorkerConnectionId(config_.cid_format, config_.worker_index, random);
    if (!routes_.contains(id)) return id;
  }
}

absl::Status ConnectionIdRouter::Add(const ConnectionId& id, ConnectionHandle handle) {
  if (routes_.size() >= kMaxRoutedConnectionIds) {
    return absl::ResourceExhaustedError("too many routed connection IDs");
  }
  if (!routes_.emplace(id, handle).second) {
    return absl::AlreadyExistsError("connection ID already routed");
  }
  return absl::OkStatus();
}

bool ConnectionIdRouter::Remove(const ConnectionId& id) { return routes_.erase(id) > 0; }

std::optional<ConnectionHandle> ConnectionIdRouter::Lookup(const ConnectionId& id) const {
  auto it = routes_.find(id);
  if (it == routes_.end()) return std::nullopt;
  return it->second;
}

std::optional<ConnectionHandle> ConnectionIdRouter::LookupBytes(
    absl::Span<const uint8_t> id) const {
  if (!ConnectionId::IsValidLength(id.size())) return std::nullopt;
  return Lookup(ConnectionId(id));
}

RouteResult ConnectionIdRouter::Route(absl::Span<const uint8_t> datagram,
                                      absl::Span<uint8_t> reply,
                                      const RandomBytes& random) const {
  RouteResult r;
  auto drop = [&r](DropReason why) {
    r.action = RouteAction::kDrop;
    r.drop_reason = why;
    return r;
  };
  std::optional<InvariantHeader> h = ParseInvariantHeader(datagram, config_.cid_format.length);
  if (!h.has_value()) return drop(DropReason::kMalformed);

  if (std::optional<ConnectionHandle> handle = LookupBytes(h->dcid)) {
    r.action = RouteAction::kConnection;
    r.handle = *handle;
    return r;
  }

  // Not ours (here). If another worker owns it, hand it over before judging it.
  const uint32_t owner = SteerToWorker(config_.cid_format, h->dcid, config_.worker_count);
  if (owner != config_.worker_index) {
    r.action = RouteAction::kOtherWorker;
    r.worker = owner;
    return r;
  }

  if (!h->long_header) {
    // RFC 9000 §10.3: an unknown short-header packet may be answered with a Stateless Reset,
    // keyed by the ID it carries. ResetSize enforces the §10.3.3 size rules.
    if (!config_.send_stateless_resets || datagram.size() <= kMinStatelessResetSize) {
      return drop(DropReason::kUnknownShortHeader);
    }
    size_t size = resetter_.WriteReset(h->dcid, datagram.size(), reply, random);
    if (size == 0) return drop(DropReason::kReplyBufferTooSmall);
    r.action = RouteAction::kStatelessReset;
    r.reply_size = size;
    return r;
  }

  // RFC 9000 §6.1: a Version Negotiation packet is never answered.
  if (h->version == 0) return drop(DropReason::kVersionNegotiation);

  const bool supported = std::find(config_.versions.begin(), config_.versions.end(),
                                   h->version) != config_.versions.end();
  if (!supported) {
    // RFC 9000 §5.2.2, §14.1: only datagrams large enough to be a client's first flight get
    // Version Negotiation (§6.1), so it cannot amplify.
    if (datagram.size() < kMinInitialDatagramSize) return drop(DropReason::kSmallDatagram);
    DataWriter writer(reply);
    uint8_t unused = 0;
    random(&unused, 1);
    // RFC 9000 §17.2.1: the DCID echoes the client's SCID and the SCID its DCID.
    if (!WriteVersionNegotiation(writer, h->scid, h->dcid,
                                 absl::MakeConstSpan(config_.versions), unused)) {
      return drop(DropReason::kReplyBufferTooSmall);
    }
    r.action = RouteAction::kVersionNegotiation;
    r.reply_size = writer.length();
    return r;
  }

  std::optional<PacketType> type =
      LongPacketTypeFromBits(h->version, static_cast<uint8_t>((h->first_byte >> 4) & 0x03));
  if (!type.has_value() || *type != PacketType::kInitial) {
    // 0-RTT that overtook its Initial, or Handshake/Retry for nothing we know: RFC 9000 §5.2.2
    // lets a server drop these (it could buffer 0-RTT briefly; kite does not yet).
    return drop(DropReason::kUnroutableLongHeader);
  }
  // RFC 9000 §14.1: an Initial in a datagram under 1200 bytes is discarded.
  if (datagram.size() < kMinInitialDatagramSize) return drop(DropReason::kSmallDatagram);
  // RFC 9000 §7.2: the client's first DCID has at least 8 bytes; RFC 9000 §17.2 caps IDs at 20.
  if (h->dcid.size() < kMinClientInitialDcidLength ||
      !ConnectionId::IsValidLength(h->dcid.size()) ||
      !ConnectionId::IsValidLength(h->scid.size())) {
    return drop(DropReason::kUnroutableLongHeader);
  }
  r.action = RouteAction::kNewConnection;
  return r;
}

}  // namespace kite::quic::io
