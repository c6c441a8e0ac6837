#include "quic/connection/resumption_ticket.h"

#include <catch2/catch.hpp>

#include <vector>

namespace kite::quic {
namespace {

ResumptionTicket Sample() {
  ResumptionTicket t;
  t.tls_session = std::vector<uint8_t>(700, 0x5a);
  t.transport_parameters = {0x04, 0x02, 0x44, 0x00};
  t.application_data = {1, 2, 3};
  return t;
}

TEST_CASE("resumption tickets round-trip", "[ticket]") {
  ResumptionTicket t = Sample();
  std::vector<uint8_t> bytes = EncodeResumptionTicket(t);
  absl::StatusOr<ResumptionTicket> back = DecodeResumptionTicket(absl::MakeConstSpan(bytes));
  REQUIRE(back.ok());
  CHECK(back->tls_session == t.tls_session);
  CHECK(back->transport_parameters == t.transport_parameters);
  CHECK(back->application_data == t.application_data);
}

TEST_CASE("truncated, padded, or foreign tickets are rejected", "[ticket]") {
  std::vector<uint8_t> bytes = EncodeResumptionTicket(Sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    CHECK_FALSE(DecodeResumptionTicket(absl::MakeConstSpan(bytes.data(), n)).ok());
  }
  std::vector<uint8_t> padded = bytes;
  padded.push_back(0);
  CHECK_FALSE(DecodeResumptionTicket(absl::MakeConstSpan(padded)).ok());
  std::vector<uint8_t> foreign = bytes;
  foreign[0] ^= 0xff;
  CHECK_FALSE(DecodeResumptionTicket(absl::MakeConstSpan(foreign)).ok());
  std::vector<uint8_t> huge(kMaxResumptionTicketLength + 1, 0);
  CHECK_FALSE(DecodeResumptionTicket(absl::MakeConstSpan(huge)).ok());
}

TEST_CASE("application data can be replaced in an encoded ticket", "[ticket]") {
  std::vector<uint8_t> bytes = EncodeResumptionTicket(Sample());
  absl::StatusOr<std::vector<uint8_t>> updated =
      ReplaceTicketApplicationData(absl::MakeConstSpan(bytes), {9, 9, 9, 9});
  REQUIRE(updated.ok());
  absl::StatusOr<ResumptionTicket> back = DecodeResumptionTicket(absl::MakeConstSpan(*updated));
  REQUIRE(back.ok());
  CHECK(back->application_data == std::vector<uint8_t>{9, 9, 9, 9});
  CHECK(back->tls_session == Sample().tls_session);
  CHECK_FALSE(ReplaceTicketApplicationData(absl::MakeConstSpan(bytes.data(), 3), {}).ok());
}

}  // namespace
}  // namespace kite::quic
