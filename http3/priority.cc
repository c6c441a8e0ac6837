#include "http3/priority.h"

#include <vector>

namespace kite::http3 {
namespace {

bool IsKeyStart(char c) { return (c >= 'a' && c <= 'z') || c == '*'; }
bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
         c == '*';
}

void SkipOws(std::string_view s, size_t* i) {
  while (*i < s.size() && (s[*i] == ' ' || s[*i] == '\t')) ++*i;
}

// Skips one bare item (RFC 8941 §3.3) that we do not interpret; false when malformed.
bool SkipBareItem(std::string_view s, size_t* i) {
  if (*i >= s.size()) return false;
  char c = s[*i];
  if (c == '"') {
    ++*i;
    while (*i < s.size() && s[*i] != '"') {
      if (s[*i] == '\\') ++*i;
      ++*i;
    }
    if (*i >= s.size()) return false;
    ++*i;
    return true;
  }
  if (c == '?') {
    *i += 2;
    return *i <= s.size() && (s[*i - 1] == '0' || s[*i - 1] == '1');
  }
  size_t start = *i;
  while (*i < s.size() && s[*i] != ',' && s[*i] != ';' && s[*i] != ' ' && s[*i] != '\t') ++*i;
  return *i > start;
}

}  // namespace

std::optional<PriorityParams> ParsePriorityFieldValue(std::string_view s) {
  if (s.size() > kMaxPriorityFieldValueLength) return std::nullopt;
  PriorityParams p;
  size_t i = 0;
  SkipOws(s, &i);
  while (i < s.size()) {
    // key
    if (!IsKeyStart(s[i])) return std::nullopt;
    size_t key_start = i;
    while (i < s.size() && IsKeyChar(s[i])) ++i;
    std::string_view key = s.substr(key_start, i - key_start);
    if (i < s.size() && s[i] == '=') {
      ++i;
      if (i >= s.size()) return std::nullopt;
      if (key == "u" && (s[i] == '-' || (s[i] >= '0' && s[i] <= '9'))) {
        bool neg = s[i] == '-';
        if (neg) ++i;
        size_t start = i;
        uint64_t v = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 15) {
          v = v * 10 + static_cast<uint64_t>(s[i] - '0');
          ++i;
        }
        if (i == start) return std::nullopt;
        if (i < s.size() && s[i] == '.') {
          // A decimal: valid structured field, wrong type for u: ignored (§4.1).
          ++i;
          while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        } else if (!neg && v <= 7) {
          p.urgency = static_cast<uint8_t>(v);
        }
      } else if (key == "i" && s[i] == '?') {
        if (i + 1 >= s.size() || (s[i + 1] != '0' && s[i + 1] != '1')) return std::nullopt;
        p.incremental = s[i + 1] == '1';
        i += 2;
      } else if (!SkipBareItem(s, &i)) {
        return std::nullopt;
      }
    } else if (key == "i") {
      p.incremental = true;  // a bare key is boolean true (RFC 8941 §3.2)
    }
    // parameters on the member: skipped
    while (i < s.size() && s[i] == ';') {
      ++i;
      while (i < s.size() && IsKeyChar(s[i])) ++i;
      if (i < s.size() && s[i] == '=') {
        ++i;
        if (!SkipBareItem(s, &i)) return std::nullopt;
      }
    }
    SkipOws(s, &i);
    if (i == s.size()) break;
    if (s[i] != ',') return std::nullopt;
    ++i;
    SkipOws(s, &i);
    if (i == s.size()) return std::nullopt;  // trailing comma
  }
  return p;
}

std::string SerializePriorityFieldValue(const PriorityParams& p) {
  std::string out;
  if (p.urgency != 3) out = "u=" + std::to_string(p.urgency);
  if (p.incremental) out += out.empty() ? "i" : ", i";
  return out;
}

}  // namespace kite::http3
