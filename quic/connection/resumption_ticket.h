// What a client keeps from a connection to resume a later one with 0-RTT (RFC 9000 §7.4.1,
// RFC 9001 §4.6.1): the TLS session, the server's transport parameters that bound 0-RTT
// (flow-control and stream limits) and opaque application state (HTTP/3 SETTINGS).
#ifndef KITE_QUIC_CONNECTION_RESUMPTION_TICKET_H_
#define KITE_QUIC_CONNECTION_RESUMPTION_TICKET_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace kite::quic {

// Bound on an encoded ticket we accept back from storage.
inline constexpr size_t kMaxResumptionTicketLength = 64 * 1024;

struct ResumptionTicket {
  std::vector<uint8_t> tls_session;
  std::vector<uint8_t> transport_parameters;  // as the server sent them
  std::vector<uint8_t> application_data;
};

std::vector<uint8_t> EncodeResumptionTicket(const ResumptionTicket& ticket);
absl::StatusOr<ResumptionTicket> DecodeResumptionTicket(absl::Span<const uint8_t> bytes);

// Re-encodes an encoded ticket with `application_data` replaced: lets a client add state that
// arrived after the ticket (HTTP/3 SETTINGS may follow the NewSessionTicket).
absl::StatusOr<std::vector<uint8_t>> ReplaceTicketApplicationData(
    absl::Span<const uint8_t> ticket, std::vector<uint8_t> application_data);

}  // namespace kite::quic

#endif  // KITE_QUIC_CONNECTION_RESUMPTION_TICKET_H_
