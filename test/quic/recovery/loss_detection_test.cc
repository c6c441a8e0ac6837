#include "quic/recovery/loss_detection.h"

#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "congestion/newreno/newreno.h"
#include "quic/codec/transport_error.h"

namespace kite::quic {
namespace {

using absl::Milliseconds;
using tls::PacketNumberSpace;

constexpr size_t kMss = 1200;
const absl::Time kT0 = absl::FromUnixSeconds(1000);
constexpr PacketNumberSpace kApp = PacketNumberSpace::kApplication;
constexpr PacketNumberSpace kInitial = PacketNumberSpace::kInitial;
constexpr PacketNumberSpace kHandshake = PacketNumberSpace::kHandshake;

SentPacket Packet(uint64_t pn, absl::Time t, bool ack_eliciting = true, bool in_flight = true,
                  EcnCodepoint ecn = EcnCodepoint::kNotEct) {
  SentPacket p;
  p.packet_number = pn;
  p.time_sent = t;
  p.bytes = kMss;
  p.ack_eliciting = ack_eliciting;
  p.in_flight = in_flight;
  p.ecn = ecn;
  return p;
}

AckRanges Ack(std::initializer_list<std::pair<uint64_t, uint64_t>> ranges) {
  AckRanges a;
  for (auto [s, l] : ranges) a.ranges.push_back(PacketRange{s, l});
  return a;
}

RecoveryConfig ClientConfig() {
  RecoveryConfig c;
  c.max_datagram_size = kMss;
  return c;
}

// A client past the handshake: PTOs in the Application Data space include max_ack_delay.
LossDetection ConfirmedClient(absl::Duration peer_max_ack_delay = Milliseconds(25)) {
  LossDetection ld(nullptr, ClientConfig());
  ld.SetHandshakeConfirmed(true, kT0);
  ld.SetPeerMaxAckDelay(peer_max_ack_delay);
  return ld;
}

std::vector<uint64_t> Pns(absl::Span<const SentPacket> packets) {
  std::vector<uint64_t> pns;
  for (const SentPacket& p : packets) pns.push_back(p.packet_number);
  return pns;
}

absl::StatusOr<AckOutcome> OnAck(LossDetection& ld, PacketNumberSpace space, const AckRanges& a,
                                 absl::Time now, absl::Duration ack_delay = absl::ZeroDuration()) {
  return ld.OnAckReceived(space, a, ack_delay, now, /*handshake_confirmed=*/true,
                          Milliseconds(25));
}

class RecordingObserver : public RecoveryObserver {
 public:
  void OnMetricsUpdated(const RecoveryMetrics& m) override { metrics.push_back(m); }
  void OnPacketLost(PacketNumberSpace, uint64_t pn, size_t, LossTrigger trigger) override {
    lost.push_back(pn);
    triggers.push_back(trigger);
  }
  void OnCongestionStateChanged(std::string_view s) override { states.emplace_back(s); }

