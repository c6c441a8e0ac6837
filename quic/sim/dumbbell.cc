#include "quic/sim/dumbbell.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <optional>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "congestion/registry.h"
#include "quic/codec/packet_header.h"
#include "quic/connection/connection.h"
#include "quic/sim/drop_tail_queue.h"
#include "quic/sim/flow_recorder.h"
#include "quic/sim/queue_discipline.h"
#include "tls/self_signed_certificate.h"
#include "tls/tls_context.h"

namespace kite::quic::sim {
namespace {

constexpr size_t kWriteChunk = 64 << 10;
// The sender keeps this much beyond two congestion windows buffered, so it never runs dry.
constexpr uint64_t kSendHeadroomBytes = 256 << 10;
// Client receive windows: large enough that flow control never limits a simulated flow (a 10 Gbit/s
// x 200 ms path needs 250 MB).
constexpr uint64_t kClientReceiveWindow = uint64_t{256} << 20;
// Per-stream receive window with automatic streams_per_flow: at most ~900 frames of ~1150 bytes
// in its reassembly span, below kite's 1024-fragment limit per stream.
constexpr uint64_t kAutoStreamWindow = uint64_t{1} << 20;
constexpr absl::Duration kProgressEvery = absl::Seconds(1);

double Uniform01(std::mt19937_64& rng) {
  // 53 random bits: the same [0, 1) value on every platform, unlike std::uniform_real.
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

bool Bernoulli(std::mt19937_64& rng, double p) { return p > 0 && Uniform01(rng) < p; }

SocketAddress V4(uint32_t host, uint16_t port) {
  return SocketAddress::V4(static_cast<uint8_t>(host >> 24), static_cast<uint8_t>(host >> 16),
                           static_cast<uint8_t>(host >> 8), static_cast<uint8_t>(host), port);
}

absl::Status Invalid(const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("dumbbell: ", what));
}

bool ValidProbability(double p) { return p >= 0.0 && p <= 1.0; }

}  // namespace

absl::Status ValidateDumbbellConfig(const DumbbellConfig& c) {
  if (c.flows.empty()) return Invalid("no flows");
  if (c.flows.size() > kMaxDumbbellFlows) return Invalid("too many flows");
  if (c.rate_bps == 0 || c.rate_bps > kMaxBottleneckRateBps) return Invalid("rate_bps");
  absl::Duration last = absl::ZeroDuration();
  for (const RateChange& r : c.rate_schedule) {
    if (r.at < last) return Invalid("rate_schedule not sorted");
    if (r.rate_bps > kMaxBottleneckRateBps) return Invalid("rate_schedule rate");
    last = r.at;
  }
  if (c.buffer_bytes < c.max_datagram_size || c.buffer_bytes > kMaxBottleneckBufferBytes) {
    return Invalid("buffer_bytes (at least one datagram, at most 1 GiB)");
  }
  if (!ValidProbability(c.loss) || !ValidProbability(c.reverse_loss) ||
      !ValidProbability(c.reorder_probability)) {
    return Invalid("probabilities must be in [0, 1]");
  }
  if (c.jitter < absl::ZeroDuration() || c.reorder_delay < absl::ZeroDuration() ||
      c.ack_aggregation < absl::ZeroDuration() || c.jitter > absl::Seconds(10) ||
      c.reorder_delay > absl::Seconds(10) || c.ack_aggregation > absl::Seconds(10)) {
    return Invalid("jitter, reorder_delay and ack_aggregation must be in [0, 10 s]");
  }
  if (c.codel_target <= absl::ZeroDuration() || c.codel_interval <= absl::ZeroDuration()) {
    return Invalid("codel target and interval must be positive");
  }
  if (c.duration <= absl::ZeroDuration() || c.duration > kMaxSimulatedDuration) {
    return Invalid("duration");
  }
  if (c.sample_interval < absl::Microseconds(100)) return Invalid("sample_interval below 100 us");
  if (c.streams_per_flow > kMaxStreamsPerFlow) return Invalid("streams_per_flow above 64");
  if (c.max_datagram_size < 1200 || c.max_datagram_size > 1472) {
    return Invalid("max_datagram_size must be in [1200, 1472]");
  }
  for (const DumbbellFlowConfig& f : c.flows) {
    if (f.rtt <= absl::ZeroDuration() || f.rtt > absl::Seconds(10)) return Invalid("flow rtt");
    if (f.start < absl::ZeroDuration() || f.stop <= f.start) return Invalid("flow start/stop");
    // A connection silently falls back to NewReno for an unknown name; a benchmark must not.
    if (congestion::CreateController(f.congestion_controller, congestion::ControllerParams{}) ==
        nullptr) {
      return Invalid(absl::StrCat("unknown congestion controller \"", f.congestion_controller,
                                  "\" (not linked into this binary?)"));
    }
  }
  return absl::OkStatus();
}

uint64_t RateAt(const DumbbellConfig& config, absl::Duration at) {
  uint64_t rate = config.rate_bps;
  for (const RateChange& r : config.rate_schedule) {
    if (r.at > at) break;
    rate = r.rate_bps;
  }
  return rate;
}

class DumbbellSimulator::Impl {
 public:
  explicit Impl(DumbbellConfig config) : config_(std::move(config)), rng_(config_.seed) {}

