// nghttp3's QPACK decoder (Debian libnghttp3-dev) as an independent oracle for kite's encoder:
// every QIF, encoded by kite at several settings, must decode in nghttp3 to the same header
// lists. With immediate acknowledgments nghttp3's decoder stream is fed back to kite's
// encoder live, so kite's handling of a foreign decoder's acknowledgments is exercised too.
#include <nghttp3/nghttp3.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "http3/qpack/encoder.h"
#include "test/http3/qpack/qifs_data.h"

namespace kite::http3::qpack {
namespace {

using testing::ListFiles;
using testing::LoadQif;
using testing::QifsDir;

// A thin owner of an nghttp3 QPACK decoder that decodes whole sections, keeping blocked ones
// until the encoder stream unblocks them.
class Nghttp3Decoder {
 public:
  Nghttp3Decoder(uint64_t table_size, uint64_t max_blocked) {
    mem_ = nghttp3_mem_default();
    ok_ = nghttp3_qpack_decoder_new(&decoder_, table_size, max_blocked, mem_) == 0;
  }
  ~Nghttp3Decoder() {
    for (auto& [id, p] : pending_) nghttp3_qpack_stream_context_del(p.ctx);
    if (decoder_ != nullptr) nghttp3_qpack_decoder_del(decoder_);
  }
  Nghttp3Decoder(const Nghttp3Decoder&) = delete;
  Nghttp3Decoder& operator=(const Nghttp3Decoder&) = delete;

  bool ok() const { return ok_; }
  const std::map<uint64_t, HeaderList>& done() const { return done_; }
  size_t blocked() const { return pending_.size(); }
  int blocked_sections() const { return blocked_sections_; }

