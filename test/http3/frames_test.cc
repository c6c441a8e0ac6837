// HTTP/3 frame encoding and incremental reading (RFC 9114 §7; RFC 9218 §7.1).
#include <catch2/catch.hpp>

#include <vector>

#include "http3/error_code.h"
#include "http3/frame_reader.h"
#include "http3/frames.h"

namespace kite::http3 {
namespace {

std::vector<Frame> SampleFrames() {
  return {
      DataFrame{{1, 2, 3, 4, 5}},
      DataFrame{{}},
      HeadersFrame{{0x00, 0x00, 0xd1, 0xd7}},
      CancelPushFrame{7},
      SettingsFrame{{{0x01, 4096}, {0x06, 65536}, {0x07, 16}, {0x21, 0}}},
      SettingsFrame{{}},
      PushPromiseFrame{1ull << 40, {0x00, 0x00, 0xd1}},
      GoawayFrame{0},
      GoawayFrame{(1ull << 62) - 4},
      MaxPushIdFrame{300},
      PriorityUpdateFrame{false, 8, "u=1, i"},
      PriorityUpdateFrame{true, 2, "u=7"},
  };
}

// Reads every item from `bytes`, fed `chunk` bytes at a time, gluing DATA chunks back together.
struct ReadResult {
  absl::Status status;
  std::vector<Frame> frames;
  std::vector<uint64_t> unknown_types;
};

ReadResult ReadAll(const std::vector<uint8_t>& bytes, size_t chunk, bool end = true) {
  ReadResult r;
  FrameReader reader;
  std::vector<uint8_t> data;
  bool in_data = false;
  for (size_t off = 0; off < bytes.size(); off += chunk) {
    absl::Span<const uint8_t> in(bytes.data() + off, std::min(chunk, bytes.size() - off));
    while (true) {
      absl::StatusOr<std::optional<FrameReader::Item>> item = reader.Next(&in);
      if (!item.ok()) {
        r.status = item.status();
        return r;
      }
      if (!item->has_value()) break;
      FrameReader::Item& it = **item;
      switch (it.kind) {
        case FrameReader::Item::Kind::kDataChunk:
          in_data = true;
          data.insert(data.end(), it.data.begin(), it.data.end());
          if (it.data_frame_end) {
            r.frames.push_back(DataFrame{data});
            data.clear();
            in_data = false;
          }
          break;
        case FrameReader::Item::Kind::kFrame: r.frames.push_back(it.frame); break;
        case FrameReader::Item::Kind::kUnknownFrame: r.unknown_types.push_back(it.type); break;
      }
    }
    REQUIRE(in.empty());
  }
  (void)in_data;
  if (end) r.status = reader.OnStreamEnd();
  return r;
}

TEST_CASE("every frame type round-trips, fed whole and byte by byte", "[http3][frames]") {
  for (const Frame& f : SampleFrames()) {
    std::vector<uint8_t> bytes = EncodeFrame(f);
    for (size_t chunk : {bytes.size(), size_t{1}, size_t{2}, size_t{3}}) {
      ReadResult r = ReadAll(bytes, chunk);
      REQUIRE(r.status.ok());
      REQUIRE(r.frames.size() == 1);
      CHECK(r.frames[0] == f);
    }
  }
}

TEST_CASE("a stream of frames round-trips in pieces of every size", "[http3][frames]") {
  std::vector<uint8_t> stream;
  std::vector<Frame> frames = SampleFrames();
  for (const Frame& f : frames) AppendFrame(f, &stream);
  for (size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    ReadResult r = ReadAll(stream, chunk);
    REQUIRE(r.status.ok());
    REQUIRE(r.frames == frames);
  }
}

TEST_CASE("every frame truncated at every offset waits, then is H3_FRAME_ERROR at the end",
          "[http3][frames]") {
  for (const Frame& f : SampleFrames()) {
    std::vector<uint8_t> bytes = EncodeFrame(f);
    for (size_t cut = 1; cut < bytes.size(); ++cut) {
      std::vector<uint8_t> part(bytes.begin(), bytes.begin() + cut);
      ReadResult r = ReadAll(part, part.size(), /*end=*/false);
      REQUIRE(r.status.ok());
      // Nothing complete yet, except DATA chunks which stream out early.
      if (!std::holds_alternative<DataFrame>(f)) CHECK(r.frames.empty());
      ReadResult ended = ReadAll(part, part.size(), /*end=*/true);
      CHECK(GetHttp3ErrorCode(ended.status) == Http3ErrorCode::kFrameError);
    }
  }
}

TEST_CASE("a payload shorter or longer than its fields is H3_FRAME_ERROR", "[http3][frames]") {
  struct Case {
    uint64_t type;
    std::vector<uint8_t> payload;
  };
  std::vector<Case> cases = {
      {kFrameGoaway, {}},                   // no id
      {kFrameGoaway, {0x40}},               // varint cut short
      {kFrameGoaway, {0x04, 0x00}},         // trailing byte
      {kFrameCancelPush, {0x01, 0x02}},     // trailing byte
      {kFrameMaxPushId, {0x80, 0x00, 0x01}},
      {kFrameSettings, {0x01}},             // identifier without value
      {kFrameSettings, {0x01, 0x40}},       // value cut short
      {kFramePushPromise, {}},              // no push id
      {kFramePriorityUpdateRequest, {}},    // no element id
      {kFramePriorityUpdatePush, {0xc0}},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> bytes;
    AppendFrameHeader(c.type, c.payload.size(), &bytes);
    bytes.insert(bytes.end(), c.payload.begin(), c.payload.end());
    ReadResult r = ReadAll(bytes, bytes.size());
    CHECK(GetHttp3ErrorCode(r.status) == Http3ErrorCode::kFrameError);
  }
}

TEST_CASE("reserved and unknown frame types are skipped whatever their size", "[http3][frames]") {
  std::vector<uint8_t> stream;
  AppendFrame(UnknownFrame{ReservedFrameType(0), {}}, &stream);
  AppendFrame(UnknownFrame{ReservedFrameType(1000), std::vector<uint8_t>(70000, 0xab)}, &stream);
  AppendFrame(UnknownFrame{0x2a2a, {1, 2, 3}}, &stream);
  AppendFrame(GoawayFrame{4}, &stream);
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{4096}, stream.size()}) {
    ReadResult r = ReadAll(stream, chunk);
    REQUIRE(r.status.ok());
    CHECK(r.unknown_types ==
          std::vector<uint64_t>{ReservedFrameType(0), ReservedFrameType(1000), 0x2a2a});
    REQUIRE(r.frames.size() == 1);
    CHECK(r.frames[0] == Frame(GoawayFrame{4}));
  }
  CHECK(IsReservedFrameType(0x21));
  CHECK(IsReservedFrameType(0x21 + 0x1f * 12345));
  CHECK_FALSE(IsReservedFrameType(0x22));
}

