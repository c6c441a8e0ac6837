// Escaping for the report formats ccbench writes (CSV fields, JSON strings, HTML/SVG text).
#ifndef KITE_TOOLS_CCBENCH_TEXT_ESCAPE_H_
#define KITE_TOOLS_CCBENCH_TEXT_ESCAPE_H_

#include <string>
#include <string_view>

namespace kite::ccbench {

// RFC 4180: quoted (with doubled quotes) when the field holds a comma, quote or line break.
std::string CsvField(std::string_view s);
// RFC 8259 §7: the contents of a JSON string, without the surrounding quotes.
std::string JsonEscape(std::string_view s);
// &, <, >, " and ' as character references.
std::string HtmlEscape(std::string_view s);
// A finite number as JSON/CSV text with up to 6 significant decimals; NaN and infinities
// become "null" (JSON has neither).
std::string Number(double v);

}  // namespace kite::ccbench

#endif  // KITE_TOOLS_CCBENCH_TEXT_ESCAPE_H_
