#include "quic/codec/frames.h"

namespace kite::quic {

bool operator==(const PaddingFrame& a, const PaddingFrame& b) { return a.length == b.length; }
bool operator==(const PingFrame&, const PingFrame&) { return true; }
bool operator==(const AckRange& a, const AckRange& b) {
  return a.smallest == b.smallest && a.largest == b.largest;
}
bool operator==(const EcnCounts& a, const EcnCounts& b) {
  return a.ect0 == b.ect0 && a.ect1 == b.ect1 && a.ecn_ce == b.ecn_ce;
}
bool operator==(const AckFrame& a, const AckFrame& b) {
  return a.ranges == b.ranges && a.ack_delay == b.ack_delay && a.ecn == b.ecn;
}
bool operator==(const ResetStreamFrame& a, const ResetStreamFrame& b) {
  return a.stream_id == b.stream_id && a.application_error_code == b.application_error_code &&
         a.final_size == b.final_size;
}
bool operator==(const StopSendingFrame& a, const StopSendingFrame& b) {
  return a.stream_id == b.stream_id && a.application_error_code == b.application_error_code;
}
bool operator==(const CryptoFrame& a, const CryptoFrame& b) {
  return a.offset == b.offset && a.data == b.data;
}
bool operator==(const NewTokenFrame& a, const NewTokenFrame& b) { return a.token == b.token; }
bool operator==(const StreamFrame& a, const StreamFrame& b) {
  return a.stream_id == b.stream_id && a.offset == b.offset && a.data == b.data &&
         a.fin == b.fin && a.has_length == b.has_length;
}
bool operator==(const MaxDataFrame& a, const MaxDataFrame& b) {
  return a.maximum_data == b.maximum_data;
}
bool operator==(const MaxStreamDataFrame& a, const MaxStreamDataFrame& b) {
  return a.stream_id == b.stream_id && a.maximum_stream_data == b.maximum_stream_data;
}
bool operator==(const MaxStreamsFrame& a, const MaxStreamsFrame& b) {
  return a.bidirectional == b.bidirectional && a.maximum_streams == b.maximum_streams;
}
bool operator==(const DataBlockedFrame& a, const DataBlockedFrame& b) {
  return a.maximum_data == b.maximum_data;
}
bool operator==(const StreamDataBlockedFrame& a, const StreamDataBlockedFrame& b) {
  return a.stream_id == b.stream_id && a.maximum_stream_data == b.maximum_stream_data;
}
bool operator==(const StreamsBlockedFrame& a, const StreamsBlockedFrame& b) {
  return a.bidirectional == b.bidirectional && a.maximum_streams == b.maximum_streams;
}
bool operator==(const NewConnectionIdFrame& a, const NewConnectionIdFrame& b) {
  return a.sequence_number == b.sequence_number && a.retire_prior_to == b.retire_prior_to &&
         a.connection_id == b.connection_id && a.stateless_reset_token == b.stateless_reset_token;
}
bool operator==(const RetireConnectionIdFrame& a, const RetireConnectionIdFrame& b) {
  return a.sequence_number == b.sequence_number;
}
bool operator==(const PathChallengeFrame& a, const PathChallengeFrame& b) {
  return a.data == b.data;
}
bool operator==(const PathResponseFrame& a, const PathResponseFrame& b) {
  return a.data == b.data;
}
bool operator==(const ConnectionCloseFrame& a, const ConnectionCloseFrame& b) {
  // The Frame Type field exists only in the transport variant (0x1c).
  return a.is_application == b.is_application && a.error_code == b.error_code &&
         (a.is_application || a.frame_type == b.frame_type) && a.reason_phrase == b.reason_phrase;
}
bool operator==(const HandshakeDoneFrame&, const HandshakeDoneFrame&) { return true; }
bool operator==(const DatagramFrame& a, const DatagramFrame& b) {
  return a.data == b.data && a.has_length == b.has_length;
}

}  // namespace kite::quic
