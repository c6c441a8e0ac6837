#include "quic/codec/frame_type.h"

namespace kite::quic {

std::string_view FrameTypeName(uint64_t type) {
  if (IsStreamFrameType(type)) return "stream";
  switch (type) {
    case kFrameTypePadding: return "padding";
    case kFrameTypePing: return "ping";
    case kFrameTypeAck:
    case kFrameTypeAckEcn: return "ack";
    case kFrameTypeResetStream: return "reset_stream";
    case kFrameTypeStopSending: return "stop_sending";
    case kFrameTypeCrypto: return "crypto";
    case kFrameTypeNewToken: return "new_token";
    case kFrameTypeMaxData: return "max_data";
    case kFrameTypeMaxStreamData: return "max_stream_data";
    case kFrameTypeMaxStreamsBidi:
    case kFrameTypeMaxStreamsUni: return "max_streams";
    case kFrameTypeDataBlocked: return "data_blocked";
    case kFrameTypeStreamDataBlocked: return "stream_data_blocked";
    case kFrameTypeStreamsBlockedBidi:
    case kFrameTypeStreamsBlockedUni: return "streams_blocked";
    case kFrameTypeNewConnectionId: return "new_connection_id";
    case kFrameTypeRetireConnectionId: return "retire_connection_id";
    case kFrameTypePathChallenge: return "path_challenge";
    case kFrameTypePathResponse: return "path_response";
    case kFrameTypeConnectionCloseTransport:
    case kFrameTypeConnectionCloseApplication: return "connection_close";
    case kFrameTypeHandshakeDone: return "handshake_done";
    case kFrameTypeDatagram:
    case kFrameTypeDatagramWithLength: return "datagram";
    default: return "unknown";
  }
}

}  // namespace kite::quic
