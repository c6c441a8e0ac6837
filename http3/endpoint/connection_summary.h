// What one connection negotiated and did, in a form both endpoints log: the server one line per
// connection when it closes, the client with -v.
#ifndef KITE_HTTP3_ENDPOINT_CONNECTION_SUMMARY_H_
#define KITE_HTTP3_ENDPOINT_CONNECTION_SUMMARY_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "quic/connection/connection.h"

namespace kite::http3 {

struct ConnectionSummary {
  std::string version;  // "v1", "v2" or hex
  std::string cipher;   // TLS cipher suite name, "" before the handshake
  std::string alpn;
  bool resumed = false;
  bool early_data_attempted = false;
  bool early_data_accepted = false;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  uint64_t packets_sent = 0;
  uint64_t packets_lost = 0;
  uint64_t handshake_round_trips = 0;
  uint64_t migrations = 0;
  uint64_t key_updates = 0;
  absl::Duration smoothed_rtt;
  absl::Duration min_rtt;
  std::string close_reason;  // "" while open
};

ConnectionSummary Summarize(const quic::Connection& connection);
std::string VersionName(uint32_t version);
// "version=v1 cipher=TLS_AES_128_GCM_SHA256 alpn=h3 0rtt=accepted ..." on one line.
std::string FormatSummary(const ConnectionSummary& summary);
// A duration in milliseconds with two decimals, e.g. "1.25ms".
std::string FormatMillis(absl::Duration d);

}  // namespace kite::http3

#endif  // KITE_HTTP3_ENDPOINT_CONNECTION_SUMMARY_H_