  bool OnEncoderStream(const std::string& data) {
    if (data.empty()) return true;
    const nghttp3_ssize n = nghttp3_qpack_decoder_read_encoder(
        decoder_, reinterpret_cast<const uint8_t*>(data.data()), data.size());
    if (n != static_cast<nghttp3_ssize>(data.size())) return ok_ = false;
    // Retry blocked sections, in stream order.
    for (auto it = pending_.begin(); it != pending_.end();) {
      const int r = Feed(it->first, &it->second);
      if (r < 0) return ok_ = false;
      if (r == 1) {
        nghttp3_qpack_stream_context_del(it->second.ctx);
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    return true;
  }

  bool OnSection(uint64_t stream_id, const std::string& data) {
    Pending p{nullptr, data, {}};
    if (nghttp3_qpack_stream_context_new(&p.ctx, static_cast<int64_t>(stream_id), mem_) != 0) {
      return ok_ = false;
    }
    const int r = Feed(stream_id, &p);
    if (r < 0) {
      nghttp3_qpack_stream_context_del(p.ctx);
      return ok_ = false;
    }
    if (r == 1) {
      nghttp3_qpack_stream_context_del(p.ctx);
    } else {
      ++blocked_sections_;
      pending_.emplace(stream_id, std::move(p));
    }
    return true;
  }

  std::string TakeDecoderStream() {
    std::string out(nghttp3_qpack_decoder_get_decoder_streamlen(decoder_), '\0');
    if (out.empty()) return out;
    nghttp3_buf buf;
    buf.begin = buf.pos = buf.last = reinterpret_cast<uint8_t*>(&out[0]);
    buf.end = buf.begin + out.size();
    nghttp3_qpack_decoder_write_decoder(decoder_, &buf);
    out.resize(static_cast<size_t>(buf.last - buf.pos));
    return out;
  }

 private:
  struct Pending {
    nghttp3_qpack_stream_context* ctx;
    std::string rest;  // bytes not consumed yet
    HeaderList headers;
  };

  // 1: finished, 0: blocked, -1: error.
  int Feed(uint64_t stream_id, Pending* p) {
    while (true) {
      nghttp3_qpack_nv nv;
      uint8_t flags = 0;
      const nghttp3_ssize n = nghttp3_qpack_decoder_read_request(
          decoder_, p->ctx, &nv, &flags, reinterpret_cast<const uint8_t*>(p->rest.data()),
          p->rest.size(), /*fin=*/1);
      if (n < 0) return -1;
      p->rest.erase(0, static_cast<size_t>(n));
      if (flags & NGHTTP3_QPACK_DECODE_FLAG_EMIT) {
        const nghttp3_vec name = nghttp3_rcbuf_get_buf(nv.name);
        const nghttp3_vec value = nghttp3_rcbuf_get_buf(nv.value);
        p->headers.push_back(
            HeaderField{std::string(reinterpret_cast<const char*>(name.base), name.len),
                        std::string(reinterpret_cast<const char*>(value.base), value.len)});
        nghttp3_rcbuf_decref(nv.name);
        nghttp3_rcbuf_decref(nv.value);
      }
      if (flags & NGHTTP3_QPACK_DECODE_FLAG_FINAL) {
        done_[stream_id] = std::move(p->headers);
        return 1;
      }
      if (flags & NGHTTP3_QPACK_DECODE_FLAG_BLOCKED) return 0;
      if (n == 0 && !(flags & NGHTTP3_QPACK_DECODE_FLAG_EMIT)) return -1;  // no progress
    }
  }

  const nghttp3_mem* mem_ = nullptr;
  nghttp3_qpack_decoder* decoder_ = nullptr;
  bool ok_ = false;
  std::map<uint64_t, Pending> pending_;
  std::map<uint64_t, HeaderList> done_;
  int blocked_sections_ = 0;
};

// Every QIF encoded by kite at one table size (four blocked/ack combinations), decoded by
// nghttp3.
void CheckTableSize(uint64_t table) {
  std::vector<std::string> names;
  for (const std::string& f : ListFiles(QifsDir() + "/qifs")) {
    if (f.size() > 4 && f.substr(f.size() - 4) == ".qif")
      names.push_back(f.substr(0, f.size() - 4));
  }
  REQUIRE(names.size() == 7);
  int runs = 0, matched = 0, sections_total = 0;
  {
    for (uint64_t blocked : {0, 100}) {
      for (bool ack : {false, true}) {
        int setting_sections = 0;
        int setting_blocked = 0;
        bool setting_ok = true;
        for (const std::string& name : names) {
          INFO(name << " table " << table << " blocked " << blocked << " ack " << ack);
          const std::vector<HeaderList>& lists = LoadQif(name);
          REQUIRE(!lists.empty());
          EncoderConfig config;
          config.max_table_capacity = table;
          Encoder encoder(config);
          encoder.OnPeerSettings(table, blocked);
          Nghttp3Decoder oracle(table, blocked);
          REQUIRE(oracle.ok());
          for (size_t i = 0; i < lists.size(); ++i) {
            const uint64_t stream_id = 4 * i;  // client-initiated bidirectional streams
            const std::string section = encoder.EncodeFieldSection(stream_id, lists[i]);
            // The section first, so a section that references fresh inserts really blocks.
            REQUIRE(oracle.OnSection(stream_id, section));
            REQUIRE(oracle.OnEncoderStream(encoder.TakeEncoderStreamData()));
            REQUIRE(oracle.blocked() == 0);
            if (ack) REQUIRE(encoder.OnDecoderStreamData(oracle.TakeDecoderStream()).ok());
          }
          ++runs;
          REQUIRE(oracle.done().size() == lists.size());
          bool same = true;
          for (size_t i = 0; i < lists.size(); ++i) {
            auto it = oracle.done().find(4 * i);
            same = same && it != oracle.done().end() && it->second == lists[i];
          }
          CHECK(same);
          matched += same;
          setting_ok = setting_ok && same;
          setting_sections += static_cast<int>(lists.size());
          setting_blocked += oracle.blocked_sections();
          // The encoder may block only when allowed to.
          if (blocked == 0) CHECK(oracle.blocked_sections() == 0);
          if (ack && table > 0) {
            // nghttp3 acknowledged what it decoded, so the encoder must have learnt of inserts.
            CHECK(encoder.known_received_count() > 0);
          }
        }
        sections_total += setting_sections;
        std::printf(
            "nghttp3 oracle: table %-5llu blocked %-3llu ack %d: %d sections (%d blocked at "
            "first), %s\n",
            static_cast<unsigned long long>(table), static_cast<unsigned long long>(blocked),
            ack ? 1 : 0, setting_sections, setting_blocked, setting_ok ? "all match" : "MISMATCH");
      }
    }
  }
  std::printf("nghttp3 oracle: %d of %d encodings matched (%d sections)\n", matched, runs,
              sections_total);
  std::fflush(stdout);
  CHECK(matched == runs);
}

TEST_CASE("nghttp3 decodes kite's static-only encoding", "[table0]") { CheckTableSize(0); }
TEST_CASE("nghttp3 decodes kite's encoding with a 256-byte table", "[table256]") {
  CheckTableSize(256);
}
TEST_CASE("nghttp3 decodes kite's encoding with a 4096-byte table", "[table4096]") {
  CheckTableSize(4096);
}

}  // namespace
}  // namespace kite::http3::qpack
