#include "tools/qpack/qif.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace kite::tools::qpack {

using http3::qpack::HeaderField;
using http3::qpack::HeaderList;

absl::StatusOr<std::vector<HeaderList>> ParseQif(std::string_view text) {
  std::vector<HeaderList> lists;
  HeaderList current;
  size_t line_number = 0;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && line.front() == '#') continue;
    if (line.empty()) {
      if (!current.empty()) lists.push_back(std::move(current));
      current.clear();
      continue;
    }
    const size_t tab = line.find('\t');
    if (tab == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("QIF line ", line_number, " has no tab"));
    }
    current.push_back(
        HeaderField{std::string(line.substr(0, tab)), std::string(line.substr(tab + 1))});
  }
  if (!current.empty()) lists.push_back(std::move(current));
  return lists;
}

std::string WriteQif(const std::vector<HeaderList>& lists) {
  std::string out;
  for (const HeaderList& list : lists) {
    for (const HeaderField& f : list) absl::StrAppend(&out, f.name, "\t", f.value, "\n");
    out.push_back('\n');
  }
  return out;
}

}  // namespace kite::tools::qpack
