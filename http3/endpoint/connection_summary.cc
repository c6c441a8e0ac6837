#include "http3/endpoint/connection_summary.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "quic/codec/packet_type.h"
#include "tls/cipher_suite.h"

namespace kite::http3 {

std::string VersionName(uint32_t version) {
  if (version == quic::kQuicVersion1) return "v1";
  if (version == quic::kQuicVersion2) return "v2";
  return absl::StrCat("0x", absl::Hex(version));
}

std::string FormatMillis(absl::Duration d) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.2fms", absl::ToDoubleMilliseconds(d));
  return buf;
}

ConnectionSummary Summarize(const quic::Connection& c) {
  ConnectionSummary s;
  s.version = VersionName(c.version());
  if (c.cipher_suite() != 0) {
    absl::StatusOr<const tls::CipherSuite*> suite = tls::CipherSuiteByProtocolId(c.cipher_suite());
    s.cipher = suite.ok() ? (*suite)->name : absl::StrCat("0x", absl::Hex(c.cipher_suite()));
  }
  s.alpn = std::string(c.alpn());
  s.resumed = c.is_resumed();
  s.early_data_attempted = c.early_data_attempted();
  s.early_data_accepted = c.early_data_accepted();
  const quic::ConnectionStats& st = c.stats();
  s.bytes_sent = st.bytes_sent;
  s.bytes_received = st.bytes_received;
  s.packets_sent = st.packets_sent;
  s.packets_lost = st.packets_lost;
  s.handshake_round_trips = st.handshake_round_trips;
  s.migrations = st.migrations;
  s.key_updates = st.key_updates;
  s.smoothed_rtt = c.recovery().rtt().smoothed_rtt();
  s.min_rtt = c.recovery().rtt().min_rtt();
  if (const std::optional<quic::CloseInfo>& ci = c.close_info(); ci.has_value()) {
    if (ci->stateless_reset) {
      s.close_reason = "stateless_reset";
    } else if (ci->idle_timeout) {
      s.close_reason = "idle_timeout";
    } else {
      s.close_reason = absl::StrCat(ci->by_peer ? "peer" : "local", ci->is_application ? "_app_0x" : "_transport_0x",
                                    absl::Hex(ci->error_code));
      if (!ci->reason.empty()) absl::StrAppend(&s.close_reason, "(", ci->reason, ")");
    }
  }
  return s;
}

std::string FormatSummary(const ConnectionSummary& s) {
  const char* early = s.early_data_accepted    ? "accepted"
                      : s.early_data_attempted ? "rejected"
                                               : "no";
  std::string out = absl::StrCat(
      "version=", s.version, " cipher=", s.cipher.empty() ? "-" : s.cipher,
      " alpn=", s.alpn.empty() ? "-" : s.alpn, " resumed=", s.resumed ? "yes" : "no",
      " 0rtt=", early, " bytes_sent=", s.bytes_sent, " bytes_received=", s.bytes_received,
      " packets_sent=", s.packets_sent, " lost=", s.packets_lost,
      " rtt=", FormatMillis(s.smoothed_rtt), " min_rtt=", FormatMillis(s.min_rtt));
  if (s.migrations > 0) absl::StrAppend(&out, " migrations=", s.migrations);
  if (s.key_updates > 0) absl::StrAppend(&out, " key_updates=", s.key_updates);
  if (!s.close_reason.empty()) absl::StrAppend(&out, " close=", s.close_reason);
  return out;
}

}  // namespace kite::http3
