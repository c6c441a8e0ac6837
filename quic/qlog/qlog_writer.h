// QlogWriter: a ConnectionObserver that writes one connection's events as a qlog JSON-SEQ trace
// (draft-ietf-quic-qlog-main-schema "QlogFileSeq", RFC 7464 records: 0x1E, JSON text, '\n'),
// with the event definitions of draft-ietf-quic-qlog-quic-events and -h3-events.
//
// The first record is the header (file_schema, serialization_format, title, trace with
// vantage_point, common_fields with the ODCID and the time format, event_schemas); every
// later record is one event {"time": ms since the reference time, "name", "data"}.
//
// Packet events are assembled from the observer's call order: a sent packet's frames arrive
// (OnFrame, sent) before OnPacketSent; a received packet's frames arrive after
// OnPacketReceived. A received packet's record is therefore held open until the next packet
// event (or Flush) and events reported while it is open (an ACK's metrics, lost packets, state
// changes) are written right after it, so records stay in the order things happened.
//
// Records are built in reused buffers; the writer allocates only while its buffers grow.
// It never reads a clock: times come from the observer calls.
//
// Use (one writer per connection; the writer and its sink must outlive the connection):
//   DirectorySink sink("/var/qlog");           // or StringSink in tests
//   QlogOptions o;
//   o.perspective = Perspective::kServer;
//   o.odcid = original_dcid;                   // server: the client's first DCID
//   QlogWriter qlog(o, &sink);
//   config.observer = &qlog;                   // ConnectionConfig
//   ... Connection::Accept(config, ...) ...
// A client learns its ODCID only after Connection::Connect: create the writer without one and
// call SetOriginalDestinationConnectionId once known (records are held until then).
// The HTTP/3 layer calls the OnHttp3* methods on the same writer.
#ifndef KITE_QUIC_QLOG_QLOG_WRITER_H_
#define KITE_QUIC_QLOG_QLOG_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "quic/codec/connection_id.h"
#include "quic/codec/frames.h"
#include "quic/codec/packet_type.h"
#include "quic/codec/perspective.h"
#include "quic/connection/connection_observer.h"
#include "quic/qlog/http3_event_types.h"
#include "quic/qlog/json_writer.h"
#include "quic/qlog/qlog_sink.h"

namespace kite::quic::qlog {

// Which event names and header conventions to write.
enum class QlogDialect : uint8_t {
  // The drafts in shared/spec: "quic:packet_sent", "quic:recovery_metrics_updated",
  // "quic:key_updated", "http3:frame_created"; time_format "relative_to_epoch" against a
  // monotonic reference with an unknown epoch.
  kDraft,
  // qlog 0.3 (draft-02 names) as qvis reads them: "transport:packet_sent",
  // "recovery:metrics_updated", "security:key_updated", "connectivity:connection_state_updated",
  // "http:frame_created"; time_format "relative" with reference_time 0.
  kQvisLegacy,
};

struct QlogOptions {
  Perspective perspective = Perspective::kClient;
  // The Original Destination Connection ID, when known up front (a server knows it from the
  // client's first Initial, or, after a Retry, from its token: RFC 9000 §7.3). Otherwise call
  // SetOriginalDestinationConnectionId.
  std::optional<ConnectionId> odcid;
  std::string title = "kite";
  std::string description;
  std::string vantage_point_name = "kite";
  QlogDialect dialect = QlogDialect::kDraft;
  // Event times are measured from here; by default from the first event.
  std::optional<absl::Time> reference_time;
  // RFC 9000 §18.2 ack_delay_exponent of our ACKs and of the peer's (default 3 until the peer's
  // transport parameters say otherwise: SetPeerAckDelayExponent).
  uint8_t local_ack_delay_exponent = 3;
  uint8_t peer_ack_delay_exponent = 3;
  // Until the ODCID is known records are held in memory; past this many bytes the header is
  // written without it.
  size_t max_held_bytes = 1 << 20;
};

class QlogWriter : public ConnectionObserver {
 public:
  // `sink` must outlive the writer.
  QlogWriter(QlogOptions options, QlogSink* sink);
  ~QlogWriter() override;
  QlogWriter(const QlogWriter&) = delete;
  QlogWriter& operator=(const QlogWriter&) = delete;

  // Settles the trace identity; writes the header and any held records. Ignored once the
  // header is out.
  void SetOriginalDestinationConnectionId(const ConnectionId& odcid);
  void SetPeerAckDelayExponent(uint8_t exponent) { options_.peer_ack_delay_exponent = exponent; }
  // Closes the open received packet, writes the header if it is still pending, flushes the sink.
  void Flush();

