// A minimal streaming JSON serializer for qlog records (RFC 8259): objects, arrays, strings,
// unsigned and signed integers, booleans and millisecond times, appended to a caller-owned
// std::string so one buffer can be reused for every record.
//
// The writer tracks commas itself; it does not validate call order (a key outside an object is
// the caller's bug). Strings are escaped per RFC 8259 §7 and always come out as valid UTF-8:
// bytes that do not form a well-formed UTF-8 sequence (RFC 3629 §4) become U+FFFD.
#ifndef KITE_QUIC_QLOG_JSON_WRITER_H_
#define KITE_QUIC_QLOG_JSON_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "absl/types/span.h"

namespace kite::quic::qlog {

// Appends `s` as a quoted, escaped JSON string.
void AppendJsonString(std::string* out, std::string_view s);
// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points > U+10FFFF).
bool IsValidUtf8(std::string_view s);
// Appends a duration as a JSON number of milliseconds with microsecond precision and no
// trailing zeros ("12", "12.5", "-0.001"), the unit qlog uses for times (main schema, "Timestamps").
void AppendMilliseconds(std::string* out, absl::Duration d);
// Appends lowercase hex (qlog's hexstring), without quotes.
void AppendHex(std::string* out, absl::Span<const uint8_t> bytes);

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  // Writes `"key":`; the next value call supplies the value.
  void Key(std::string_view key);

  void String(std::string_view value);
  void Uint(uint64_t value);
  void Int(int64_t value);
  void Bool(bool value);
  void Milliseconds(absl::Duration value);
  void HexString(absl::Span<const uint8_t> bytes);
  // An already-serialized JSON value, inserted verbatim.
  void RawValue(std::string_view json);

  // Key/value shorthands.
  void Field(std::string_view key, std::string_view value) { Key(key); String(value); }
  void Field(std::string_view key, const char* value) { Key(key); String(value); }
  void Field(std::string_view key, uint64_t value) { Key(key); Uint(value); }
  void Field(std::string_view key, bool value) { Key(key); Bool(value); }
  void MsField(std::string_view key, absl::Duration value) { Key(key); Milliseconds(value); }

  // Nesting depth the writer tracks commas for; deeper structures still serialize correctly
  // as long as callers stay within it (qlog records need about 6).
  static constexpr int kMaxDepth = 32;

 private:
  void BeforeValue();

  std::string* out_;
  // need_comma_[d]: a value was already written at depth d.
  bool need_comma_[kMaxDepth + 1] = {};
  int depth_ = 0;
  bool after_key_ = false;
};

}  // namespace kite::quic::qlog

#endif  // KITE_QUIC_QLOG_JSON_WRITER_H_