  std::vector<RecoveryMetrics> metrics;
  std::vector<uint64_t> lost;
  std::vector<LossTrigger> triggers;
  std::vector<std::string> states;
};

TEST_CASE("loss detection: packet threshold declares 1 and 2 lost when 5 is acked",
          "[recovery][loss]") {
  LossDetection ld = ConfirmedClient();
  RecordingObserver obs;
  ld.SetObserver(&obs);
  for (uint64_t pn = 1; pn <= 5; ++pn) ld.OnPacketSent(kApp, Packet(pn, kT0 + Milliseconds(pn)));
  CHECK(ld.bytes_in_flight() == 5 * kMss);
  auto out = OnAck(ld, kApp, Ack({{5, 5}}), kT0 + Milliseconds(55));
  REQUIRE(out.ok());
  CHECK(Pns(out->acked) == std::vector<uint64_t>{5});
  // kPacketThreshold = 3: 5 >= 1 + 3 and 5 >= 2 + 3; 3 and 4 are within the threshold.
  CHECK(Pns(out->lost) == std::vector<uint64_t>{1, 2});
  CHECK(out->rtt_updated);
  CHECK(ld.rtt().latest_rtt() == Milliseconds(50));
  CHECK(ld.bytes_in_flight() == 2 * kMss);
  CHECK(obs.lost == std::vector<uint64_t>{1, 2});
  CHECK(obs.triggers[0] == LossTrigger::kPacketThreshold);
  // NewReno entered recovery.
  CHECK(ld.CongestionWindow() == 6000);
  CHECK(obs.states == std::vector<std::string>{"recovery"});
  REQUIRE_FALSE(obs.metrics.empty());
  CHECK(obs.metrics.back().congestion_window == 6000);
  CHECK(obs.metrics.back().bytes_in_flight == 2 * kMss);
}

TEST_CASE("loss detection: time threshold arms the loss timer", "[recovery][loss]") {
  LossDetection ld = ConfirmedClient();
  RecordingObserver obs;
  ld.SetObserver(&obs);
  for (uint64_t pn = 1; pn <= 5; ++pn) ld.OnPacketSent(kApp, Packet(pn, kT0 + Milliseconds(pn)));
  absl::Time now = kT0 + Milliseconds(55);
  REQUIRE(OnAck(ld, kApp, Ack({{5, 5}}), now).ok());
  // loss_delay = 9/8 * max(latest 50, smoothed 50) = 56.25 ms from the send time of pn 3.
  absl::Duration loss_delay = Milliseconds(50) * 9 / 8;
  REQUIRE(ld.LossDetectionDeadline().has_value());
  CHECK(*ld.LossDetectionDeadline() == kT0 + Milliseconds(3) + loss_delay);
  // Too early: nothing happens.
  TimeoutOutcome early = ld.OnLossDetectionTimeout(now + Milliseconds(1));
  CHECK(early.kind == TimeoutOutcome::Kind::kNone);
  CHECK(ld.bytes_in_flight() == 2 * kMss);
  TimeoutOutcome t1 = ld.OnLossDetectionTimeout(*ld.LossDetectionDeadline());
  CHECK(t1.kind == TimeoutOutcome::Kind::kLossDetected);
  CHECK(t1.space == kApp);
  CHECK(Pns(t1.lost) == std::vector<uint64_t>{3});
  CHECK(obs.triggers.back() == LossTrigger::kTimeThreshold);
  // pn 4, sent a millisecond later, is next.
  CHECK(*ld.LossDetectionDeadline() == kT0 + Milliseconds(4) + loss_delay);
  TimeoutOutcome t2 = ld.OnLossDetectionTimeout(*ld.LossDetectionDeadline());
  CHECK(Pns(t2.lost) == std::vector<uint64_t>{4});
  CHECK(ld.bytes_in_flight() == 0);
  // Nothing in flight and the address is validated: no timer.
  CHECK_FALSE(ld.LossDetectionDeadline().has_value());
  // The losses were all sent before recovery began: one reduction only.
  CHECK(ld.CongestionWindow() == 6000);
}

TEST_CASE("loss detection: PTO deadline, probes and backoff", "[recovery][loss][pto]") {
  LossDetection ld = ConfirmedClient();
  for (uint64_t pn = 0; pn < 10; ++pn) ld.OnPacketSent(kApp, Packet(pn, kT0));
  CHECK_FALSE(ld.CanSend(kMss));  // the initial window is full
  // No RTT sample: 333 + 4 * 166.5 + 25 (max_ack_delay, Application Data) = 1024 ms.
  REQUIRE(ld.LossDetectionDeadline().has_value());
  absl::Time pto1 = kT0 + Milliseconds(1024);
  CHECK(*ld.LossDetectionDeadline() == pto1);
  CHECK(ld.OnLossDetectionTimeout(pto1 - Milliseconds(1)).kind == TimeoutOutcome::Kind::kNone);

  TimeoutOutcome out = ld.OnLossDetectionTimeout(pto1);
  CHECK(out.kind == TimeoutOutcome::Kind::kProbe);
  CHECK(out.space == kApp);
  CHECK(out.probe_packets == 2);
  CHECK_FALSE(out.anti_deadlock);
  CHECK(out.lost.empty());  // §6.2: a PTO does not declare anything lost
  CHECK(ld.pto_count() == 1);
  CHECK(ld.bytes_in_flight() == 10 * kMss);
  // Doubled, still measured from the last ack-eliciting send.
  CHECK(*ld.LossDetectionDeadline() == kT0 + Milliseconds(2048));

  // Probes bypass the congestion window (§7.5), two of them.
  CHECK(ld.pending_probe_packets() == 2);
  REQUIRE(ld.CanSend(kMss));
  ld.OnPacketSent(kApp, Packet(10, pto1));
  REQUIRE(ld.CanSend(kMss));
  ld.OnPacketSent(kApp, Packet(11, pto1));
  CHECK(ld.pending_probe_packets() == 0);
  CHECK_FALSE(ld.CanSend(kMss));
  CHECK(*ld.LossDetectionDeadline() == pto1 + Milliseconds(2048));

  TimeoutOutcome second = ld.OnLossDetectionTimeout(pto1 + Milliseconds(2048));
  CHECK(second.kind == TimeoutOutcome::Kind::kProbe);
  CHECK(ld.pto_count() == 2);
  CHECK(*ld.LossDetectionDeadline() == pto1 + Milliseconds(4096));

  // An acknowledgment resets the backoff.
  auto ack = OnAck(ld, kApp, Ack({{11, 11}}), pto1 + Milliseconds(2100));
  REQUIRE(ack.ok());
  CHECK(ld.pto_count() == 0);
}

TEST_CASE("loss detection: Initial and Handshake PTOs exclude max_ack_delay",
          "[recovery][loss][pto]") {
  LossDetection ld(nullptr, ClientConfig());
  ld.OnPacketSent(kInitial, Packet(0, kT0));
  CHECK(*ld.LossDetectionDeadline() == kT0 + Milliseconds(999));
  ld.OnPacketSent(kHandshake, Packet(0, kT0 + Milliseconds(10)));
  // The earlier of the two spaces.
  CHECK(*ld.LossDetectionDeadline() == kT0 + Milliseconds(999));
  TimeoutOutcome out = ld.OnLossDetectionTimeout(kT0 + Milliseconds(999));
  CHECK(out.kind == TimeoutOutcome::Kind::kProbe);
  CHECK(out.space == kInitial);
  // An ack-eliciting 1-RTT packet before confirmation arms nothing of its own (§6.2.1).
  LossDetection app_only(nullptr, ClientConfig());
  app_only.SetPeerAddressValidated(true, kT0);
  app_only.OnPacketSent(kApp, Packet(0, kT0));
  CHECK_FALSE(app_only.LossDetectionDeadline().has_value());
  app_only.SetHandshakeConfirmed(true, kT0);
  CHECK(app_only.LossDetectionDeadline().has_value());
}

TEST_CASE("loss detection: a client keeps its PTO backoff on Initial ACKs",
          "[recovery][loss][pto]") {
  LossDetection ld(nullptr, ClientConfig());
  ld.OnPacketSent(kInitial, Packet(0, kT0));
  ld.OnPacketSent(kInitial, Packet(1, kT0));
  ld.OnLossDetectionTimeout(kT0 + Milliseconds(999));
  REQUIRE(ld.pto_count() == 1);
  auto out = ld.OnAckReceived(kInitial, Ack({{0, 0}}), absl::ZeroDuration(),
                              kT0 + Milliseconds(1100), false, Milliseconds(25));
  REQUIRE(out.ok());
  CHECK(ld.pto_count() == 1);  // §6.2.1: not reset on an Initial ACK at a client
  // A Handshake ACK shows the server validated the address: the next ACK resets it.
  ld.OnPacketSent(kHandshake, Packet(0, kT0 + Milliseconds(1100)));
  out = ld.OnAckReceived(kHandshake, Ack({{0, 0}}), absl::ZeroDuration(),
                         kT0 + Milliseconds(1200), false, Milliseconds(25));
  REQUIRE(out.ok());
  CHECK(ld.PeerCompletedAddressValidation());
  CHECK(ld.pto_count() == 0);
}

TEST_CASE("loss detection: a server resets its PTO backoff on any ACK", "[recovery][loss][pto]") {
  RecoveryConfig config = ClientConfig();
  config.is_server = true;
  LossDetection ld(nullptr, config);
  ld.OnPacketSent(kInitial, Packet(0, kT0));
  ld.OnPacketSent(kInitial, Packet(1, kT0));
  ld.OnLossDetectionTimeout(kT0 + Milliseconds(999));
  REQUIRE(ld.pto_count() == 1);
  auto out = ld.OnAckReceived(kInitial, Ack({{0, 0}}), absl::ZeroDuration(),
                              kT0 + Milliseconds(1100), false, Milliseconds(25));
  REQUIRE(out.ok());
  CHECK(ld.pto_count() == 0);
}

TEST_CASE("loss detection: client anti-deadlock PTO with nothing in flight",
          "[recovery][loss][pto]") {
  LossDetection ld(nullptr, ClientConfig());
  ld.OnPacketSent(kInitial, Packet(0, kT0));
  absl::Time now = kT0 + Milliseconds(100);
  REQUIRE(ld.OnAckReceived(kInitial, Ack({{0, 0}}), absl::ZeroDuration(), now, false,
                           Milliseconds(25))
              .ok());
  CHECK(ld.bytes_in_flight() == 0);
  // The server may be stuck at its amplification limit: arm from now.
  // RTT 100 ms: 100 + 4 * 50 = 300 ms.
  REQUIRE(ld.LossDetectionDeadline().has_value());
  CHECK(*ld.LossDetectionDeadline() == now + Milliseconds(300));
  TimeoutOutcome out = ld.OnLossDetectionTimeout(now + Milliseconds(300));
  CHECK(out.kind == TimeoutOutcome::Kind::kProbe);
  CHECK(out.anti_deadlock);
  CHECK(out.space == kInitial);
  CHECK(out.probe_packets == 1);
  CHECK(ld.pto_count() == 1);
  // With Handshake keys the probe is a Handshake packet; backoff doubled from now.
  absl::Time later = now + Milliseconds(300);
  ld.SetHandshakeKeysAvailable(true, later);
  CHECK(*ld.LossDetectionDeadline() == later + Milliseconds(600));
  out = ld.OnLossDetectionTimeout(later + Milliseconds(600));
  CHECK(out.anti_deadlock);
  CHECK(out.space == kHandshake);
  // Once the server validated the address, no timer with nothing in flight.
  ld.SetPeerAddressValidated(true, later + Milliseconds(600));
  CHECK_FALSE(ld.LossDetectionDeadline().has_value());
}

TEST_CASE("loss detection: a server at its amplification limit arms no PTO",
          "[recovery][loss][pto]") {
  RecoveryConfig config = ClientConfig();
  config.is_server = true;
  LossDetection ld(nullptr, config);
  ld.OnPacketSent(kInitial, Packet(0, kT0));
  ld.SetAmplificationBlocked(true, kT0);
  CHECK_FALSE(ld.LossDetectionDeadline().has_value());
  CHECK(ld.OnLossDetectionTimeout(kT0 + absl::Seconds(5)).kind == TimeoutOutcome::Kind::kNone);
  // A datagram from the client unblocks it; the deadline has passed, so the caller fires it.
  absl::Time now = kT0 + absl::Seconds(2);
  ld.SetAmplificationBlocked(false, now);
  REQUIRE(ld.LossDetectionDeadline().has_value());
  CHECK(*ld.LossDetectionDeadline() < now);
  CHECK(ld.OnLossDetectionTimeout(now).kind == TimeoutOutcome::Kind::kProbe);
}

TEST_CASE("loss detection: ACK of a packet never sent is a PROTOCOL_VIOLATION",
          "[recovery][loss]") {
  LossDetection ld = ConfirmedClient();
  auto none = OnAck(ld, kApp, Ack({{0, 0}}), kT0);
  REQUIRE_FALSE(none.ok());
  CHECK(GetTransportErrorCode(none.status()) == TransportErrorCode::kProtocolViolation);
  for (uint64_t pn = 0; pn < 3; ++pn) ld.OnPacketSent(kApp, Packet(pn, kT0));
  auto beyond = OnAck(ld, kApp, Ack({{1, 3}}), kT0 + Milliseconds(10));
  REQUIRE_FALSE(beyond.ok());
  CHECK(GetTransportErrorCode(beyond.status()) == TransportErrorCode::kProtocolViolation);
  CHECK(GetTransportErrorFrameType(beyond.status()) == std::optional<uint64_t>(0x02));
  // Packets sent in another space do not count.
  auto other = OnAck(ld, kHandshake, Ack({{0, 0}}), kT0 + Milliseconds(10));
  CHECK(GetTransportErrorCode(other.status()) == TransportErrorCode::kProtocolViolation);
  // Nothing changed.
  CHECK(ld.bytes_in_flight() == 3 * kMss);
  CHECK_FALSE(ld.rtt().has_sample());
}

TEST_CASE("loss detection: malformed ranges are FRAME_ENCODING_ERROR", "[recovery][loss]") {
  LossDetection ld = ConfirmedClient();
  for (uint64_t pn = 0; pn < 10; ++pn) ld.OnPacketSent(kApp, Packet(pn, kT0));
  for (const AckRanges& bad : {Ack({}), Ack({{5, 4}}), Ack({{1, 2}, {5, 6}}),
                               Ack({{5, 6}, {4, 6}})}) {
    auto out = OnAck(ld, kApp, bad, kT0 + Milliseconds(5));
    REQUIRE_FALSE(out.ok());
    CHECK(GetTransportErrorCode(out.status()) == TransportErrorCode::kFrameEncodingError);
  }
  CHECK(ld.bytes_in_flight() == 10 * kMss);
}

TEST_CASE("loss detection: RTT is sampled only from a newly acked largest that elicited",
          "[recovery][loss]") {
  LossDetection ld = ConfirmedClient();
  ld.OnPacketSent(kApp, Packet(0, kT0));
  ld.OnPacketSent(kApp, Packet(1, kT0 + Milliseconds(1), /*ack_eliciting=*/false,
                               /*in_flight=*/false));
  // Only the non-ack-eliciting packet is newly acknowledged: no sample.
  auto out = OnAck(ld, kApp, Ack({{1, 1}}), kT0 + Milliseconds(40));
  REQUIRE(out.ok());
  CHECK_FALSE(out->rtt_updated);
  CHECK_FALSE(ld.rtt().has_sample());
  // Largest (1) not newly acknowledged: no sample either, though pn 0 is.
  out = OnAck(ld, kApp, Ack({{0, 1}}), kT0 + Milliseconds(60));
  REQUIRE(out.ok());
  CHECK(Pns(out->acked) == std::vector<uint64_t>{0});
  CHECK_FALSE(out->rtt_updated);
  // A duplicate ACK acknowledges nothing new.
  out = OnAck(ld, kApp, Ack({{0, 1}}), kT0 + Milliseconds(70));
  REQUIRE(out.ok());
  CHECK(out->acked.empty());
  // Ack delay is used (bounded by max_ack_delay) for Application Data.
  ld.OnPacketSent(kApp, Packet(2, kT0 + Milliseconds(100)));
  ld.OnPacketSent(kApp, Packet(3, kT0 + Milliseconds(200)));
  out = OnAck(ld, kApp, Ack({{2, 2}}), kT0 + Milliseconds(150));
  REQUIRE(out.ok());
  CHECK(out->rtt_updated);
  CHECK(ld.rtt().smoothed_rtt() == Milliseconds(50));
  out = OnAck(ld, kApp, Ack({{3, 3}}), kT0 + Milliseconds(290), Milliseconds(100));
  REQUIRE(out.ok());
  // latest 90, ack_delay min(100, 25) = 25 -> adjusted 65: 7/8 * 50 + 1/8 * 65.
  CHECK(ld.rtt().smoothed_rtt() == absl::Microseconds(51875));
}

TEST_CASE("loss detection: persistent congestion in the RFC 9002 §7.6.3 pattern",
          "[recovery][loss][persistent]") {
  // The example's timeline in units of 100 ms, with packet 1 acknowledged at t = 0.4 so the
  // first RTT sample precedes packet 2; max_ack_delay 0.
  const absl::Duration u = Milliseconds(100);
  auto run = [&](bool ack_packet_5) {
    LossDetection ld = ConfirmedClient(absl::ZeroDuration());
    ld.OnPacketSent(kApp, Packet(1, kT0));
    ld.OnPacketSent(kApp, Packet(2, kT0 + u));
    auto first = ld.OnAckReceived(kApp, Ack({{1, 1}}), absl::ZeroDuration(), kT0 + u * 4 / 10,
                                  true, absl::ZeroDuration());
    REQUIRE(first.ok());
    for (uint64_t pn = 3; pn <= 7; ++pn) ld.OnPacketSent(kApp, Packet(pn, kT0 + u * (pn - 1)));
    if (ack_packet_5) {
      auto mid = ld.OnAckReceived(kApp, Ack({{5, 5}}), absl::ZeroDuration(),
                                  kT0 + u * 52 / 10, true, absl::ZeroDuration());
      REQUIRE(mid.ok());
      // Packets 2-4 are more than 9/8 of the 120 ms sample older than 5.
      CHECK(Pns(mid->lost) == std::vector<uint64_t>{2, 3, 4});
      CHECK_FALSE(mid->persistent_congestion);
    }
    ld.OnPacketSent(kApp, Packet(8, kT0 + u * 8));   // PTO 1
    ld.OnPacketSent(kApp, Packet(9, kT0 + u * 12));  // PTO 2
    auto out = ld.OnAckReceived(kApp, Ack({{9, 9}}), absl::ZeroDuration(), kT0 + u * 122 / 10,
                                true, absl::ZeroDuration());
    REQUIRE(out.ok());
    // The outcome's lists live in `ld`: read them before it goes.
    return std::make_tuple(Pns(out->lost), out->persistent_congestion, ld.CongestionWindow());
  };
  auto [pc_lost, pc, pc_cwnd] = run(false);
  // srtt 37.5 ms, rttvar 20 ms: duration 3 * (37.5 + 80) = 352.5 ms < 700 ms between 2 and 8.
  CHECK(pc_lost == std::vector<uint64_t>{2, 3, 4, 5, 6, 7, 8});
  CHECK(pc);
  CHECK(pc_cwnd == 2 * kMss);
  // With packet 5 acknowledged in between, neither run is long enough.
  auto [no_pc_lost, no_pc, no_pc_cwnd] = run(true);
  CHECK(no_pc_lost == std::vector<uint64_t>{6, 7, 8});
  CHECK_FALSE(no_pc);
  CHECK(no_pc_cwnd == 3000);  // halved twice: two recovery periods
}

TEST_CASE("loss detection: discarding a space removes its packets from flight",
          "[recovery][loss]") {
  LossDetection ld(nullptr, ClientConfig());
  ld.OnPacketSent(kInitial, Packet(0, kT0));
  ld.OnPacketSent(kInitial, Packet(1, kT0));
  ld.OnPacketSent(kHandshake, Packet(0, kT0 + Milliseconds(50)));
  ld.OnLossDetectionTimeout(kT0 + Milliseconds(999));
  REQUIRE(ld.pto_count() == 1);
  CHECK(ld.bytes_in_flight() == 3 * kMss);
  size_t cwnd = ld.CongestionWindow();
  ld.DiscardSpace(kInitial, kT0 + Milliseconds(1000));
  CHECK(ld.bytes_in_flight() == kMss);
  CHECK(ld.sent_packets(kInitial).empty());
  CHECK(ld.pto_count() == 0);
  CHECK(ld.CongestionWindow() == cwnd);  // no congestion response
  // The timer now follows the Handshake packet, with the backoff reset.
  CHECK(*ld.LossDetectionDeadline() == kT0 + Milliseconds(50) + Milliseconds(999));
  // Later Initial packets and ACKs are ignored.
  ld.OnPacketSent(kInitial, Packet(2, kT0 + Milliseconds(1001)));
  CHECK(ld.bytes_in_flight() == kMss);
  auto out = ld.OnAckReceived(kInitial, Ack({{0, 2}}), absl::ZeroDuration(),
                              kT0 + Milliseconds(1002), false, Milliseconds(25));
  REQUIRE(out.ok());
  CHECK(out->acked.empty());
}

TEST_CASE("loss detection: unacked packets are handed back for Retry or 0-RTT rejection",
          "[recovery][loss]") {
  LossDetection ld(nullptr, ClientConfig());
  ld.OnPacketSent(kInitial, Packet(0, kT0));
  for (uint64_t pn = 0; pn < 3; ++pn) ld.OnPacketSent(kApp, Packet(pn, kT0));
  size_t cwnd = ld.CongestionWindow();
  std::vector<SentPacket> zero_rtt = ld.TakeUnackedForRetransmission(kApp, kT0 + Milliseconds(5));
  CHECK(Pns(zero_rtt) == std::vector<uint64_t>{0, 1, 2});
  CHECK(ld.bytes_in_flight() == kMss);
  CHECK(ld.CongestionWindow() == cwnd);
  // The space lives on: numbering continues above what was sent.
  ld.OnPacketSent(kApp, Packet(3, kT0 + Milliseconds(6)));
  CHECK(ld.bytes_in_flight() == 2 * kMss);
}

TEST_CASE("loss detection: congestion window grows with ACKs and gates sending",
          "[recovery][loss][cc]") {
  LossDetection ld = ConfirmedClient();
  for (uint64_t pn = 0; pn < 10; ++pn) {
    REQUIRE(ld.CanSend(kMss));
    ld.OnPacketSent(kApp, Packet(pn, kT0));
  }
  CHECK_FALSE(ld.CanSend(1));
  CHECK(ld.CanSend(0));
  auto out = OnAck(ld, kApp, Ack({{0, 9}}), kT0 + Milliseconds(50));
  REQUIRE(out.ok());
  CHECK(ld.CongestionWindow() == 24000);
  CHECK(ld.bytes_in_flight() == 0);
  CHECK(ld.controller().StateName() == "slow_start");
  // Pacing follows 1.25 * cwnd / srtt = 1.25 * 24000 / 0.05 = 600000 B/s.
  CHECK(ld.pacer().rate() == 600000);
}

TEST_CASE("loss detection: ECN-CE increase is a congestion signal; bad counts fail validation",
          "[recovery][loss][ecn]") {
  LossDetection ld = ConfirmedClient();
  for (uint64_t pn = 0; pn < 4; ++pn) {
    ld.OnPacketSent(kApp, Packet(pn, kT0, true, true, EcnCodepoint::kEct0));
  }
  AckRanges a = Ack({{0, 1}});
  a.ecn = AckEcnCounts{2, 0, 0};
  REQUIRE(OnAck(ld, kApp, a, kT0 + Milliseconds(50)).ok());
  CHECK(ld.CongestionWindow() == 12000);  // window not full: no growth, no reduction
  CHECK_FALSE(ld.ecn_validation_failed());
  a = Ack({{0, 2}});
  a.ecn = AckEcnCounts{2, 0, 1};
  REQUIRE(OnAck(ld, kApp, a, kT0 + Milliseconds(60)).ok());
  CHECK(ld.controller().StateName() == "recovery");
  CHECK(ld.CongestionWindow() == 6000);
  CHECK_FALSE(ld.ecn_validation_failed());
  // Counts that go down fail validation; CE is then ignored.
  a = Ack({{0, 3}});
  a.ecn = AckEcnCounts{1, 0, 1};
  REQUIRE(OnAck(ld, kApp, a, kT0 + Milliseconds(70)).ok());
  CHECK(ld.ecn_validation_failed());
}

TEST_CASE("loss detection: ECT packets acked without ECN counts fail validation",
          "[recovery][loss][ecn]") {
  LossDetection ld = ConfirmedClient();
  ld.OnPacketSent(kApp, Packet(0, kT0, true, true, EcnCodepoint::kEct0));
  REQUIRE(OnAck(ld, kApp, Ack({{0, 0}}), kT0 + Milliseconds(20)).ok());
  CHECK(ld.ecn_validation_failed());
}

TEST_CASE("loss detection: out-of-order packet numbers from the sender are ignored",
          "[recovery][loss]") {
  LossDetection ld = ConfirmedClient();
  ld.OnPacketSent(kApp, Packet(5, kT0));
  ld.OnPacketSent(kApp, Packet(5, kT0));
  ld.OnPacketSent(kApp, Packet(4, kT0));
  CHECK(ld.bytes_in_flight() == kMss);
  CHECK(ld.sent_packets(kApp).size() == 1);
}

}  // namespace
}  // namespace kite::quic

