// QIF, the text format of the QPACK offline interop (github.com/qpackers/qifs): one
// "name<TAB>value" line per field, a blank line after each header list, '#' comments.
#ifndef KITE_TOOLS_QPACK_QIF_H_
#define KITE_TOOLS_QPACK_QIF_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "http3/qpack/header_list.h"

namespace kite::tools::qpack {

absl::StatusOr<std::vector<http3::qpack::HeaderList>> ParseQif(std::string_view text);

std::string WriteQif(const std::vector<http3::qpack::HeaderList>& lists);

}  // namespace kite::tools::qpack

#endif  // KITE_TOOLS_QPACK_QIF_H_