TEST_CASE("HTTP/2-only frame types are H3_FRAME_UNEXPECTED", "[http3][frames]") {
  for (uint64_t type : {0x02, 0x06, 0x08, 0x09}) {
    std::vector<uint8_t> bytes;
    AppendFrameHeader(type, 1, &bytes);
    bytes.push_back(0);
    ReadResult r = ReadAll(bytes, bytes.size());
    CHECK(GetHttp3ErrorCode(r.status) == Http3ErrorCode::kFrameUnexpected);
  }
}

TEST_CASE("buffered frames above the bound are H3_EXCESSIVE_LOAD; DATA streams unbounded",
          "[http3][frames]") {
  FrameReader reader(/*max_buffered_payload=*/100);
  std::vector<uint8_t> bytes;
  AppendFrameHeader(kFrameHeaders, 101, &bytes);
  absl::Span<const uint8_t> in(bytes);
  absl::StatusOr<std::optional<FrameReader::Item>> item = reader.Next(&in);
  CHECK(GetHttp3ErrorCode(item.status()) == Http3ErrorCode::kExcessiveLoad);

  FrameReader data_reader(100);
  std::vector<uint8_t> data;
  AppendFrameHeader(kFrameData, 1000, &data);
  data.resize(data.size() + 1000, 0x55);
  ReadResult r;
  absl::Span<const uint8_t> din(data);
  size_t total = 0;
  while (true) {
    absl::StatusOr<std::optional<FrameReader::Item>> it = data_reader.Next(&din);
    REQUIRE(it.ok());
    if (!it->has_value()) break;
    total += (*it)->data.size();
  }
  CHECK(total == 1000);
  CHECK(data_reader.at_frame_boundary());
}

TEST_CASE("frame headers with non-minimal varints are accepted", "[http3][frames]") {
  // RFC 9000 §16 allows any encoding length; GOAWAY type 0x07 as a 2-byte varint, length 1 as
  // 4 bytes, id 8 as 8 bytes.
  std::vector<uint8_t> bytes = {0x40, 0x07, 0x80, 0x00, 0x00, 0x08,
                                0xc0, 0, 0, 0, 0, 0, 0, 0x08};
  ReadResult r = ReadAll(bytes, 1);
  REQUIRE(r.status.ok());
  REQUIRE(r.frames.size() == 1);
  CHECK(r.frames[0] == Frame(GoawayFrame{8}));
}

}  // namespace
}  // namespace kite::http3