namespace kite::quic {
namespace {

TEST_CASE("loss detection: a late ACK of a packet declared lost is reported as spurious",
          "[loss]") {
  struct Spy : congestion::CongestionController {
    std::vector<uint64_t> spurious;
    void OnPacketSent(absl::Time, uint64_t, size_t, size_t, bool) override {}
    void OnCongestionEvent(const congestion::AckEvent&) override {}
    void OnPersistentCongestion(absl::Time) override {}
    void OnSpuriousLoss(uint64_t pn, absl::Time, absl::Time) override { spurious.push_back(pn); }
    size_t CongestionWindow() const override { return 1 << 20; }
    std::string_view StateName() const override { return "spy"; }
  };
  auto owned = std::make_unique<Spy>();
  Spy* spy = owned.get();
  RecoveryConfig rc;
  LossDetection ld(std::move(owned), rc);
  const PacketNumberSpace kApp = PacketNumberSpace::kApplication;
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  for (uint64_t pn = 0; pn < 6; ++pn) {
    SentPacket p;
    p.packet_number = pn;
    p.time_sent = t0;
    p.bytes = 1200;
    p.ack_eliciting = true;
    p.in_flight = true;
    ld.OnPacketSent(kApp, p);
  }
  AckRanges a;
  a.ranges = {PacketRange{3, 5}};
  absl::StatusOr<AckOutcome> first =
      ld.OnAckReceived(kApp, a, absl::ZeroDuration(), t0 + absl::Milliseconds(50), true,
                       absl::Milliseconds(25));
  REQUIRE(first.ok());
  REQUIRE(first->lost.size() == 3);  // 0, 1, 2 by the packet threshold
  CHECK(spy->spurious.empty());
  // Packet 1 was only reordered: its ACK arrives now.
  a.ranges = {PacketRange{3, 5}, PacketRange{1, 1}};
  REQUIRE(ld.OnAckReceived(kApp, a, absl::ZeroDuration(), t0 + absl::Milliseconds(55), true,
                           absl::Milliseconds(25))
              .ok());
  CHECK(spy->spurious == std::vector<uint64_t>{1});
  CHECK(ld.spurious_losses() == 1);
  // Reported once only.
  REQUIRE(ld.OnAckReceived(kApp, a, absl::ZeroDuration(), t0 + absl::Milliseconds(60), true,
                           absl::Milliseconds(25))
              .ok());
  CHECK(ld.spurious_losses() == 1);
}

}  // namespace
}  // namespace kite::quic

