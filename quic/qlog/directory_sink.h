// A QlogSink writing one file per connection into a directory, named
// `<odcid hex>_<client|server>.sqlog` (the ".sqlog" suffix of the main schema's JSON-SEQ
// mapping, and the per-connection naming its QLOGDIR section suggests).
//
// This is the one place in quic/ that touches the file system; it is a separate target so the
// writer itself stays I/O-free.
#ifndef KITE_QUIC_QLOG_DIRECTORY_SINK_H_
#define KITE_QUIC_QLOG_DIRECTORY_SINK_H_

#include <cstdio>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "quic/codec/connection_id.h"
#include "quic/codec/perspective.h"
#include "quic/qlog/qlog_sink.h"

namespace kite::quic::qlog {

// The file name (no directory) for a connection's trace; "unknown" stands in for an empty ODCID.
std::string QlogFileName(const ConnectionId& odcid, Perspective perspective);

class DirectorySink : public QlogSink {
 public:
  explicit DirectorySink(std::string directory) : directory_(std::move(directory)) {}
  ~DirectorySink() override;
  DirectorySink(const DirectorySink&) = delete;
  DirectorySink& operator=(const DirectorySink&) = delete;

  absl::Status Open(const ConnectionId& odcid, Perspective perspective) override;
  void Write(std::string_view bytes) override;
  void Flush() override;

  // The full path of the file, once opened.
  const std::string& path() const { return path_; }
  // Whether a write failed (disk full, ...); later writes are dropped.
  bool failed() const { return failed_; }

 private:
  std::string directory_;
  std::string path_;
  std::FILE* file_ = nullptr;
  bool failed_ = false;
};

}  // namespace kite::quic::qlog

#endif  // KITE_QUIC_QLOG_DIRECTORY_SINK_H_