  absl::StatusOr<DumbbellResult> Run(const std::function<void(absl::Duration)>& progress);

 private:
  enum class FlowState { kPending, kRunning, kStopping, kDone };
  enum class EventKind : uint8_t { kArrival, kLinkFree, kLinkWake };

  struct Flow {
    DumbbellFlowConfig config;
    size_t index = 0;
    FlowState state = FlowState::kPending;
    std::unique_ptr<std::mt19937_64> rng;
    std::unique_ptr<FlowRecorder> recorder;
    std::unique_ptr<Connection> client;
    std::unique_ptr<Connection> server;
    NetworkPath client_path;
    NetworkPath server_path;
    std::vector<uint64_t> streams;
    bool streams_opened = false;
    // Touched since last serviced (a datagram, a timeout, a start or stop): only a touched
    // connection is polled, so the untouched one's deadline stays as last reported.
    bool client_dirty = false;
    bool server_dirty = false;
    absl::Time client_deadline = absl::InfiniteFuture();
    absl::Time server_deadline = absl::InfiniteFuture();
    absl::Time deadline = absl::InfiniteFuture();  // the earlier of the two
    absl::Time last_forward_arrival = absl::InfinitePast();
    FlowResult result;
  };

  // A datagram in the network. The connection writes it straight into `bytes` (sized for the
  // largest datagram once) and the receiver decrypts it there.
  struct Slot {
    std::vector<uint8_t> bytes;
    size_t size = 0;
    uint32_t flow = 0;
    bool to_client = false;
  };

  static constexpr uint32_t kNoLane = UINT32_MAX;
  struct Event {
    absl::Time time;
    uint64_t order;
    EventKind kind;
    uint32_t slot;
    // The arrival lane this event heads (see lanes_), or kNoLane.
    uint32_t lane = kNoLane;
  };
  static bool Later(const Event& a, const Event& b) {
    return a.time != b.time ? a.time > b.time : a.order > b.order;
  }

  absl::Status Init();
  absl::Duration Since(absl::Time t) const { return t - start_; }
  uint32_t AllocSlot();
  void FreeSlot(uint32_t slot) { free_slots_.push_back(slot); }
  void Push(absl::Time t, EventKind kind, uint32_t slot) {
    PushHeap(Event{t, next_order_++, kind, slot});
  }
  void PushHeap(const Event& e) {
    events_.push_back(e);
    std::push_heap(events_.begin(), events_.end(), Later);
  }
  // A datagram arrival for lane 2 * flow + (to_client ? 0 : 1).
  void PushArrival(absl::Time t, uint32_t slot, uint32_t lane);
  // Removes and returns the earliest event (events_ must not be empty).
  Event PopEvent();

