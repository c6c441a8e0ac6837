// A strict recursive-descent JSON parser for the qlog tests (RFC 8259): rejects trailing commas,
// leading zeros, bad escapes, raw control characters, lone surrogates and malformed UTF-8, and
// builds a small tree so tests can look fields up. Independent of the writer's code on purpose.
#ifndef KITE_TEST_QUIC_QLOG_JSON_CHECKER_H_
#define KITE_TEST_QUIC_QLOG_JSON_CHECKER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kite::quic::qlog::test {

struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  double number = 0;
  std::string text;            // decoded string, or the number's source text
  std::vector<JsonValue> items;  // array
  std::vector<std::pair<std::string, JsonValue>> members;  // object, in order

  bool is_object() const { return type == Type::kObject; }
  bool is_array() const { return type == Type::kArray; }
  bool is_string() const { return type == Type::kString; }
  bool is_number() const { return type == Type::kNumber; }
  bool is_bool() const { return type == Type::kBool; }
  // Member lookup (first match); nullptr when absent or not an object.
  const JsonValue* Get(std::string_view key) const {
    if (type != Type::kObject) return nullptr;
    for (const auto& m : members) {
      if (m.first == key) return &m.second;
    }
    return nullptr;
  }
  // Path lookup: Get("a", "b") == Get("a")->Get("b").
  template <typename... Keys>
  const JsonValue* Get(std::string_view key, Keys... rest) const {
    const JsonValue* v = Get(key);
    return v == nullptr ? nullptr : v->Get(rest...);
  }
};

class JsonParser {
 public:
  // The whole input must be exactly one JSON value, optionally surrounded by whitespace.
  static std::optional<JsonValue> Parse(std::string_view text, std::string* error = nullptr) {
    JsonParser p(text);
    JsonValue v;
    p.SkipWs();
    if (!p.ParseValue(&v, 0)) {
      if (error != nullptr) *error = p.error_ + " at offset " + std::to_string(p.pos_);
      return std::nullopt;
    }
    p.SkipWs();
    if (p.pos_ != text.size()) {
      if (error != nullptr) *error = "trailing bytes at offset " + std::to_string(p.pos_);
      return std::nullopt;
    }
    return v;
  }

 private:
  explicit JsonParser(std::string_view s) : s_(s) {}

  static constexpr int kMaxDepth = 64;

