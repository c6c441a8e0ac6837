#include "http3/message_validator.h"

#include <string_view>

#include "http3/error_code.h"

namespace kite::http3 {
namespace {

absl::Status Malformed(const char* why) {
  return Http3ErrorStatus(Http3ErrorCode::kMessageError, why);
}

// RFC 9110 §5.6.2 token characters, lowercase only (RFC 9114 §4.2).
bool IsLowercaseTokenChar(char c) {
  if (c >= 'a' && c <= 'z') return true;
  if (c >= '0' && c <= '9') return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

absl::Status CheckName(std::string_view name, size_t first) {
  if (name.size() <= first) return Malformed("empty field name");
  for (size_t i = first; i < name.size(); ++i) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') return Malformed("uppercase field name");
    if (!IsLowercaseTokenChar(c)) return Malformed("invalid character in field name");
  }
  return absl::OkStatus();
}

// RFC 9110 §5.5: no NUL, CR or LF; no leading or trailing whitespace.
absl::Status CheckValue(std::string_view v) {
  for (char c : v) {
    if (c == '\0' || c == '\r' || c == '\n') return Malformed("invalid character in field value");
  }
  if (!v.empty() && (v.front() == ' ' || v.front() == '\t' || v.back() == ' ' ||
                     v.back() == '\t')) {
    return Malformed("field value with surrounding whitespace");
  }
  return absl::OkStatus();
}

// RFC 9114 §4.2: connection-specific fields are malformed; TE may only say "trailers".
absl::Status CheckRegularField(const HeaderField& f) {
  absl::Status st = CheckName(f.name, 0);
  if (!st.ok()) return st;
  st = CheckValue(f.value);
  if (!st.ok()) return st;
  if (f.name == "connection" || f.name == "keep-alive" || f.name == "proxy-connection" ||
      f.name == "transfer-encoding" || f.name == "upgrade") {
    return Malformed("connection-specific field");
  }
  if (f.name == "te" && f.value != "trailers") return Malformed("te other than trailers");
  return absl::OkStatus();
}

// RFC 9110 §8.6: a list of identical decimal values is the same as one.
absl::Status MergeContentLength(std::string_view v, std::optional<uint64_t>* out) {
  size_t i = 0;
  while (i <= v.size()) {
    size_t comma = v.find(',', i);
    std::string_view item = v.substr(i, comma == std::string_view::npos ? v.npos : comma - i);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.empty() || item.size() > 18) return Malformed("invalid content-length");
    uint64_t n = 0;
    for (char c : item) {
      if (c < '0' || c > '9') return Malformed("invalid content-length");
      n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    if (out->has_value() && **out != n) return Malformed("conflicting content-length");
    *out = n;
    if (comma == std::string_view::npos) break;
    i = comma + 1;
  }
  return absl::OkStatus();
}

}  // namespace

bool IsSafeMethod(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "OPTIONS";
}

absl::StatusOr<RequestHead> ValidateRequestHeaders(const HeaderList& fields,
                                                   const ValidationOptions& options) {
  RequestHead head;
  bool seen_regular = false;
  bool has_method = false, has_scheme = false, has_authority = false, has_path = false,
       has_protocol = false;
  std::optional<std::string> host;
  for (const HeaderField& f : fields) {
    if (!f.name.empty() && f.name[0] == ':') {
      // §4.3: pseudo-header fields come first, each at most once, only the defined ones.
      if (seen_regular) return Malformed("pseudo-header after a regular field");
      absl::Status st = CheckValue(f.value);
      if (!st.ok()) return st;
      auto once = [](bool* seen) {
        if (*seen) return false;
        *seen = true;
        return true;
      };
      if (f.name == ":method") {
        if (!once(&has_method)) return Malformed("duplicate :method");
        head.method = f.value;
      } else if (f.name == ":scheme") {
        if (!once(&has_scheme)) return Malformed("duplicate :scheme");
        head.scheme = f.value;
      } else if (f.name == ":authority") {
        if (!once(&has_authority)) return Malformed("duplicate :authority");
        head.authority = f.value;
      } else if (f.name == ":path") {
        if (!once(&has_path)) return Malformed("duplicate :path");
        head.path = f.value;
      } else if (f.name == ":protocol" && options.allow_extended_connect) {
        if (!once(&has_protocol)) return Malformed("duplicate :protocol");
        head.protocol = f.value;
      } else {
        return Malformed("unknown or response pseudo-header in a request");
      }
      continue;
    }
    seen_regular = true;
    absl::Status st = CheckRegularField(f);
    if (!st.ok()) return st;
    if (f.name == "host") {
      if (host.has_value()) return Malformed("duplicate host");
      host = f.value;
    }
    if (f.name == "content-length") {
      st = MergeContentLength(f.value, &head.content_length);
      if (!st.ok()) return st;
    }
  }
  if (!has_method || head.method.empty()) return Malformed("missing :method");
  for (char c : head.method) {
    if (!IsLowercaseTokenChar(c) && !(c >= 'A' && c <= 'Z')) return Malformed("invalid :method");
  }
  if (head.method == "CONNECT" && !has_protocol) {
    // §4.4: only :method and :authority; :scheme and :path omitted.
    if (has_scheme || has_path) return Malformed("CONNECT with :scheme or :path");
    if (!has_authority || head.authority.empty()) return Malformed("CONNECT without :authority");
  } else {
    if (has_protocol && head.method != "CONNECT") return Malformed(":protocol without CONNECT");
    // §4.3.1: :method, :scheme and :path exactly once (CONNECT aside).
    if (!has_scheme || head.scheme.empty()) return Malformed("missing :scheme");
    if (!has_path) return Malformed("missing :path");
    if (head.path.empty()) return Malformed("empty :path");
    bool http = head.scheme == "http" || head.scheme == "https";
    if (http) {
      // §4.3.1: the authority is required for schemes that have one, from :authority or Host.
      if ((!has_authority || head.authority.empty()) && (!host.has_value() || host->empty())) {
        return Malformed("missing :authority and host");
      }
      if (head.path != "*" && head.path[0] != '/') return Malformed("invalid :path");
      if (head.path == "*" && head.method != "OPTIONS") return Malformed(":path * without OPTIONS");
    }
  }
  if (has_authority && host.has_value() && *host != head.authority) {
    return Malformed("host differs from :authority");
  }
  if (!has_authority && host.has_value()) head.authority = *host;
  head.fields = fields;
  return head;
}

absl::StatusOr<ResponseHead> ValidateResponseHeaders(const HeaderList& fields) {
  ResponseHead head;
  bool seen_regular = false;
  bool has_status = false;
  for (const HeaderField& f : fields) {
    if (!f.name.empty() && f.name[0] == ':') {
      if (seen_regular) return Malformed("pseudo-header after a regular field");
      if (f.name != ":status") return Malformed("request or unknown pseudo-header in a response");
      if (has_status) return Malformed("duplicate :status");
      has_status = true;
      // §4.3.2: a three-digit status code.
      if (f.value.size() != 3) return Malformed("invalid :status");
      int v = 0;
      for (char c : f.value) {
        if (c < '0' || c > '9') return Malformed("invalid :status");
        v = v * 10 + (c - '0');
      }
      if (v < 100 || v == 101) return Malformed("invalid :status");
      head.status = v;
      continue;
    }
    seen_regular = true;
    absl::Status st = CheckRegularField(f);
    if (!st.ok()) return st;
    if (f.name == "content-length") {
      st = MergeContentLength(f.value, &head.content_length);
      if (!st.ok()) return st;
    }
  }
  if (!has_status) return Malformed("missing :status");
  head.fields = fields;
  return head;
}

absl::Status ValidateTrailers(const HeaderList& fields) {
  for (const HeaderField& f : fields) {
    if (!f.name.empty() && f.name[0] == ':') return Malformed("pseudo-header in trailers");
    absl::Status st = CheckRegularField(f);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

}  // namespace kite::http3
