// Extensible priorities (RFC 9218): the Priority field value (§4, §5) carried by the Priority
// header and by PRIORITY_UPDATE frames, parsed as the structured-field dictionary it is.
#ifndef KITE_HTTP3_PRIORITY_H_
#define KITE_HTTP3_PRIORITY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kite::http3 {

struct PriorityParams {
  uint8_t urgency = 3;       // §4.1: 0 (highest) .. 7, default 3
  bool incremental = false;  // §4.2
  bool operator==(const PriorityParams& o) const {
    return urgency == o.urgency && incremental == o.incremental;
  }
};

// Bound on a Priority field value we parse (PRIORITY_UPDATE payloads are peer-supplied).
inline constexpr size_t kMaxPriorityFieldValueLength = 1024;

// Parses a Priority field value over the defaults. Unknown parameters and out-of-range or
// mistyped values of known ones are ignored (§4); nullopt when the value is not a valid
// dictionary at all (the caller then keeps its current priority).
std::optional<PriorityParams> ParsePriorityFieldValue(std::string_view value);

// "u=N" and/or "i", omitting defaults (empty string for the defaults).
std::string SerializePriorityFieldValue(const PriorityParams& params);

}  // namespace kite::http3

#endif  // KITE_HTTP3_PRIORITY_H_
