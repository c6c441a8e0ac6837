#include "http3/qpack/huffman.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "http3/qpack/string_literal.h"

namespace kite::http3::qpack {
namespace {

std::string Hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

std::string Unhex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// RFC 7541 Appendix C.4 (spec/rfc7541-appendix-b-huffman.txt).
TEST_CASE("RFC 7541 C.4 string examples") {
  const std::pair<std::string, std::string> examples[] = {
      {"www.example.com", "f1e3c2e5f23a6ba0ab90f4ff"},
      {"no-cache", "a8eb10649cbf"},
      {"custom-key", "25a849e95ba97d7f"},
  };
  for (const auto& [plain, hex] : examples) {
    std::string encoded;
    HuffmanEncode(plain, &encoded);
    CHECK(Hex(encoded) == hex);
    CHECK(HuffmanEncodedLength(plain) == encoded.size());
    std::string decoded;
    REQUIRE(HuffmanDecode(encoded, 100, &decoded));
    CHECK(decoded == plain);
  }
}

TEST_CASE("every byte value and random strings round-trip") {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  std::mt19937 rng(11);
  for (int round = 0; round < 2000; ++round) {
    std::string s = round == 0 ? all : std::string(rng() % 64, '\0');
    if (round > 0) {
      for (char& c : s) c = static_cast<char>(round % 2 ? rng() % 256 : 'a' + rng() % 26);
    }
    std::string encoded;
    HuffmanEncode(s, &encoded);
    REQUIRE(encoded.size() == HuffmanEncodedLength(s));
    std::string decoded;
    REQUIRE(HuffmanDecode(encoded, s.size(), &decoded));
    REQUIRE(decoded == s);
    if (!s.empty()) {
      std::string limited;
      CHECK_FALSE(HuffmanDecode(encoded, s.size() - 1, &limited));
    }
  }
}

// RFC 7541 §5.2 padding rules.
TEST_CASE("bad padding and EOS are rejected") {
  std::string out;
  // 'a' is 00011 (5 bits): padding 111 is fine, 110 is not all ones.
  CHECK(HuffmanDecode(Unhex("1f"), 10, &out));
  CHECK(out == "a");
  out.clear();
  CHECK_FALSE(HuffmanDecode(Unhex("1e"), 10, &out));
  // A whole byte of ones after a complete symbol is padding longer than 7 bits.
  out.clear();
  CHECK_FALSE(HuffmanDecode(Unhex("1fff"), 10, &out));
  // EOS (30 ones) encoded explicitly.
  out.clear();
  CHECK_FALSE(HuffmanDecode(Unhex("fffffffc"), 10, &out));
  // The empty string decodes to nothing.
  out.clear();
  CHECK(HuffmanDecode("", 10, &out));
  CHECK(out.empty());
}

TEST_CASE("string literals choose the shorter coding and enforce the length limit") {
  std::string out;
  AppendStringLiteral(0x00, 7, "www.example.com", &out);
  CHECK(Hex(out) == "8cf1e3c2e5f23a6ba0ab90f4ff");  // H set, length 12
  CHECK(out.size() == StringLiteralLength(7, "www.example.com"));
  std::string raw;
  const std::string binary("\xff\xfe\x00\x01", 4);
  AppendStringLiteral(0x40, 5, binary, &raw);
  CHECK(static_cast<uint8_t>(raw[0]) == 0x44);  // no H: the Huffman form would be longer
  size_t pos = 0;
  std::string value;
  REQUIRE(ParseStringLiteral(raw, &pos, 5, 100, &value) == ParseStatus::kOk);
  CHECK(value == binary);
  pos = 0;
  CHECK(ParseStringLiteral(raw, &pos, 5, 3, &value) == ParseStatus::kError);
  pos = 0;
  REQUIRE(ParseStringLiteral(out, &pos, 7, 100, &value) == ParseStatus::kOk);
  CHECK(value == "www.example.com");
  // A Huffman string that decodes past the limit.
  pos = 0;
  CHECK(ParseStringLiteral(out, &pos, 7, 13, &value) == ParseStatus::kError);
  for (size_t n = 0; n < out.size(); ++n) {
    pos = 0;
    CHECK(ParseStringLiteral(out.substr(0, n), &pos, 7, 100, &value) == ParseStatus::kIncomplete);
  }
  // A declared length beyond the limit fails before its bytes arrive.
  std::string huge;
  AppendPrefixInt(0x00, 7, 1 << 30, &huge);
  pos = 0;
  CHECK(ParseStringLiteral(huge, &pos, 7, 1 << 16, &value) == ParseStatus::kError);
}

}  // namespace
}  // namespace kite::http3::qpack