  // --- ConnectionObserver ---
  void OnPacketSent(absl::Time now, const PacketInfo& packet) override;
  void OnPacketReceived(absl::Time now, const PacketInfo& packet) override;
  void OnPacketDropped(absl::Time now, PacketType type, size_t size,
                       PacketDropReason reason) override;
  void OnFrame(absl::Time now, const PacketInfo& packet, const Frame& frame, bool sent) override;
  void OnPacketLost(absl::Time now, PacketType type, uint64_t pn, size_t bytes) override;
  void OnRecoveryMetrics(absl::Time now, uint64_t cwnd, uint64_t bytes_in_flight,
                         absl::Duration smoothed_rtt, absl::Duration min_rtt,
                         absl::Duration latest_rtt, absl::Duration rttvar,
                         uint32_t pto_count) override;
  void OnCongestionStateChanged(absl::Time now, std::string_view state) override;
  void OnConnectionStateChanged(absl::Time now, std::string_view state) override;
  void OnKeyUpdated(absl::Time now, std::string_view key_type, uint64_t generation) override;

  // --- HTTP/3 (draft-ietf-quic-qlog-h3-events), called by the HTTP/3 layer ---
  // SETTINGS sent (`local`) or received.
  void OnHttp3ParametersSet(absl::Time now, bool local, absl::Span<const Http3Setting> settings);
  // `type_bytes` is the wire stream type, logged when `type` is kUnknown.
  void OnHttp3StreamTypeSet(absl::Time now, uint64_t stream_id, bool local, Http3StreamType type,
                            uint64_t type_bytes = 0);
  void OnHttp3FrameCreated(absl::Time now, uint64_t stream_id, const Http3FrameInfo& frame);
  void OnHttp3FrameParsed(absl::Time now, uint64_t stream_id, const Http3FrameInfo& frame);

  // Records handed to the sink so far (the header included).
  uint64_t records_written() const { return records_written_; }

 private:
  enum class Event : uint8_t;

  std::string_view NameOf(Event event) const;
  // Starts `buf` with RS and {"time":..,"name":..,"data":{ ; the caller closes with EndRecord.
  void BeginRecord(std::string* buf, absl::Time now, Event event);
  static void EndRecord(std::string* buf);
  // Writes a finished record, after the open received packet if there is one.
  void Commit(const std::string& record);
  // Hands bytes holding `count` records to the sink, or holds them until the header is out.
  void Output(std::string_view bytes, uint64_t count);
  void WriteHeader();
  void CloseReceivedPacket();
  // "header":{...} (an unset type is logged as "unknown").
  static void AppendPacketHeader(JsonWriter& w, std::optional<PacketType> type,
                                 std::optional<uint64_t> pn, std::optional<bool> key_phase);
  // "raw":{"length":size},"frames":[frames]
  static void AppendPacketBody(std::string* buf, JsonWriter& w, size_t size,
                               std::string_view frames);
  void AppendFrame(std::string* frames, size_t* count, const Frame& frame, uint8_t exponent);
  void Http3Frame(absl::Time now, Event event, uint64_t stream_id, const Http3FrameInfo& frame);
  std::string_view SelfSecret(std::string_view level) const;

  QlogOptions options_;
  QlogSink* sink_;
  bool header_written_ = false;
  bool sink_ok_ = true;
  std::optional<absl::Time> reference_;
  uint64_t records_written_ = 0;

  std::string line_;  // the record being built

  // Held before the header can be written.
  std::string held_;
  uint64_t held_records_ = 0;

  // The sent packet whose frames are arriving.
  bool tx_open_ = false;
  PacketType tx_type_ = PacketType::kInitial;
  uint64_t tx_pn_ = 0;
  std::string tx_frames_;
  size_t tx_frame_count_ = 0;

  // The received packet whose frames are arriving, and what happened meanwhile.
  bool rx_open_ = false;
  absl::Time rx_time_;
  PacketInfo rx_info_;
  std::string rx_frames_;
  size_t rx_frame_count_ = 0;
  std::string deferred_;
  uint64_t deferred_records_ = 0;

  // Last reported recovery metrics (only changes are logged).
  std::optional<uint64_t> cwnd_;
  std::optional<uint64_t> bytes_in_flight_;
  std::optional<absl::Duration> smoothed_rtt_;
  std::optional<absl::Duration> min_rtt_;
  std::optional<absl::Duration> latest_rtt_;
  std::optional<absl::Duration> rttvar_;
  std::optional<uint32_t> pto_count_;

  std::string connection_state_;
  std::string congestion_state_;
};

}  // namespace kite::quic::qlog

#endif  // KITE_QUIC_QLOG_QLOG_WRITER_H_
