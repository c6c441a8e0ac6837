// TLS key logging in the SSLKEYLOGFILE format (NSS key log), for Wireshark/tshark decryption.
// Lines look like "CLIENT_HANDSHAKE_TRAFFIC_SECRET <client_random hex> <secret hex>" (no newline
// in what a sink receives).
#ifndef KITE_TLS_KEY_LOG_H_
#define KITE_TLS_KEY_LOG_H_

#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace kite::tls {

// Receives one key log line per call. It may be called from any thread that drives a
// handshake on a context using it, so it must be thread-safe.
using KeyLogSink = std::function<void(std::string_view line)>;

// Appends key log lines to a file. The file is opened once (created with mode 0600: it holds
// secrets) and each line is flushed as it is written so tools can follow it live.
class KeyLogFile {
 public:
  static absl::StatusOr<std::shared_ptr<KeyLogFile>> Open(const std::string& path);
  ~KeyLogFile();
  KeyLogFile(const KeyLogFile&) = delete;
  KeyLogFile& operator=(const KeyLogFile&) = delete;

  void Write(std::string_view line);

  // A sink that keeps this file alive for as long as the sink exists.
  static KeyLogSink AsSink(std::shared_ptr<KeyLogFile> file);

 private:
  explicit KeyLogFile(std::FILE* file) : file_(file) {}

  std::mutex mu_;
  std::FILE* file_;
};

}  // namespace kite::tls

#endif  // KITE_TLS_KEY_LOG_H_