namespace kite::quic {
namespace {

// One round: packets [first, first + n) sent at `sent`, then an ACK of all but `held` at `now`.
// Returns the packets declared lost by that ACK.
std::vector<uint64_t> ReorderedRound(LossDetection& ld, uint64_t first, uint64_t n, uint64_t held,
                                     absl::Time sent, absl::Time now) {
  for (uint64_t pn = first; pn < first + n; ++pn) ld.OnPacketSent(kApp, Packet(pn, sent));
  AckRanges a;
  a.ranges.push_back(PacketRange{held + 1, first + n - 1});
  if (held > first) a.ranges.push_back(PacketRange{first, held - 1});
  absl::StatusOr<AckOutcome> out = OnAck(ld, kApp, a, now);
  REQUIRE(out.ok());
  return Pns(out->lost);
}

// The same round's late ACK of `held` (everything up to the round's end acknowledged).
void LateAck(LossDetection& ld, uint64_t last, absl::Time now) {
  REQUIRE(OnAck(ld, kApp, Ack({{0, last}}), now).ok());
}

TEST_CASE("loss detection: spurious losses raise the reordering thresholds (adaptive)",
          "[loss][reordering]") {
  LossDetection ld(nullptr, ClientConfig());
  ld.SetHandshakeConfirmed(true, kT0);
  CHECK(ld.packet_threshold() == 3);
  CHECK(ld.time_threshold() == Approx(9.0 / 8.0));
  // Round 1: packet 2 of 0..11 arrives behind the nine after it: declared lost by count.
  absl::Time t = kT0;
  CHECK(ReorderedRound(ld, 0, 12, 2, t, t + Milliseconds(10)) == std::vector<uint64_t>{2});
  // Its ACK arrives 15 ms after it was sent (1.5 RTT): the loss was spurious.
  LateAck(ld, 11, t + Milliseconds(15));
  CHECK(ld.spurious_losses() == 1);
  CHECK(ld.packet_threshold() == 10);  // 11 - 2 + 1
  CHECK(ld.time_threshold() == Approx(15.0 / 10.0 + 1.0 / 8.0));
  // Round 2: the same reordering is no longer taken for loss, neither by count nor by time.
  t += Milliseconds(20);
  CHECK(ReorderedRound(ld, 12, 12, 14, t, t + Milliseconds(10)).empty());
  LateAck(ld, 23, t + Milliseconds(15));
  CHECK(ld.spurious_losses() == 1);
  // A real loss is still found: by count past the new threshold ...
  t += Milliseconds(20);
  CHECK(ReorderedRound(ld, 24, 12, 24, t, t + Milliseconds(10)) == std::vector<uint64_t>{24});
  // ... and the thresholds are bounded however far a packet is displaced.
  LateAck(ld, 35, t + Milliseconds(500));
  CHECK(ld.time_threshold() == Approx(kMaxAdaptiveTimeThreshold));
  CHECK(ld.packet_threshold() == 12);
}

TEST_CASE("loss detection: fixed RFC 9002 thresholds when adaptation is off",
          "[loss][reordering]") {
  RecoveryConfig rc = ClientConfig();
  rc.adaptive_reordering = false;
  LossDetection ld(nullptr, rc);
  ld.SetHandshakeConfirmed(true, kT0);
  absl::Time t = kT0;
  CHECK(ReorderedRound(ld, 0, 12, 2, t, t + Milliseconds(10)) == std::vector<uint64_t>{2});
  LateAck(ld, 11, t + Milliseconds(15));
  CHECK(ld.spurious_losses() == 1);
  CHECK(ld.packet_threshold() == 3);
  CHECK(ld.time_threshold() == Approx(9.0 / 8.0));
  t += Milliseconds(20);
  CHECK(ReorderedRound(ld, 12, 12, 14, t, t + Milliseconds(10)) == std::vector<uint64_t>{14});
}

}  // namespace
}  // namespace kite::quic
