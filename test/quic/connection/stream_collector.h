// Test helper: reads every stream a connection reports readable and keeps the bytes, the FIN and
// any reset, per stream; plus a deterministic byte pattern for payloads.
#ifndef KITE_TEST_QUIC_CONNECTION_STREAM_COLLECTOR_H_
#define KITE_TEST_QUIC_CONNECTION_STREAM_COLLECTOR_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "quic/connection/connection.h"

namespace kite::quic::test {

// xorshift bytes: a payload that differs per seed and catches misordered or shifted data.
inline std::vector<uint8_t> Pattern(size_t n, uint64_t seed) {
  std::vector<uint8_t> v(n);
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    v[i] = static_cast<uint8_t>(x);
  }
  return v;
}

class StreamCollector {
 public:
  struct Received {
    std::vector<uint8_t> bytes;
    bool fin = false;
    std::optional<uint64_t> reset_code;
    std::optional<uint64_t> stop_sending_code;
  };

  void OnEvent(Connection& c, const ConnectionEvent& ev) {
    switch (ev.type) {
      case ConnectionEvent::Type::kStreamOpened:
        streams_[ev.stream_id];
        Drain(c, ev.stream_id);
        break;
      case ConnectionEvent::Type::kStreamReadable:
        Drain(c, ev.stream_id);
        break;
      case ConnectionEvent::Type::kStreamReset:
        streams_[ev.stream_id].reset_code = ev.error_code;
        break;
      case ConnectionEvent::Type::kStopSending:
        streams_[ev.stream_id].stop_sending_code = ev.error_code;
        break;
      default:
        break;
    }
  }

  const std::map<uint64_t, Received>& streams() const { return streams_; }
  size_t finished() const {
    size_t n = 0;
    for (const auto& [id, r] : streams_) n += r.fin ? 1 : 0;
    return n;
  }
  const Received* Get(uint64_t id) const {
    auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : &it->second;
  }

 private:
  void Drain(Connection& c, uint64_t id) {
    uint8_t buf[8192];
    Received& r = streams_[id];
    while (true) {
      bool fin = false;
      absl::StatusOr<size_t> n = c.ReadStream(id, buf, sizeof(buf), &fin);
      if (!n.ok()) return;
      r.bytes.insert(r.bytes.end(), buf, buf + *n);
      if (fin) r.fin = true;
      if (*n == 0) return;
    }
  }

  std::map<uint64_t, Received> streams_;
};

}  // namespace kite::quic::test

#endif  // KITE_TEST_QUIC_CONNECTION_STREAM_COLLECTOR_H_