  bool Fail(const char* why) {
    if (error_.empty()) error_ = why;
    return false;
  }
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return s_[pos_]; }
  void SkipWs() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' || Peek() == '\r')) {
      ++pos_;
    }
  }
  bool Literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return Fail("bad literal");
    pos_ += word.size();
    return true;
  }

  bool ParseValue(JsonValue* v, int depth) {
    if (depth > kMaxDepth) return Fail("too deep");
    if (AtEnd()) return Fail("unexpected end");
    char c = Peek();
    if (c == '{') return ParseObject(v, depth);
    if (c == '[') return ParseArray(v, depth);
    if (c == '"') {
      v->type = JsonValue::Type::kString;
      return ParseString(&v->text);
    }
    if (c == 't') {
      v->type = JsonValue::Type::kBool;
      v->boolean = true;
      return Literal("true");
    }
    if (c == 'f') {
      v->type = JsonValue::Type::kBool;
      return Literal("false");
    }
    if (c == 'n') return Literal("null");
    return ParseNumber(v);
  }

  bool ParseObject(JsonValue* v, int depth) {
    v->type = JsonValue::Type::kObject;
    ++pos_;  // {
    SkipWs();
    if (!AtEnd() && Peek() == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipWs();
      if (AtEnd() || Peek() != '"') return Fail("expected a key");
      std::string key;
      if (!ParseString(&key)) return false;
      SkipWs();
      if (AtEnd() || Peek() != ':') return Fail("expected ':'");
      ++pos_;
      SkipWs();
      JsonValue member;
      if (!ParseValue(&member, depth + 1)) return false;
      v->members.emplace_back(std::move(key), std::move(member));
      SkipWs();
      if (AtEnd()) return Fail("unterminated object");
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == '}') {
        ++pos_;
        return true;
      }
      return Fail("expected ',' or '}'");
    }
  }

  bool ParseArray(JsonValue* v, int depth) {
    v->type = JsonValue::Type::kArray;
    ++pos_;  // [
    SkipWs();
    if (!AtEnd() && Peek() == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipWs();
      JsonValue item;
      if (!ParseValue(&item, depth + 1)) return false;
      v->items.push_back(std::move(item));
      SkipWs();
      if (AtEnd()) return Fail("unterminated array");
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == ']') {
        ++pos_;
        return true;
      }
      return Fail("expected ',' or ']'");
    }
  }

  bool ParseNumber(JsonValue* v) {
    // RFC 8259 §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
    size_t start = pos_;
    auto digit = [&] { return !AtEnd() && Peek() >= '0' && Peek() <= '9'; };
    if (!AtEnd() && Peek() == '-') ++pos_;
    if (!digit()) return Fail("bad number");
    if (Peek() == '0') {
      ++pos_;
      if (digit()) return Fail("leading zero");
    } else {
      while (digit()) ++pos_;
    }
    if (!AtEnd() && Peek() == '.') {
      ++pos_;
      if (!digit()) return Fail("bad fraction");
      while (digit()) ++pos_;
    }
    if (!AtEnd() && (Peek() == 'e' || Peek() == 'E')) {
      ++pos_;
      if (!AtEnd() && (Peek() == '+' || Peek() == '-')) ++pos_;
      if (!digit()) return Fail("bad exponent");
      while (digit()) ++pos_;
    }
    v->type = JsonValue::Type::kNumber;
    v->text = std::string(s_.substr(start, pos_ - start));
    v->number = std::stod(v->text);
    return true;
  }

  static void AppendUtf8(std::string* out, uint32_t cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }

  bool Hex4(uint32_t* out) {
    if (s_.size() - pos_ < 4) return Fail("short \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<uint32_t>(c - 'A' + 10);
      else return Fail("bad hex digit");
    }
    *out = v;
    return true;
  }

  // Decodes one raw UTF-8 sequence, checking it is well formed.
  bool Utf8(std::string* out) {
    const auto b = [&](size_t k) { return static_cast<uint8_t>(s_[pos_ + k]); };
    uint8_t c = b(0);
    size_t n;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) { n = 2; cp = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { n = 3; cp = c & 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 4; cp = c & 0x07; }
    else return Fail("bad UTF-8 lead byte");
    if (s_.size() - pos_ < n) return Fail("truncated UTF-8");
    for (size_t k = 1; k < n; ++k) {
      if ((b(k) & 0xc0) != 0x80) return Fail("bad UTF-8 continuation");
      cp = (cp << 6) | (b(k) & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
      return Fail("overlong or out-of-range UTF-8");
    }
    if (cp >= 0xd800 && cp <= 0xdfff) return Fail("UTF-8 surrogate");
    out->append(s_.substr(pos_, n));
    pos_ += n;
    return true;
  }

  bool ParseString(std::string* out) {
    ++pos_;  // opening quote
    while (true) {
      if (AtEnd()) return Fail("unterminated string");
      uint8_t c = static_cast<uint8_t>(Peek());
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return Fail("raw control character in string");
      if (c >= 0x80) {
        if (!Utf8(out)) return false;
        continue;
      }
      if (c != '\\') {
        out->push_back(static_cast<char>(c));
        ++pos_;
        continue;
      }
      ++pos_;
      if (AtEnd()) return Fail("unterminated escape");
      char e = s_[pos_++];
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xdc00 && cp <= 0xdfff) return Fail("lone low surrogate");
          if (cp >= 0xd800 && cp <= 0xdbff) {
            uint32_t lo;
            if (s_.substr(pos_, 2) != "\\u") return Fail("lone high surrogate");
            pos_ += 2;
            if (!Hex4(&lo)) return false;
            if (lo < 0xdc00 || lo > 0xdfff) return Fail("bad low surrogate");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          return Fail("bad escape");
      }
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string error_;
};

// Splits a JSON-SEQ text (RFC 7464) into its records: each must start with 0x1E and end with
// '\n'. Returns nullopt (and says why) when the framing is wrong.
inline std::optional<std::vector<std::string_view>> SplitJsonSeq(std::string_view text,
                                                                 std::string* error) {
  std::vector<std::string_view> records;
  size_t pos = 0;
  while (pos < text.size()) {
    if (text[pos] != '\x1e') {
      *error = "record at " + std::to_string(pos) + " does not start with RS";
      return std::nullopt;
    }
    size_t next = text.find('\x1e', pos + 1);
    if (next == std::string_view::npos) next = text.size();
    std::string_view rec = text.substr(pos + 1, next - pos - 1);
    if (rec.empty() || rec.back() != '\n') {
      *error = "record at " + std::to_string(pos) + " does not end with LF";
      return std::nullopt;
    }
    records.push_back(rec);
    pos = next;
  }
  return records;
}

}  // namespace kite::quic::qlog::test

#endif  // KITE_TEST_QUIC_QLOG_JSON_CHECKER_H_
