// Where a QlogWriter's JSON-SEQ bytes go (RFC 7464 records, already framed).
#ifndef KITE_QUIC_QLOG_QLOG_SINK_H_
#define KITE_QUIC_QLOG_QLOG_SINK_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "quic/codec/connection_id.h"
#include "quic/codec/perspective.h"

namespace kite::quic::qlog {

class QlogSink {
 public:
  virtual ~QlogSink() = default;

  // Called once, before the first Write, when the trace's identity is settled. `odcid` is empty
  // when the writer had to start before it learned the Original Destination Connection ID.
  // A sink that fails here drops every later Write (the connection must not fail for logging).
  virtual absl::Status Open(const ConnectionId& odcid, Perspective perspective) {
    (void)odcid;
    (void)perspective;
    return absl::OkStatus();
  }
  // One or more complete records.
  virtual void Write(std::string_view bytes) = 0;
  virtual void Flush() {}
};

// Keeps everything in memory (tests, short-lived tools).
class StringSink : public QlogSink {
 public:
  void Write(std::string_view bytes) override { contents_.append(bytes.data(), bytes.size()); }
  const std::string& contents() const { return contents_; }
  void clear() { contents_.clear(); }

 private:
  std::string contents_;
};

}  // namespace kite::quic::qlog

#endif  // KITE_QUIC_QLOG_QLOG_SINK_H_