  absl::Status StartFlow(Flow& f);
  void StopFlow(Flow& f);
  void ServiceFlow(Flow& f);
  void Flush(Flow& f, bool from_client);
  // Both take ownership of slot `s`, holding the datagram.
  void SendForward(Flow& f, uint32_t s);
  void SendReverse(Flow& f, uint32_t s);
  void StartTransmission();
  void OnLinkFree(uint32_t slot);
  void Deliver(uint32_t slot);
  void UpdateDeadline(Flow& f);
  void TakeSamples();
  RandomBytes MakeRandom(Flow& f) {
    std::mt19937_64* rng = f.rng.get();
    return [rng](uint8_t* out, size_t len) {
      for (size_t i = 0; i < len; ++i) out[i] = static_cast<uint8_t>((*rng)());
    };
  }

  DumbbellConfig config_;
  std::mt19937_64 rng_;
  std::unique_ptr<tls::TlsClientContext> client_tls_;
  std::unique_ptr<tls::TlsServerContext> server_tls_;
  ConnectionConfig client_config_;
  ConnectionConfig server_config_;
  std::vector<Flow> flows_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  // Pending events, a heap ordered by (time, order). Arrivals of one flow and direction nearly
  // always come in time order (fixed delays; jitter never reorders a flow; ACK aggregation rounds
  // up), so they wait in that lane's FIFO and only each lane's head sits in the heap, which stays
  // a few entries deep instead of a bandwidth-delay product. An arrival earlier than its lane's
  // tail (a reordered datagram) goes into the heap on its own. The order of events is the same.
  std::vector<Event> events_;
  std::vector<std::deque<Event>> lanes_;
  uint64_t next_order_ = 0;
  std::unique_ptr<QueueDiscipline> queue_;
  std::vector<QueuedPacket> dropped_;
  bool link_busy_ = false;
  absl::Time start_;
  absl::Time now_;
  std::vector<uint8_t> rx_buf_;
  std::vector<uint8_t> zeros_;
  size_t streams_per_flow_ = 1;
  DumbbellResult result_;
};

absl::Status DumbbellSimulator::Impl::Init() {
  absl::Status st = ValidateDumbbellConfig(config_);
  if (!st.ok()) return st;
  tls::SelfSignedOptions so;
  so.dns_names = {"localhost"};
  absl::StatusOr<tls::SelfSignedCertificate> cert = tls::GenerateSelfSignedCertificate(so);
  if (!cert.ok()) return cert.status();
  tls::ServerOptions server;
  server.certificate.chain_pem = cert->certificate_pem;
  server.certificate.key_pem = cert->private_key_pem;
  server.alpn = {"kite-ccbench"};
  absl::StatusOr<std::unique_ptr<tls::TlsServerContext>> s = tls::TlsServerContext::Create(server);
  if (!s.ok()) return s.status();
  server_tls_ = std::move(*s);
  tls::ClientOptions client;
  client.alpn = {"kite-ccbench"};
  client.verify_peer = true;
  client.trusted_certificates_pem = {cert->certificate_pem};
  absl::StatusOr<std::unique_ptr<tls::TlsClientContext>> c = tls::TlsClientContext::Create(client);
  if (!c.ok()) return c.status();
  client_tls_ = std::move(*c);

  // Enough receive window for twice (buffer + BDP), split over the streams.
  absl::Duration max_rtt = absl::ZeroDuration();
  for (const DumbbellFlowConfig& f : config_.flows) max_rtt = std::max(max_rtt, f.rtt);
  uint64_t peak_rate = config_.rate_bps;
  for (const RateChange& r : config_.rate_schedule) peak_rate = std::max(peak_rate, r.rate_bps);
  const uint64_t need = 2 * (config_.buffer_bytes +
                             static_cast<uint64_t>(static_cast<double>(peak_rate) / 8 *
                                                   absl::ToDoubleSeconds(max_rtt)));
  uint64_t stream_window = kAutoStreamWindow;
  if (config_.streams_per_flow == 0) {
    streams_per_flow_ = static_cast<size_t>(
        std::clamp<uint64_t>((need + kAutoStreamWindow - 1) / kAutoStreamWindow, 1,
                             kMaxStreamsPerFlow));
  } else {
    streams_per_flow_ = config_.streams_per_flow;
    stream_window = std::max<uint64_t>(kAutoStreamWindow, need / streams_per_flow_);
  }
  client_config_.max_datagram_size = config_.max_datagram_size;
  client_config_.initial_max_data = kClientReceiveWindow;
  client_config_.initial_max_stream_data_uni = stream_window;
  client_config_.initial_max_stream_data_bidi_remote = stream_window;
  client_config_.max_connection_receive_window = kClientReceiveWindow;
  client_config_.max_stream_receive_window = stream_window;
  client_config_.max_idle_timeout = config_.duration + absl::Seconds(30);
  server_config_ = client_config_;

  start_ = absl::FromUnixSeconds(1700000000);
  now_ = start_;
  rx_buf_.resize(65536);
  zeros_.assign(kWriteChunk, 0);
  if (config_.queue == QueueKind::kCoDel) {
    CoDelParams p;
    p.target = config_.codel_target;
    p.interval = config_.codel_interval;
    p.mtu_bytes = config_.max_datagram_size;
    p.capacity_bytes = config_.buffer_bytes;
    queue_ = std::make_unique<CoDelQueue>(p);
  } else {
    queue_ = std::make_unique<DropTailQueue>(config_.buffer_bytes);
  }

  flows_.resize(config_.flows.size());
  lanes_.resize(2 * flows_.size());
  for (size_t i = 0; i < flows_.size(); ++i) {
    Flow& f = flows_[i];
    f.config = config_.flows[i];
    f.index = i;
    f.rng = std::make_unique<std::mt19937_64>(config_.seed * 0x9E3779B97F4A7C15ull + i + 1);
    f.recorder = std::make_unique<FlowRecorder>(config_.keep_rtt_samples);
    uint32_t client_host = 0x0a010000u | static_cast<uint32_t>(i);  // 10.1.x.y
    uint32_t server_host = 0x0a020000u | static_cast<uint32_t>(i);  // 10.2.x.y
    f.client_path = NetworkPath{V4(client_host, 50000), V4(server_host, 443)};
    f.server_path = NetworkPath{V4(server_host, 443), V4(client_host, 50000)};
    f.result.config = f.config;
  }
  return absl::OkStatus();
}

void DumbbellSimulator::Impl::PushArrival(absl::Time t, uint32_t slot, uint32_t lane) {
  Event e{t, next_order_++, EventKind::kArrival, slot, lane};
  std::deque<Event>& q = lanes_[lane];
  if (q.empty()) {
    q.push_back(e);
    PushHeap(e);
  } else if (t >= q.back().time) {
    q.push_back(e);
  } else {
    e.lane = kNoLane;
    PushHeap(e);
  }
}

DumbbellSimulator::Impl::Event DumbbellSimulator::Impl::PopEvent() {
  std::pop_heap(events_.begin(), events_.end(), Later);
  Event e = events_.back();
  events_.pop_back();
  if (e.lane != kNoLane) {
    std::deque<Event>& q = lanes_[e.lane];
    q.pop_front();
    if (!q.empty()) PushHeap(q.front());
  }
  return e;
}

uint32_t DumbbellSimulator::Impl::AllocSlot() {
  if (!free_slots_.empty()) {
    uint32_t s = free_slots_.back();
    free_slots_.pop_back();
    return s;
  }
  slots_.emplace_back();
  slots_.back().bytes.resize(config_.max_datagram_size);
  return static_cast<uint32_t>(slots_.size() - 1);
}

absl::Status DumbbellSimulator::Impl::StartFlow(Flow& f) {
  ConnectionConfig cc = client_config_;
  cc.congestion_controller = f.config.congestion_controller;
  absl::StatusOr<std::unique_ptr<Connection>> c =
      Connection::Connect(cc, *client_tls_, f.client_path, now_, MakeRandom(f));
  if (!c.ok()) return c.status();
  f.client = std::move(*c);
  f.state = FlowState::kRunning;
  f.client_dirty = true;
  return absl::OkStatus();
}

void DumbbellSimulator::Impl::StopFlow(Flow& f) {
  f.state = FlowState::kStopping;
  f.result.data_end = Since(now_);
  if (f.server != nullptr) {
    f.server->Close(now_, 0, "done");
  } else if (f.client != nullptr) {
    f.client->Close(now_, 0, "done");
  }
  f.client_dirty = true;
  f.server_dirty = true;
}

void DumbbellSimulator::Impl::SendForward(Flow& f, uint32_t s) {
  Slot& slot = slots_[s];
  slot.flow = static_cast<uint32_t>(f.index);
  slot.to_client = true;
  if (!queue_->Enqueue(QueuedPacket{s, slot.size, now_})) {
    ++f.result.tail_drops;
    ++result_.tail_drops;
    FreeSlot(s);
    return;
  }
  result_.max_queue_bytes = std::max(result_.max_queue_bytes, queue_->queued_bytes());
  if (!link_busy_) StartTransmission();
}

void DumbbellSimulator::Impl::SendReverse(Flow& f, uint32_t s) {
  if (Bernoulli(rng_, config_.reverse_loss)) {
    ++f.result.random_losses;
    ++result_.random_losses;
    FreeSlot(s);
    return;
  }
  absl::Time arrival = now_ + (f.config.rtt - f.config.rtt / 2);
  if (config_.ack_aggregation > absl::ZeroDuration()) {
    // Released at the next multiple of the aggregation period: ACKs bunch into bursts.
    int64_t period_ns = absl::ToInt64Nanoseconds(config_.ack_aggregation);
    int64_t since_ns = absl::ToInt64Nanoseconds(Since(arrival));
    int64_t periods = (since_ns + period_ns - 1) / period_ns;
    arrival = start_ + absl::Nanoseconds(periods * period_ns);
  }
  Slot& slot = slots_[s];
  slot.flow = static_cast<uint32_t>(f.index);
  slot.to_client = false;
  PushArrival(arrival, s, static_cast<uint32_t>(2 * f.index + 1));
}

void DumbbellSimulator::Impl::StartTransmission() {
  absl::Duration elapsed = Since(now_);
  uint64_t rate = RateAt(config_, elapsed);
  if (rate == 0) {
    // Paused: wake at the next schedule change, if any.
    link_busy_ = true;
    for (const RateChange& r : config_.rate_schedule) {
      if (r.at > elapsed) {
        Push(start_ + r.at, EventKind::kLinkWake, 0);
        return;
      }
    }
    return;
  }
  dropped_.clear();
  std::optional<QueuedPacket> p = queue_->Dequeue(now_, &dropped_);
  for (const QueuedPacket& d : dropped_) {
    Flow& f = flows_[slots_[d.handle].flow];
    ++f.result.aqm_drops;
    ++result_.aqm_drops;
    FreeSlot(static_cast<uint32_t>(d.handle));
  }
  if (!p.has_value()) {
    link_busy_ = false;
    return;
  }
  Flow& f = flows_[slots_[p->handle].flow];
  absl::Duration sojourn = now_ - p->enqueued;
  f.result.sojourn_sum_s += absl::ToDoubleSeconds(sojourn);
  ++f.result.sojourn_count;
  f.result.sojourn_max = std::max(f.result.sojourn_max, sojourn);
  link_busy_ = true;
  absl::Duration tx = absl::Seconds(static_cast<double>(p->size) * 8.0 / static_cast<double>(rate));
  Push(now_ + tx, EventKind::kLinkFree, static_cast<uint32_t>(p->handle));
}

void DumbbellSimulator::Impl::OnLinkFree(uint32_t s) {
  Slot& slot = slots_[s];
  Flow& f = flows_[slot.flow];
  result_.bottleneck_bytes += slot.size;
  if (Bernoulli(rng_, config_.loss)) {
    ++f.result.random_losses;
    ++result_.random_losses;
    FreeSlot(s);
  } else {
    absl::Time arrival = now_ + f.config.rtt / 2;
    if (config_.jitter > absl::ZeroDuration()) {
      arrival += config_.jitter * Uniform01(rng_);
    }
    if (Bernoulli(rng_, config_.reorder_probability)) {
      arrival += config_.reorder_delay;
    } else {
      // Jitter alone never reorders a flow's datagrams.
      arrival = std::max(arrival, f.last_forward_arrival);
      f.last_forward_arrival = arrival;
    }
    PushArrival(arrival, s, static_cast<uint32_t>(2 * f.index));
  }
  StartTransmission();
}

void DumbbellSimulator::Impl::Deliver(uint32_t s) {
  Slot& slot = slots_[s];
  Flow& f = flows_[slot.flow];
  absl::Span<uint8_t> bytes(slot.bytes.data(), slot.size);
  if (slot.to_client) {
    if (f.client != nullptr) f.client->OnDatagramInPlace(now_, f.client_path, bytes);
  } else {
    if (f.server == nullptr && f.state == FlowState::kRunning) {
      absl::StatusOr<PacketHeader> h = ParsePacketHeader(bytes, server_config_.local_cid_length);
      if (h.ok() && h->type == PacketType::kInitial && bytes.size() >= 1200) {
        ConnectionConfig sc = server_config_;
        sc.congestion_controller = f.config.congestion_controller;
        sc.observer = f.recorder.get();
        absl::StatusOr<std::unique_ptr<Connection>> c =
            Connection::Accept(sc, *server_tls_, *h, f.server_path, now_, MakeRandom(f));
        if (c.ok()) f.server = std::move(*c);
      }
    }
    if (f.server != nullptr) f.server->OnDatagramInPlace(now_, f.server_path, bytes);
  }
  (slot.to_client ? f.client_dirty : f.server_dirty) = true;
  FreeSlot(s);
}

void DumbbellSimulator::Impl::Flush(Flow& f, bool from_client) {
  Connection* c = from_client ? f.client.get() : f.server.get();
  if (c == nullptr) return;
  while (true) {
    uint32_t s = AllocSlot();
    std::optional<Transmit> t = c->PollTransmit(now_, absl::MakeSpan(slots_[s].bytes));
    if (!t.has_value()) {
      FreeSlot(s);
      return;
    }
    slots_[s].size = t->size;
    if (from_client) {
      SendReverse(f, s);
    } else {
      SendForward(f, s);
    }
  }
}

void DumbbellSimulator::Impl::ServiceFlow(Flow& f) {
  if (f.client != nullptr && f.client_dirty) {
    while (std::optional<ConnectionEvent> ev = f.client->PollEvent()) {
      if (ev->type == ConnectionEvent::Type::kStreamOpened ||
          ev->type == ConnectionEvent::Type::kStreamReadable) {
        while (true) {
          bool fin = false;
          absl::StatusOr<size_t> n =
              f.client->ReadStream(ev->stream_id, rx_buf_.data(), rx_buf_.size(), &fin);
          if (!n.ok() || *n == 0) break;
          f.result.delivered_bytes += *n;
        }
      }
    }
  }
  if (f.server != nullptr && f.server_dirty) {
    while (f.server->PollEvent().has_value()) {
    }
    if (f.state == FlowState::kRunning && f.server->handshake_complete()) {
      if (!f.result.handshake_completed) {
        f.result.handshake_completed = true;
        f.result.handshake_done = Since(now_);
      }
      if (!f.streams_opened) {
        f.streams_opened = true;
        f.result.data_start = Since(now_);
        for (size_t i = 0; i < streams_per_flow_; ++i) {
          absl::StatusOr<uint64_t> id = f.server->OpenStream(/*bidirectional=*/false);
          if (!id.ok()) break;
          f.streams.push_back(*id);
        }
      }
      if (!f.streams.empty()) {
        const uint64_t target =
            (2 * uint64_t{f.server->recovery().CongestionWindow()} + kSendHeadroomBytes) /
            f.streams.size();
        for (uint64_t id : f.streams) {
          while (f.server->StreamBufferedBytes(id) < target) {
            if (!f.server->WriteStream(id, absl::MakeConstSpan(zeros_), false).ok()) break;
          }
        }
      }
    }
  }
  if (f.client_dirty) Flush(f, /*from_client=*/true);
  if (f.server_dirty) Flush(f, /*from_client=*/false);
  UpdateDeadline(f);
  f.client_dirty = false;
  f.server_dirty = false;
}

void DumbbellSimulator::Impl::UpdateDeadline(Flow& f) {
  auto deadline_of = [](const Connection* c) {
    std::optional<absl::Time> t = c == nullptr ? std::nullopt : c->NextDeadline();
    return t.value_or(absl::InfiniteFuture());
  };
  if (f.client_dirty) f.client_deadline = deadline_of(f.client.get());
  if (f.server_dirty) f.server_deadline = deadline_of(f.server.get());
  f.deadline = std::min(f.client_deadline, f.server_deadline);
  bool alive = (f.client != nullptr && !f.client->is_terminated()) ||
               (f.server != nullptr && !f.server->is_terminated());
  if (f.state == FlowState::kRunning && f.client != nullptr &&
      (f.client->is_closing() || (f.server != nullptr && f.server->is_closing()))) {
    // Ended on its own before the stop time.
    const Connection* c = f.client->is_closing() ? f.client.get() : f.server.get();
    f.result.error = c->close_info().has_value() ? c->close_info()->reason : "closed";
    if (f.result.error.empty()) f.result.error = "closed";
    f.state = FlowState::kStopping;
    f.result.data_end = Since(now_);
  }
  if (f.state == FlowState::kStopping && !alive) f.state = FlowState::kDone;
}

void DumbbellSimulator::Impl::TakeSamples() {
  for (Flow& f : flows_) {
    if (f.state != FlowState::kRunning) continue;
    FlowSample s;
    s.t = Since(now_);
    const FlowRecorder& r = *f.recorder;
    if (f.server != nullptr) {
      s.cwnd_bytes = f.server->recovery().CongestionWindow();
      s.bytes_in_flight = f.server->recovery().bytes_in_flight();
      s.pacing_rate_bytes_per_second = f.server->recovery().pacer().rate();
    }
    s.smoothed_rtt = r.smoothed_rtt();
    s.min_rtt = r.min_rtt();
    s.latest_rtt = r.latest_rtt();
    s.delivered_bytes = f.result.delivered_bytes;
    s.packets_lost = r.packets_lost();
    s.bytes_sent = r.bytes_sent();
    f.result.samples.push_back(s);
  }
  result_.queue_samples.push_back(
      QueueSample{Since(now_), queue_->queued_bytes(), RateAt(config_, Since(now_))});
}

absl::StatusOr<DumbbellResult> DumbbellSimulator::Impl::Run(
    const std::function<void(absl::Duration)>& progress) {
  absl::Status st = Init();
  if (!st.ok()) return st;
  const absl::Time end = start_ + config_.duration;
  absl::Time next_sample = start_;
  absl::Time next_progress = start_ + kProgressEvery;
  int stalled = 0;
  while (true) {
    // Flow starts and stops due now.
    for (Flow& f : flows_) {
      if (f.state == FlowState::kPending && now_ >= start_ + f.config.start) {
        absl::Status s = StartFlow(f);
        if (!s.ok()) return s;
      }
      if (f.state == FlowState::kRunning && f.config.stop != absl::InfiniteDuration() &&
          now_ >= start_ + f.config.stop) {
        StopFlow(f);
      }
    }
    for (Flow& f : flows_) {
      if (f.client_dirty || f.server_dirty) ServiceFlow(f);
    }
    if (now_ >= next_sample) {
      TakeSamples();
      next_sample += config_.sample_interval;
    }
    if (progress && now_ >= next_progress) {
      progress(Since(now_));
      next_progress += kProgressEvery;
    }
    if (now_ >= end) break;

    absl::Time next = std::min(end, next_sample);
    if (!events_.empty()) next = std::min(next, events_.front().time);
    for (const Flow& f : flows_) {
      next = std::min(next, f.deadline);
      if (f.state == FlowState::kPending) next = std::min(next, start_ + f.config.start);
      if (f.state == FlowState::kRunning && f.config.stop != absl::InfiniteDuration()) {
        next = std::min(next, start_ + f.config.stop);
      }
    }
    if (next <= now_) {
      // A connection that keeps reporting a due deadline without acting on it would spin here;
      // nudge time forward rather than hang.
      if (++stalled > 1000) {
        next = now_ + absl::Microseconds(1);
        stalled = 0;
      }
    } else {
      stalled = 0;
    }
    now_ = std::max(now_, next);

    while (!events_.empty() && events_.front().time <= now_) {
      Event e = PopEvent();
      switch (e.kind) {
        case EventKind::kArrival:
          Deliver(e.slot);
          break;
        case EventKind::kLinkFree:
          OnLinkFree(e.slot);
          break;
        case EventKind::kLinkWake:
          link_busy_ = false;
          StartTransmission();
          break;
      }
    }
    for (Flow& f : flows_) {
      if (f.client_deadline <= now_ && f.client != nullptr) {
        f.client->OnTimeout(now_);
        f.client_dirty = true;
      }
      if (f.server_deadline <= now_ && f.server != nullptr) {
        f.server->OnTimeout(now_);
        f.server_dirty = true;
      }
    }
  }

  result_.duration = config_.duration;
  // The rate integrated over the run, piecewise over the schedule.
  double capacity_bits = 0;
  absl::Duration t = absl::ZeroDuration();
  while (t < config_.duration) {
    absl::Duration next_change = config_.duration;
    for (const RateChange& r : config_.rate_schedule) {
      if (r.at > t) {
        next_change = std::min(next_change, r.at);
        break;
      }
    }
    capacity_bits += static_cast<double>(RateAt(config_, t)) * absl::ToDoubleSeconds(next_change - t);
    t = next_change;
  }
  result_.capacity_bytes = capacity_bits / 8.0;
  for (Flow& f : flows_) {
    if (f.state == FlowState::kRunning) f.result.data_end = config_.duration;
    FlowResult& r = f.result;
    r.packets_sent = f.recorder->packets_sent();
    r.bytes_sent = f.recorder->bytes_sent();
    r.packets_lost = f.recorder->packets_lost();
    if (f.server != nullptr) {
      r.stream_bytes_sent = f.server->stats().stream_bytes_sent;
      r.stream_bytes_retransmitted = f.server->stats().stream_bytes_retransmitted;
    }
    r.rtt_samples_ms = std::move(f.recorder->rtt_samples_ms());
    result_.flows.push_back(std::move(r));
  }
  return std::move(result_);
}

DumbbellSimulator::DumbbellSimulator(DumbbellConfig config)
    : impl_(std::make_unique<Impl>(std::move(config))) {}

DumbbellSimulator::~DumbbellSimulator() = default;

absl::StatusOr<DumbbellResult> DumbbellSimulator::Run(
    std::function<void(absl::Duration)> progress) {
  return impl_->Run(progress);
}

}  // namespace kite::quic::sim
