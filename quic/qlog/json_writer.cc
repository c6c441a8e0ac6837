#include "quic/qlog/json_writer.h"

#include <cstdio>

namespace kite::quic::qlog {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 if it is not one
// (RFC 3629 §4, the Unicode "well-formed byte sequences" table).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t c = b(i);
  const size_t left = s.size() - i;
  const auto cont = [&](size_t k, uint8_t lo, uint8_t hi) {
    return i + k < s.size() && b(i + k) >= lo && b(i + k) <= hi;
  };
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return left >= 2 && cont(1, 0x80, 0xbf) ? 2 : 0;
  if (c == 0xe0) return left >= 3 && cont(1, 0xa0, 0xbf) && cont(2, 0x80, 0xbf) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef) {
    return left >= 3 && cont(1, 0x80, 0xbf) && cont(2, 0x80, 0xbf) ? 3 : 0;
  }
  // 0xed: excludes the UTF-16 surrogates U+D800..U+DFFF.
  if (c == 0xed) return left >= 3 && cont(1, 0x80, 0x9f) && cont(2, 0x80, 0xbf) ? 3 : 0;
  if (c == 0xf0) {
    return left >= 4 && cont(1, 0x90, 0xbf) && cont(2, 0x80, 0xbf) && cont(3, 0x80, 0xbf) ? 4 : 0;
  }
  if (c >= 0xf1 && c <= 0xf3) {
    return left >= 4 && cont(1, 0x80, 0xbf) && cont(2, 0x80, 0xbf) && cont(3, 0x80, 0xbf) ? 4 : 0;
  }
  // 0xf4: up to U+10FFFF only.
  if (c == 0xf4) {
    return left >= 4 && cont(1, 0x80, 0x8f) && cont(2, 0x80, 0xbf) && cont(3, 0x80, 0xbf) ? 4 : 0;
  }
  return 0;  // 0x80..0xc1 (continuation or overlong lead), 0xf5..0xff
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    const uint8_t u = static_cast<uint8_t>(c);
    // RFC 8259 §7: quotation mark, reverse solidus and U+0000..U+001F must be escaped.
    switch (c) {
      case '"': out->append("\\\""); ++i; continue;
      case '\\': out->append("\\\\"); ++i; continue;
      case '\b': out->append("\\b"); ++i; continue;
      case '\f': out->append("\\f"); ++i; continue;
      case '\n': out->append("\\n"); ++i; continue;
      case '\r': out->append("\\r"); ++i; continue;
      case '\t': out->append("\\t"); ++i; continue;
      default: break;
    }
    if (u < 0x20) {
      out->append("\\u00");
      out->push_back(kHexDigits[u >> 4]);
      out->push_back(kHexDigits[u & 0xf]);
      ++i;
      continue;
    }
    if (u < 0x80) {
      out->push_back(c);
      ++i;
      continue;
    }
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      // RFC 8259 §8.1: JSON text is UTF-8; replace what is not.
      out->append("\\ufffd");
      ++i;
      continue;
    }
    out->append(s.data() + i, n);
    i += n;
  }
  out->push_back('"');
}

void AppendMilliseconds(std::string* out, absl::Duration d) {
  if (d == absl::InfiniteDuration() || d == -absl::InfiniteDuration()) {
    out->push_back('0');  // callers skip infinite values; never emit a non-number
    return;
  }
  int64_t us = absl::ToInt64Microseconds(d);
  uint64_t mag;
  if (us < 0) {
    out->push_back('-');
    mag = static_cast<uint64_t>(-(us + 1)) + 1;
  } else {
    mag = static_cast<uint64_t>(us);
  }
  char buf[32];
  int n = std::snprintf(buf, sizeof(buf), "%llu", static_cast<unsigned long long>(mag / 1000));
  out->append(buf, static_cast<size_t>(n));
  uint32_t frac = static_cast<uint32_t>(mag % 1000);
  if (frac == 0) return;
  char digits[4] = {static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                    static_cast<char>('0' + frac % 10), 0};
  int len = 3;
  while (digits[len - 1] == '0') --len;
  out->push_back('.');
  out->append(digits, static_cast<size_t>(len));
}

void AppendHex(std::string* out, absl::Span<const uint8_t> bytes) {
  for (uint8_t b : bytes) {
    out->push_back(kHexDigits[b >> 4]);
    out->push_back(kHexDigits[b & 0xf]);
  }
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (depth_ <= kMaxDepth) {
    if (need_comma_[depth_]) out_->push_back(',');
    need_comma_[depth_] = true;
  }
}

void JsonWriter::BeginObject() {
  BeforeValue();
  out_->push_back('{');
  ++depth_;
  if (depth_ <= kMaxDepth) need_comma_[depth_] = false;
}

void JsonWriter::EndObject() {
  out_->push_back('}');
  --depth_;
}

void JsonWriter::BeginArray() {
  BeforeValue();
  out_->push_back('[');
  ++depth_;
  if (depth_ <= kMaxDepth) need_comma_[depth_] = false;
}

void JsonWriter::EndArray() {
  out_->push_back(']');
  --depth_;
}

void JsonWriter::Key(std::string_view key) {
  BeforeValue();
  AppendJsonString(out_, key);
  out_->push_back(':');
  after_key_ = true;
}

void JsonWriter::String(std::string_view value) {
  BeforeValue();
  AppendJsonString(out_, value);
}

void JsonWriter::Uint(uint64_t value) {
  BeforeValue();
  char buf[24];
  int n = std::snprintf(buf, sizeof(buf), "%llu", static_cast<unsigned long long>(value));
  out_->append(buf, static_cast<size_t>(n));
}

void JsonWriter::Int(int64_t value) {
  BeforeValue();
  char buf[24];
  int n = std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(value));
  out_->append(buf, static_cast<size_t>(n));
}

void JsonWriter::Bool(bool value) {
  BeforeValue();
  out_->append(value ? "true" : "false");
}

void JsonWriter::Milliseconds(absl::Duration value) {
  BeforeValue();
  AppendMilliseconds(out_, value);
}

void JsonWriter::HexString(absl::Span<const uint8_t> bytes) {
  BeforeValue();
  out_->push_back('"');
  AppendHex(out_, bytes);
  out_->push_back('"');
}

void JsonWriter::RawValue(std::string_view json) {
  BeforeValue();
  out_->append(json.data(), json.size());
}

}  // namespace kite::quic::qlog
