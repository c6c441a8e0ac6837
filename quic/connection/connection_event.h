// What a connection tells its application, pulled with Connection::PollEvent().
#ifndef KITE_QUIC_CONNECTION_CONNECTION_EVENT_H_
#define KITE_QUIC_CONNECTION_CONNECTION_EVENT_H_

#include <cstdint>
#include <string>
#include <vector>

namespace kite::quic {

// Why a connection ended.
struct CloseInfo {
  bool by_peer = false;
  bool is_application = false;
  uint64_t error_code = 0;
  uint64_t frame_type = 0;
  std::string reason;
  // Ended without a CONNECTION_CLOSE: idle timeout or stateless reset.
  bool idle_timeout = false;
  bool stateless_reset = false;
};

struct ConnectionEvent {
  enum class Type : uint8_t {
    kHandshakeCompleted,
    kHandshakeConfirmed,
    kStreamOpened,     // the peer opened stream_id
    kStreamReadable,   // new data (or FIN) on stream_id
    kStreamWritable,   // stream_id has room again / flow control credit
    kStreamReset,      // the peer reset stream_id with error_code
    kStopSending,      // the peer asked us to stop sending on stream_id (error_code)
    kDatagramReceived, // data
    kNewSessionTicket, // client: data is a resumption ticket for ConnectionConfig
    kZeroRttRejected,  // client: the server refused 0-RTT; the data is resent in 1-RTT
    kNewToken,         // client: data is a NEW_TOKEN token for ConnectionConfig::address_token
    kClosed,           // close
  };
  explicit ConnectionEvent(Type t) : type(t) {}

  Type type;
  uint64_t stream_id = 0;
  uint64_t error_code = 0;
  std::vector<uint8_t> data;
  CloseInfo close;
};

}  // namespace kite::quic

#endif  // KITE_QUIC_CONNECTION_CONNECTION_EVENT_H_
