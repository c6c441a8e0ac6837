// Request, response and trailer validation (RFC 9114 §4.1.2, §4.2, §4.3, §4.4).
#include <catch2/catch.hpp>

#include "http3/error_code.h"
#include "http3/message_validator.h"

namespace kite::http3 {
namespace {

HeaderList Get() {
  return {{":method", "GET"}, {":scheme", "https"}, {":authority", "example.com"},
          {":path", "/index.html"}, {"accept", "*/*"}};
}

HeaderList With(HeaderList h, HeaderField f) {
  h.push_back(std::move(f));
  return h;
}

HeaderList Without(HeaderList h, const std::string& name) {
  HeaderList out;
  for (HeaderField& f : h) {
    if (f.name != name) out.push_back(std::move(f));
  }
  return out;
}

TEST_CASE("request validation table", "[http3][validation]") {
  struct Case {
    const char* what;
    HeaderList fields;
    bool valid;
    bool extended_connect = false;
  };
  std::vector<Case> cases = {
      {"plain GET", Get(), true},
      {"missing :method", Without(Get(), ":method"), false},
      {"missing :scheme", Without(Get(), ":scheme"), false},
      {"missing :path", Without(Get(), ":path"), false},
      {"empty :path", {{":method", "GET"}, {":scheme", "https"}, {":authority", "a"}, {":path", ""}},
       false},
      {"missing authority, host present",
       With(Without(Get(), ":authority"), {"host", "example.com"}), true},
      {"missing authority and host", Without(Get(), ":authority"), false},
      {"host differs from :authority", With(Get(), {"host", "other.com"}), false},
      {"host equal to :authority", With(Get(), {"host", "example.com"}), true},
      {"duplicate :method",
       {{":method", "GET"}, {":method", "GET"}, {":scheme", "https"}, {":authority", "a"},
        {":path", "/"}},
       false},
      {"duplicate :path",
       {{":method", "GET"}, {":scheme", "https"}, {":authority", "a"}, {":path", "/"},
        {":path", "/"}},
       false},
      {"pseudo after regular", {{":method", "GET"}, {":scheme", "https"}, {"accept", "x"},
                                {":authority", "a"}, {":path", "/"}}, false},
      {"unknown pseudo", With({{":method", "GET"}, {":scheme", "https"}, {":authority", "a"},
                               {":path", "/"}, {":foo", "bar"}}, {"a", "b"}), false},
      {"response pseudo in request",
       {{":method", "GET"}, {":scheme", "https"}, {":authority", "a"}, {":path", "/"},
        {":status", "200"}},
       false},
      {"uppercase name", With(Get(), {"Accept-Language", "en"}), false},
      {"space in name", With(Get(), {"bad name", "x"}), false},
      {"empty name", With(Get(), {"", "x"}), false},
      {"NUL in value", With(Get(), {"x", std::string("a\0b", 3)}), false},
      {"CR in value", With(Get(), {"x", "a\rb"}), false},
      {"LF in value", With(Get(), {"x", "a\nb"}), false},
      {"leading space in value", With(Get(), {"x", " a"}), false},
      {"connection", With(Get(), {"connection", "close"}), false},
      {"keep-alive", With(Get(), {"keep-alive", "1"}), false},
      {"proxy-connection", With(Get(), {"proxy-connection", "x"}), false},
      {"transfer-encoding", With(Get(), {"transfer-encoding", "chunked"}), false},
      {"upgrade", With(Get(), {"upgrade", "websocket"}), false},
      {"te: trailers", With(Get(), {"te", "trailers"}), true},
      {"te: gzip", With(Get(), {"te", "gzip"}), false},
      {"content-length list, same values", With(Get(), {"content-length", "5, 5"}), true},
      {"content-length list, different", With(Get(), {"content-length", "5, 6"}), false},
      {"content-length twice, different",
       With(With(Get(), {"content-length", "5"}), {"content-length", "6"}), false},
      {"content-length not a number", With(Get(), {"content-length", "abc"}), false},
      {"content-length negative", With(Get(), {"content-length", "-1"}), false},
      {"OPTIONS *",
       {{":method", "OPTIONS"}, {":scheme", "https"}, {":authority", "a"}, {":path", "*"}}, true},
      {"GET *", {{":method", "GET"}, {":scheme", "https"}, {":authority", "a"}, {":path", "*"}},
       false},
      {"relative path", {{":method", "GET"}, {":scheme", "https"}, {":authority", "a"},
                         {":path", "index"}}, false},
      {"other scheme without authority", {{":method", "GET"}, {":scheme", "urn"}, {":path", "x"}},
       true},
      {"CONNECT", {{":method", "CONNECT"}, {":authority", "example.com:443"}}, true},
      {"CONNECT with :path",
       {{":method", "CONNECT"}, {":authority", "example.com:443"}, {":path", "/"}}, false},
      {"CONNECT with :scheme",
       {{":method", "CONNECT"}, {":authority", "example.com:443"}, {":scheme", "https"}}, false},
      {"CONNECT without :authority", {{":method", "CONNECT"}}, false},
      {"extended CONNECT allowed",
       {{":method", "CONNECT"}, {":protocol", "websocket"}, {":scheme", "https"},
        {":authority", "a"}, {":path", "/chat"}},
       true, true},
      {"extended CONNECT not enabled",
       {{":method", "CONNECT"}, {":protocol", "websocket"}, {":scheme", "https"},
        {":authority", "a"}, {":path", "/chat"}},
       false, false},
      {"extended CONNECT without :path",
       {{":method", "CONNECT"}, {":protocol", "websocket"}, {":scheme", "https"},
        {":authority", "a"}},
       false, true},
      {":protocol on GET",
       {{":method", "GET"}, {":protocol", "websocket"}, {":scheme", "https"}, {":authority", "a"},
        {":path", "/"}},
       false, true},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    ValidationOptions opts;
    opts.allow_extended_connect = c.extended_connect;
    absl::StatusOr<RequestHead> head = ValidateRequestHeaders(c.fields, opts);
    CHECK(head.ok() == c.valid);
    if (!head.ok()) CHECK(GetHttp3ErrorCode(head.status()) == Http3ErrorCode::kMessageError);
  }
}

TEST_CASE("a valid request exposes its control data", "[http3][validation]") {
  absl::StatusOr<RequestHead> head =
      ValidateRequestHeaders(With(With(Without(Get(), ":authority"), {"host", "h.example"}),
                                  {"content-length", "42"}));
  REQUIRE(head.ok());
  CHECK(head->method == "GET");
  CHECK(head->scheme == "https");
  CHECK(head->authority == "h.example");
  CHECK(head->path == "/index.html");
  CHECK(head->content_length == 42u);
}

TEST_CASE("response validation table", "[http3][validation]") {
  struct Case {
    const char* what;
    HeaderList fields;
    bool valid;
    int status = 0;
  };
  std::vector<Case> cases = {
      {"200", {{":status", "200"}, {"content-type", "text/plain"}}, true, 200},
      {"103", {{":status", "103"}, {"link", "</a>"}}, true, 103},
      {"599", {{":status", "599"}}, true, 599},
      {"101 is not HTTP/3", {{":status", "101"}}, false},
      {"missing :status", {{"content-type", "x"}}, false},
      {"two :status", {{":status", "200"}, {":status", "204"}}, false},
      {"two digits", {{":status", "20"}}, false},
      {"letters", {{":status", "2x0"}}, false},
      {"below 100", {{":status", "099"}}, false},
      {"request pseudo", {{":status", "200"}, {":path", "/"}}, false},
      {"pseudo after regular", {{"server", "kite"}, {":status", "200"}}, false},
      {"connection-specific", {{":status", "200"}, {"transfer-encoding", "chunked"}}, false},
      {"uppercase", {{":status", "200"}, {"Server", "kite"}}, false},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    absl::StatusOr<ResponseHead> head = ValidateResponseHeaders(c.fields);
    CHECK(head.ok() == c.valid);
    if (head.ok()) CHECK(head->status == c.status);
    if (!head.ok()) CHECK(GetHttp3ErrorCode(head.status()) == Http3ErrorCode::kMessageError);
  }
}

TEST_CASE("trailers carry no pseudo-headers", "[http3][validation]") {
  CHECK(ValidateTrailers({{"grpc-status", "0"}, {"x-checksum", "abc"}}).ok());
  CHECK(ValidateTrailers({}).ok());
  CHECK(GetHttp3ErrorCode(ValidateTrailers({{":status", "200"}})) ==
        Http3ErrorCode::kMessageError);
  CHECK_FALSE(ValidateTrailers({{"Grpc-Status", "0"}}).ok());
  CHECK_FALSE(ValidateTrailers({{"connection", "close"}}).ok());
}

TEST_CASE("safe methods for 0-RTT", "[http3][validation]") {
  CHECK(IsSafeMethod("GET"));
  CHECK(IsSafeMethod("HEAD"));
  CHECK(IsSafeMethod("OPTIONS"));
  CHECK_FALSE(IsSafeMethod("POST"));
  CHECK_FALSE(IsSafeMethod("PUT"));
  CHECK_FALSE(IsSafeMethod("DELETE"));
}

}  // namespace
}  // namespace kite::http3
