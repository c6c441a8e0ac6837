// The markdown summary of ccbench runs: one table of scenarios, one of flows.
#ifndef KITE_TOOLS_CCBENCH_MARKDOWN_WRITER_H_
#define KITE_TOOLS_CCBENCH_MARKDOWN_WRITER_H_

#include <string>
#include <vector>

#include "tools/ccbench/metrics.h"

namespace kite::ccbench {

// A pipe in a cell is escaped; numbers are rounded for reading.
std::string SummaryMarkdown(const std::vector<ScenarioSummary>& summaries);

}  // namespace kite::ccbench

#endif  // KITE_TOOLS_CCBENCH_MARKDOWN_WRITER_H_
