// The JSON summary of ccbench runs (RFC 8259): {"scenarios": [{..., "flows": [...]}]}.
#ifndef KITE_TOOLS_CCBENCH_JSON_WRITER_H_
#define KITE_TOOLS_CCBENCH_JSON_WRITER_H_

#include <string>
#include <vector>

#include "tools/ccbench/metrics.h"

namespace kite::ccbench {

std::string SummaryJson(const std::vector<ScenarioSummary>& summaries);

}  // namespace kite::ccbench

#endif  // KITE_TOOLS_CCBENCH_JSON_WRITER_H_
