#include "quic/connection/resumption_ticket.h"

#include "absl/status/status.h"
#include "quic/codec/data_reader.h"
#include "quic/codec/data_writer.h"

namespace kite::quic {
namespace {

// A version byte first, so a stored ticket from an older layout is rejected cleanly.
constexpr uint8_t kTicketFormat = 1;

}  // namespace

std::vector<uint8_t> EncodeResumptionTicket(const ResumptionTicket& ticket) {
  std::vector<uint8_t> out(1 + 3 * 8 + ticket.tls_session.size() +
                           ticket.transport_parameters.size() + ticket.application_data.size());
  DataWriter w(absl::MakeSpan(out));
  w.WriteUInt8(kTicketFormat);
  for (const std::vector<uint8_t>* part :
       {&ticket.tls_session, &ticket.transport_parameters, &ticket.application_data}) {
    w.WriteVarInt(part->size());
    w.WriteBytes(absl::MakeConstSpan(*part));
  }
  out.resize(w.length());
  return out;
}

absl::StatusOr<ResumptionTicket> DecodeResumptionTicket(absl::Span<const uint8_t> bytes) {
  if (bytes.size() > kMaxResumptionTicketLength) {
    return absl::InvalidArgumentError("resumption ticket too long");
  }
  DataReader r(bytes);
  uint8_t format = 0;
  if (!r.ReadUInt8(&format) || format != kTicketFormat) {
    return absl::InvalidArgumentError("unknown resumption ticket format");
  }
  ResumptionTicket ticket;
  for (std::vector<uint8_t>* part :
       {&ticket.tls_session, &ticket.transport_parameters, &ticket.application_data}) {
    uint64_t len = 0;
    absl::Span<const uint8_t> data;
    if (!r.ReadVarInt(&len) || len > r.remaining() || !r.ReadBytes(len, &data)) {
      return absl::InvalidArgumentError("truncated resumption ticket");
    }
    part->assign(data.begin(), data.end());
  }
  if (!r.empty()) return absl::InvalidArgumentError("trailing bytes in resumption ticket");
  return ticket;
}

absl::StatusOr<std::vector<uint8_t>> ReplaceTicketApplicationData(
    absl::Span<const uint8_t> ticket, std::vector<uint8_t> application_data) {
  absl::StatusOr<ResumptionTicket> decoded = DecodeResumptionTicket(ticket);
  if (!decoded.ok()) return decoded.status();
  decoded->application_data = std::move(application_data);
  std::vector<uint8_t> out = EncodeResumptionTicket(*decoded);
  if (out.size() > kMaxResumptionTicketLength) {
    return absl::InvalidArgumentError("resumption ticket too long");
  }
  return out;
}

}  // namespace kite::quic
