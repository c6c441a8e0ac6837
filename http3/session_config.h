// Configuration of an HTTP/3 session: plain values with documented defaults.
#ifndef KITE_HTTP3_SESSION_CONFIG_H_
#define KITE_HTTP3_SESSION_CONFIG_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "http3/frame_reader.h"
#include "http3/settings.h"

namespace kite::http3 {

struct SessionConfig {
  // What we advertise in SETTINGS (RFC 9114 §7.2.4). The QPACK decoder enforces the table
  // capacity, blocked streams and field section size given here.
  Settings settings = DefaultSettings();
  // How much QPACK table our encoder uses at most, whatever the peer allows.
  uint64_t qpack_encoder_table_capacity = 4096;
  // Bound on a buffered (non-DATA) frame's payload; above it: H3_EXCESSIVE_LOAD.
  uint64_t max_frame_payload = kDefaultMaxBufferedFramePayload;
  // Per stream, bytes handed to the transport and not yet acknowledged before we hold the
  // rest in our own queue (send-side backpressure).
  uint64_t stream_send_window = 256 * 1024;
  // RFC 9114 §7.2.4.1, §7.2.8: send a reserved setting and a reserved frame on the control
  // stream so peers keep ignoring unknown ones.
  bool send_grease = true;
  // Bound on PRIORITY_UPDATE frames kept for request streams not yet opened (RFC 9218 §7.1).
  size_t max_pending_priority_updates = 128;
  // Client, optional: the ticket given as ConnectionConfig::resumption_session. The session
  // reads the remembered SETTINGS from the connection (remembered_application_data); this is
  // only consulted when the connection has none.
  std::vector<uint8_t> resumption_ticket;

  static Settings DefaultSettings() {
    Settings s;
    s.qpack_max_table_capacity = 4096;
    s.qpack_blocked_streams = 16;
    s.max_field_section_size = 64 * 1024;
    return s;
  }
};

}  // namespace kite::http3

#endif  // KITE_HTTP3_SESSION_CONFIG_H_
