#include "quic/qlog/qlog_writer.h"

#include <cstdio>
#include <iterator>
#include <utility>

#include "quic/qlog/json_writer.h"
#include "quic/qlog/quic_frame_json.h"

namespace kite::quic::qlog {

enum class QlogWriter::Event : uint8_t {
  kPacketSent,
  kPacketReceived,
  kPacketDropped,
  kPacketBuffered,
  kPacketLost,
  kMetricsUpdated,
  kCongestionStateUpdated,
  kConnectionStateUpdated,
  kKeyUpdated,
  kKeyDiscarded,
  kH3ParametersSet,
  kH3StreamTypeSet,
  kH3FrameCreated,
  kH3FrameParsed,
  kCount,
};

namespace {

constexpr char kRecordSeparator = 0x1e;  // RFC 7464 §2.2

// Indexed by QlogWriter::Event.
constexpr std::string_view kDraftNames[] = {
    "quic:packet_sent",
    "quic:packet_received",
    "quic:packet_dropped",
    "quic:packet_buffered",
    "quic:packet_lost",
    "quic:recovery_metrics_updated",
    "quic:congestion_state_updated",
    "quic:connection_state_updated",
    "quic:key_updated",
    "quic:key_discarded",
    "http3:parameters_set",
    "http3:stream_type_set",
    "http3:frame_created",
    "http3:frame_parsed",
};
constexpr std::string_view kLegacyNames[] = {
    "transport:packet_sent",
    "transport:packet_received",
    "transport:packet_dropped",
    "transport:packet_buffered",
    "recovery:packet_lost",
    "recovery:metrics_updated",
    "recovery:congestion_state_updated",
    "connectivity:connection_state_updated",
    "security:key_updated",
    "security:key_retired",
    "http:parameters_set",
    "http:stream_type_set",
    "http:frame_created",
    "http:frame_parsed",
};

// The event schemas of the drafts in shared/spec: draft URIs carry the draft number
// (quic-events and h3-events, "Draft Event Schema Identification"); both are editor's copies
// after -12.
constexpr std::string_view kQuicEventSchema = "urn:ietf:params:qlog:events:quic-13";
constexpr std::string_view kHttp3EventSchema = "urn:ietf:params:qlog:events:http3-13";

std::string_view DropTrigger(PacketDropReason reason) {
  // quic-events packet_dropped trigger values.
  switch (reason) {
    case PacketDropReason::kHeaderParseError: return "invalid";
    case PacketDropReason::kNoKeys: return "key_unavailable";
    case PacketDropReason::kDecryptionFailure: return "decryption_failure";
    case PacketDropReason::kDuplicate: return "duplicate";
    case PacketDropReason::kUnexpectedPacket: return "rejected";
    case PacketDropReason::kUnsupportedVersion: return "unsupported";
    case PacketDropReason::kConnectionClosed: return "general";
    case PacketDropReason::kBuffered: return "keys_unavailable";
  }
  return "general";
}

std::string_view StreamTypeName(Http3StreamType type) {
  switch (type) {
    case Http3StreamType::kRequest: return "request";
    case Http3StreamType::kControl: return "control";
    case Http3StreamType::kPush: return "push";
    case Http3StreamType::kReserved: return "reserved";
    case Http3StreamType::kUnknown: return "unknown";
    case Http3StreamType::kQpackEncode: return "qpack_encode";
    case Http3StreamType::kQpackDecode: return "qpack_decode";
  }
  return "unknown";
}

// RFC 9114 §7.2.8 / §11.2.4: reserved frame and setting identifiers are 0x1f * N + 0x21.
bool IsReservedHttp3Id(uint64_t id) { return id >= 0x21 && (id - 0x21) % 0x1f == 0; }

void AppendSetting(JsonWriter& w, const Http3Setting& s) {
  w.BeginObject();
  std::string_view name;
  switch (s.id) {
    case 0x01: name = "settings_qpack_max_table_capacity"; break;   // RFC 9204 §5
    case 0x06: name = "settings_max_field_section_size"; break;     // RFC 9114 §7.2.4.1
    case 0x07: name = "settings_qpack_blocked_streams"; break;      // RFC 9204 §5
    case 0x08: name = "settings_enable_connect_protocol"; break;    // RFC 9220 §5
    case 0x33: name = "settings_h3_datagram"; break;                // RFC 9297 §2.1.1
    default: name = IsReservedHttp3Id(s.id) ? "reserved" : "unknown"; break;
  }
  w.Field("name", name);
  if (name == "unknown" || name == "reserved") w.Field("name_bytes", s.id);
  w.Field("value", s.value);
  w.EndObject();
}

void AppendHttp3Fields(JsonWriter& w, absl::Span<const Http3Field> fields) {
  w.Key("headers");
  w.BeginArray();
  for (const Http3Field& f : fields) {
    w.BeginObject();
    w.Field("name", f.name);
    w.Field("value", f.value);
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

QlogWriter::QlogWriter(QlogOptions options, QlogSink* sink)
    : options_(std::move(options)), sink_(sink), reference_(options_.reference_time) {
  if (options_.odcid.has_value()) WriteHeader();
}

QlogWriter::~QlogWriter() { Flush(); }

std::string_view QlogWriter::NameOf(Event event) const {
  static_assert(std::size(kDraftNames) == static_cast<size_t>(Event::kCount));
  static_assert(std::size(kLegacyNames) == static_cast<size_t>(Event::kCount));
  size_t i = static_cast<size_t>(event);
  return options_.dialect == QlogDialect::kDraft ? kDraftNames[i] : kLegacyNames[i];
}

void QlogWriter::SetOriginalDestinationConnectionId(const ConnectionId& odcid) {
  if (header_written_) return;
  options_.odcid = odcid;
  WriteHeader();
}

void QlogWriter::Flush() {
  CloseReceivedPacket();
  if (!header_written_) WriteHeader();
  if (sink_ok_) sink_->Flush();
}

void QlogWriter::WriteHeader() {
  if (header_written_) return;
  header_written_ = true;
  const ConnectionId odcid = options_.odcid.value_or(ConnectionId());
  sink_ok_ = sink_->Open(odcid, options_.perspective).ok();

  line_.clear();
  line_.push_back(kRecordSeparator);
  JsonWriter w(&line_);
  const bool legacy = options_.dialect == QlogDialect::kQvisLegacy;
  w.BeginObject();
  // Main schema "QlogFileSeq schema": file_schema and serialization_format first (within the
  // first 256 bytes, "Abstract LogFile Class").
  w.Field("file_schema", "urn:ietf:params:qlog:file:sequential");
  w.Field("serialization_format", "application/qlog+json-seq");
  // Not in the current draft: qvis refuses a JSON-SEQ file unless the header carries
  // qlog_version (a version it knows, "0.3") and qlog_format "JSON-SEQ".
  w.Field("qlog_version", "0.3");
  w.Field("qlog_format", "JSON-SEQ");
  w.Field("title", std::string_view(options_.title));
  if (!options_.description.empty()) {
    w.Field("description", std::string_view(options_.description));
  }
  w.Key("trace");
  w.BeginObject();
  w.Key("vantage_point");
  w.BeginObject();
  w.Field("name", std::string_view(options_.vantage_point_name));
  w.Field("type", options_.perspective == Perspective::kClient ? "client" : "server");
  w.EndObject();
  w.Key("common_fields");
  w.BeginObject();
  std::string hex = odcid.ToHex();
  if (!odcid.empty()) {
    w.Field("ODCID", std::string_view(hex));
    w.Field("group_id", std::string_view(hex));
  }
  if (legacy) {
    // qlog 0.3: times relative to reference_time (ms); ours is the connection's first event.
    w.Field("time_format", "relative");
    w.Field("reference_time", uint64_t{0});
  } else {
    // Main schema "Timestamps": kite's clock is an injected monotonic one whose epoch the
    // writer does not know, so times count from the reference point.
    w.Field("time_format", "relative_to_epoch");
    w.Key("reference_time");
    w.BeginObject();
    w.Field("clock_type", "monotonic");
    w.Field("epoch", "unknown");
    w.EndObject();
  }
  w.EndObject();
  w.Key("event_schemas");
  w.BeginArray();
  w.String(kQuicEventSchema);
  w.String(kHttp3EventSchema);
  w.EndArray();
  w.EndObject();
  w.EndObject();
  line_.push_back('\n');

  if (sink_ok_) sink_->Write(line_);
  ++records_written_;
  if (!held_.empty()) {
    if (sink_ok_) sink_->Write(held_);
    records_written_ += held_records_;
    held_.clear();
    held_records_ = 0;
  }
}

void QlogWriter::Output(std::string_view bytes, uint64_t count) {
  if (bytes.empty()) return;
  if (!header_written_) {
    held_.append(bytes.data(), bytes.size());
    held_records_ += count;
    if (held_.size() > options_.max_held_bytes) WriteHeader();
    return;
  }
  if (sink_ok_) sink_->Write(bytes);
  records_written_ += count;
}

void QlogWriter::Commit(const std::string& record) {
  if (rx_open_) {
    deferred_.append(record);
    ++deferred_records_;
    return;
  }
  Output(record, 1);
}

void QlogWriter::BeginRecord(std::string* buf, absl::Time now, Event event) {
  if (!reference_.has_value()) reference_ = now;
  buf->clear();
  buf->push_back(kRecordSeparator);
  buf->append("{\"time\":");
  AppendMilliseconds(buf, now - *reference_);
  buf->append(",\"name\":");
  AppendJsonString(buf, NameOf(event));
  buf->append(",\"data\":{");
}

void QlogWriter::EndRecord(std::string* buf) { buf->append("}}\n"); }

void QlogWriter::AppendPacketHeader(JsonWriter& w, std::optional<PacketType> type,
                                    std::optional<uint64_t> pn, std::optional<bool> key_phase) {
  w.Key("header");
  w.BeginObject();
  // A packet whose header did not parse has no known type.
  w.Field("packet_type", type.has_value() ? PacketTypeName(*type) : std::string_view("unknown"));
  if (pn.has_value()) w.Field("packet_number", *pn);
  // quic-events PacketHeader: the bit itself for 1-RTT packets (the full phase is not known
  // per packet here).
  if (key_phase.has_value() && type == PacketType::kOneRtt) w.Field("key_phase_bit", *key_phase);
  w.EndObject();
}

void QlogWriter::AppendPacketBody(std::string* buf, JsonWriter& w, size_t size,
                                  std::string_view frames) {
  w.Key("raw");
  w.BeginObject();
  w.Field("length", static_cast<uint64_t>(size));
  w.EndObject();
  w.Key("frames");
  w.RawValue("[");
  buf->append(frames.data(), frames.size());
  buf->push_back(']');
}

void QlogWriter::AppendFrame(std::string* frames, size_t* count, const Frame& frame,
                             uint8_t exponent) {
  if (*count > 0) frames->push_back(',');
  JsonWriter w(frames);
  AppendQuicFrame(w, frame, exponent);
  ++*count;
}

// --- Packets ---

void QlogWriter::OnFrame(absl::Time /*now*/, const PacketInfo& packet, const Frame& frame,
                         bool sent) {
  if (sent) {
    // A packet the connection abandoned after writing frames leaves its frames behind; the
    // next packet's first frame replaces them.
    if (!tx_open_ || tx_type_ != packet.type || tx_pn_ != packet.packet_number) {
      tx_open_ = true;
      tx_type_ = packet.type;
      tx_pn_ = packet.packet_number;
      tx_frames_.clear();
      tx_frame_count_ = 0;
    }
    AppendFrame(&tx_frames_, &tx_frame_count_, frame, options_.local_ack_delay_exponent);
    return;
  }
  if (!rx_open_ || rx_info_.type != packet.type || rx_info_.packet_number != packet.packet_number) {
    return;  // not announced by OnPacketReceived
  }
  AppendFrame(&rx_frames_, &rx_frame_count_, frame, options_.peer_ack_delay_exponent);
}

void QlogWriter::OnPacketSent(absl::Time now, const PacketInfo& packet) {
  CloseReceivedPacket();
  const bool has_frames =
      tx_open_ && tx_type_ == packet.type && tx_pn_ == packet.packet_number;
  BeginRecord(&line_, now, Event::kPacketSent);
  JsonWriter w(&line_);
  AppendPacketHeader(w, packet.type, packet.packet_number, packet.key_phase);
  AppendPacketBody(&line_, w, packet.size, has_frames ? std::string_view(tx_frames_) : "");
  EndRecord(&line_);
  Output(line_, 1);
  tx_open_ = false;
  tx_frames_.clear();
  tx_frame_count_ = 0;
}

void QlogWriter::OnPacketReceived(absl::Time now, const PacketInfo& packet) {
  CloseReceivedPacket();
  if (!reference_.has_value()) reference_ = now;
  rx_open_ = true;
  rx_time_ = now;
  rx_info_ = packet;
  rx_frames_.clear();
  rx_frame_count_ = 0;
}

void QlogWriter::CloseReceivedPacket() {
  if (!rx_open_) return;
  rx_open_ = false;
  BeginRecord(&line_, rx_time_, Event::kPacketReceived);
  JsonWriter w(&line_);
  AppendPacketHeader(w, rx_info_.type, rx_info_.packet_number, rx_info_.key_phase);
  AppendPacketBody(&line_, w, rx_info_.size, rx_frames_);
  EndRecord(&line_);
  Output(line_, 1);
  Output(deferred_, deferred_records_);
  deferred_.clear();
  deferred_records_ = 0;
  rx_frames_.clear();
  rx_frame_count_ = 0;
}

void QlogWriter::OnPacketDropped(absl::Time now, PacketType type, size_t size,
                                 PacketDropReason reason) {
  CloseReceivedPacket();
  const bool buffered = reason == PacketDropReason::kBuffered;
  BeginRecord(&line_, now, buffered ? Event::kPacketBuffered : Event::kPacketDropped);
  JsonWriter w(&line_);
  AppendPacketHeader(w,
                     reason == PacketDropReason::kHeaderParseError ? std::nullopt
                                                                   : std::optional(type),
                     std::nullopt, std::nullopt);
  w.Key("raw");
  w.BeginObject();
  w.Field("length", static_cast<uint64_t>(size));
  w.EndObject();
  w.Field("trigger", DropTrigger(reason));
  if (reason == PacketDropReason::kConnectionClosed) {
    w.Key("details");
    w.BeginObject();
    w.Field("reason", "connection_closed");
    w.EndObject();
  }
  EndRecord(&line_);
  Output(line_, 1);
}

void QlogWriter::OnPacketLost(absl::Time now, PacketType type, uint64_t pn, size_t /*bytes*/) {
  BeginRecord(&line_, now, Event::kPacketLost);
  JsonWriter w(&line_);
  AppendPacketHeader(w, type, pn, std::nullopt);
  EndRecord(&line_);
  Commit(line_);
}

// --- Recovery ---

void QlogWriter::OnRecoveryMetrics(absl::Time now, uint64_t cwnd, uint64_t bytes_in_flight,
                                   absl::Duration smoothed_rtt, absl::Duration min_rtt,
                                   absl::Duration latest_rtt, absl::Duration rttvar,
                                   uint32_t pto_count) {
  BeginRecord(&line_, now, Event::kMetricsUpdated);
  const size_t empty_size = line_.size();
  JsonWriter w(&line_);
  // quic-events recovery_metrics_updated: only what changed since the last event.
  auto duration = [&](std::string_view key, absl::Duration v, std::optional<absl::Duration>& last) {
    if (v == absl::InfiniteDuration() || (last.has_value() && *last == v)) return;
    last = v;
    w.MsField(key, v);
  };
  duration("min_rtt", min_rtt, min_rtt_);
  duration("smoothed_rtt", smoothed_rtt, smoothed_rtt_);
  duration("latest_rtt", latest_rtt, latest_rtt_);
  duration("rtt_variance", rttvar, rttvar_);
  if (!pto_count_.has_value() || *pto_count_ != pto_count) {
    pto_count_ = pto_count;
    w.Field("pto_count", static_cast<uint64_t>(pto_count));
  }
  if (!cwnd_.has_value() || *cwnd_ != cwnd) {
    cwnd_ = cwnd;
    w.Field("congestion_window", cwnd);
  }
  if (!bytes_in_flight_.has_value() || *bytes_in_flight_ != bytes_in_flight) {
    bytes_in_flight_ = bytes_in_flight;
    w.Field("bytes_in_flight", bytes_in_flight);
  }
  if (line_.size() == empty_size) return;  // nothing changed
  EndRecord(&line_);
  Commit(line_);
}

void QlogWriter::OnCongestionStateChanged(absl::Time now, std::string_view state) {
  if (state == congestion_state_) return;
  BeginRecord(&line_, now, Event::kCongestionStateUpdated);
  JsonWriter w(&line_);
  if (!congestion_state_.empty()) w.Field("old", std::string_view(congestion_state_));
  w.Field("new", state);
  EndRecord(&line_);
  congestion_state_.assign(state.data(), state.size());
  Commit(line_);
}

// --- Connection and keys ---

void QlogWriter::OnConnectionStateChanged(absl::Time now, std::string_view state) {
  BeginRecord(&line_, now, Event::kConnectionStateUpdated);
  JsonWriter w(&line_);
  if (!connection_state_.empty()) w.Field("old", std::string_view(connection_state_));
  w.Field("new", state);
  EndRecord(&line_);
  connection_state_.assign(state.data(), state.size());
  Commit(line_);
}

std::string_view QlogWriter::SelfSecret(std::string_view level) const {
  const bool client = options_.perspective == Perspective::kClient;
  if (level == "initial") return client ? "client_initial_secret" : "server_initial_secret";
  if (level == "handshake") return client ? "client_handshake_secret" : "server_handshake_secret";
  return client ? "client_1rtt_secret" : "server_1rtt_secret";
}

void QlogWriter::OnKeyUpdated(absl::Time now, std::string_view key_type, uint64_t generation) {
  const bool client = options_.perspective == Perspective::kClient;
  const bool legacy = options_.dialect == QlogDialect::kQvisLegacy;
  auto emit = [&](Event event, std::string_view qlog_key_type, std::string_view trigger,
                  std::optional<uint64_t> phase) {
    BeginRecord(&line_, now, event);
    JsonWriter w(&line_);
    w.Field("key_type", qlog_key_type);
    if (phase.has_value()) w.Field(legacy ? "generation" : "key_phase", *phase);
    w.Field("trigger", trigger);
    EndRecord(&line_);
    Commit(line_);
  };
  // The connection's strings (connection_observer.h): "1rtt_local" and "1rtt_remote" carry the
  // new key phase generation (RFC 9001 §6); "<level>_discarded" reports both directions'
  // keys of a level dropped (RFC 9001 §4.9).
  if (key_type == "1rtt_local") {
    // We initiated: our write keys moved on; our read keys follow when the peer responds.
    emit(Event::kKeyUpdated, SelfSecret("1rtt"), "local_update", generation);
  } else if (key_type == "1rtt_remote") {
    // The peer initiated: its keys (our read side) and, in response, ours moved on.
    emit(Event::kKeyUpdated, client ? "server_1rtt_secret" : "client_1rtt_secret",
         "remote_update", generation);
    emit(Event::kKeyUpdated, SelfSecret("1rtt"), "remote_update", generation);
  } else if (key_type == "initial_discarded" || key_type == "handshake_discarded") {
    const bool initial = key_type == "initial_discarded";
    emit(Event::kKeyDiscarded, initial ? "client_initial_secret" : "client_handshake_secret",
         "tls", std::nullopt);
    emit(Event::kKeyDiscarded, initial ? "server_initial_secret" : "server_handshake_secret",
         "tls", std::nullopt);
  } else {
    // $KeyType is extensible: pass an unknown report through under its own name.
    emit(Event::kKeyUpdated, key_type, "tls", generation);
  }
}

// --- HTTP/3 ---

void QlogWriter::OnHttp3ParametersSet(absl::Time now, bool local,
                                      absl::Span<const Http3Setting> settings) {
  BeginRecord(&line_, now, Event::kH3ParametersSet);
  JsonWriter w(&line_);
  w.Field("initiator", local ? "local" : "remote");
  // h3-events parameters_set: known settings by field name; any others may appear too, so
  // unknown ones go under their numeric identifier.
  for (const Http3Setting& s : settings) {
    switch (s.id) {
      case 0x01: w.Field("max_table_capacity", s.value); break;
      case 0x06: w.Field("max_field_section_size", s.value); break;
      case 0x07: w.Field("blocked_streams_count", s.value); break;
      case 0x08: w.Field("extended_connect", s.value); break;
      case 0x33: w.Field("h3_datagram", s.value); break;
      default: {
        char key[32];
        int n = std::snprintf(key, sizeof(key), "0x%llx", static_cast<unsigned long long>(s.id));
        w.Field(std::string_view(key, static_cast<size_t>(n)), s.value);
        break;
      }
    }
  }
  EndRecord(&line_);
  Commit(line_);
}

void QlogWriter::OnHttp3StreamTypeSet(absl::Time now, uint64_t stream_id, bool local,
                                      Http3StreamType type, uint64_t type_bytes) {
  BeginRecord(&line_, now, Event::kH3StreamTypeSet);
  JsonWriter w(&line_);
  w.Field("initiator", local ? "local" : "remote");
  w.Field("stream_id", stream_id);
  w.Field(options_.dialect == QlogDialect::kDraft ? "stream_type" : "new", StreamTypeName(type));
  if (type == Http3StreamType::kUnknown) w.Field("stream_type_bytes", type_bytes);
  EndRecord(&line_);
  Commit(line_);
}

void QlogWriter::OnHttp3FrameCreated(absl::Time now, uint64_t stream_id,
                                     const Http3FrameInfo& frame) {
  Http3Frame(now, Event::kH3FrameCreated, stream_id, frame);
}

void QlogWriter::OnHttp3FrameParsed(absl::Time now, uint64_t stream_id,
                                    const Http3FrameInfo& frame) {
  Http3Frame(now, Event::kH3FrameParsed, stream_id, frame);
}

void QlogWriter::Http3Frame(absl::Time now, Event event, uint64_t stream_id,
                            const Http3FrameInfo& frame) {
  BeginRecord(&line_, now, event);
  JsonWriter w(&line_);
  w.Field("stream_id", stream_id);
  w.Key("frame");
  w.BeginObject();
  switch (frame.type) {
    case kHttp3FrameData:
      w.Field("frame_type", "data");
      break;
    case kHttp3FrameHeaders:
      w.Field("frame_type", "headers");
      AppendHttp3Fields(w, frame.headers);
      break;
    case kHttp3FrameCancelPush:
      w.Field("frame_type", "cancel_push");
      w.Field("push_id", frame.id);
      break;
    case kHttp3FrameSettings:
      w.Field("frame_type", "settings");
      w.Key("settings");
      w.BeginArray();
      for (const Http3Setting& s : frame.settings) AppendSetting(w, s);
      w.EndArray();
      break;
    case kHttp3FramePushPromise:
      w.Field("frame_type", "push_promise");
      w.Field("push_id", frame.id);
      AppendHttp3Fields(w, frame.headers);
      break;
    case kHttp3FrameGoaway:
      w.Field("frame_type", "goaway");
      w.Field("id", frame.id);
      break;
    case kHttp3FrameMaxPushId:
      w.Field("frame_type", "max_push_id");
      w.Field("push_id", frame.id);
      break;
    case kHttp3FramePriorityUpdateRequest:
    case kHttp3FramePriorityUpdatePush:
      w.Field("frame_type", "priority_update");
      w.Field(frame.type == kHttp3FramePriorityUpdateRequest ? "stream_id" : "push_id", frame.id);
      w.Field("priority_field_value", frame.priority_field_value);
      break;
    default:
      w.Field("frame_type", IsReservedHttp3Id(frame.type) ? "reserved" : "unknown");
      w.Field("frame_type_bytes", frame.type);
      break;
  }
  w.Key("raw");
  w.BeginObject();
  w.Field("payload_length", frame.payload_length);
  w.EndObject();
  w.EndObject();
  EndRecord(&line_);
  Commit(line_);
}

}  // namespace kite::quic::qlog
