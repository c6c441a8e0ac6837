#include "http3/endpoint/content_type.h"

#include <cctype>
#include <string>

namespace kite::http3 {

const char* ContentTypeForPath(std::string_view path) {
  struct Entry {
    const char* extension;
    const char* type;
  };
  static constexpr Entry kTypes[] = {
      {"html", "text/html; charset=utf-8"}, {"htm", "text/html; charset=utf-8"},
      {"txt", "text/plain; charset=utf-8"}, {"css", "text/css"},
      {"js", "text/javascript"},            {"mjs", "text/javascript"},
      {"json", "application/json"},         {"svg", "image/svg+xml"},
      {"png", "image/png"},                 {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},               {"gif", "image/gif"},
      {"webp", "image/webp"},               {"ico", "image/x-icon"},
      {"wasm", "application/wasm"},         {"pdf", "application/pdf"},
      {"csv", "text/csv"},                  {"xml", "application/xml"},
  };
  size_t slash = path.rfind('/');
  size_t dot = path.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return "application/octet-stream";
  }
  std::string ext(path.substr(dot + 1));
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const Entry& e : kTypes) {
    if (ext == e.extension) return e.type;
  }
  return "application/octet-stream";
}

}  // namespace kite::http3
