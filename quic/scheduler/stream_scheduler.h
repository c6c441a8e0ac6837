// Which ready stream fills the next packet. A control lane (HTTP/3 control and QPACK streams)
// always wins; then RFC 9218 urgency 0 (highest) to 7. Within one urgency, non-incremental
// streams go first, one at a time in stream id order, each keeping the head until it is drained
// or blocked (RFC 9218 §4.2: their data is only useful whole); then incremental streams share
// the rest round robin, rotating after every `quantum` bytes written.
//
// Streams registered without a priority are treated as incremental at the default urgency 3,
// so a transport without priority signals gets plain round robin with equal treatment (RFC 9218
// itself defaults to non-incremental; HTTP/3 passes its priorities explicitly).
//
// Costs: Next() O(1) (nine lanes), MarkReady/MarkBlocked/Unregister O(log n) for
// non-incremental streams and O(1) for incremental ones (intrusive round-robin lists); no
// allocation per call beyond occasional b-tree node growth.
#ifndef KITE_QUIC_SCHEDULER_STREAM_SCHEDULER_H_
#define KITE_QUIC_SCHEDULER_STREAM_SCHEDULER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/container/btree_set.h"
#include "absl/container/node_hash_map.h"

namespace kite::quic {

// RFC 9218 §4.
struct Priority {
  static constexpr uint8_t kMaxUrgency = 7;
  static constexpr uint8_t kDefaultUrgency = 3;
  uint8_t urgency = kDefaultUrgency;  // 0..7, lower is more urgent; larger values clamp to 7
  bool incremental = false;

  bool operator==(const Priority& o) const {
    return urgency == o.urgency && incremental == o.incremental;
  }
};

class StreamScheduler {
 public:
  // One packet's worth of stream data by default.
  static constexpr size_t kDefaultQuantum = 1200;

  explicit StreamScheduler(size_t quantum = kDefaultQuantum);
  StreamScheduler(const StreamScheduler&) = delete;
  StreamScheduler& operator=(const StreamScheduler&) = delete;

  // Registering an already registered stream updates its priority.
  void Register(uint64_t id);  // no priority signal: round robin (see above)
  void Register(uint64_t id, Priority priority);
  // A stream on the control lane, served before every urgency (round robin among them).
  void RegisterControl(uint64_t id);
  void UpdatePriority(uint64_t id, Priority priority);
  void Unregister(uint64_t id);

  // The stream has data and flow control credit. Unknown ids are ignored.
  void MarkReady(uint64_t id);
  // The stream has nothing it may send now.
  void MarkBlocked(uint64_t id);
  void MarkUnready(uint64_t id) { MarkBlocked(id); }

  // The stream to serve next, if any is ready. Does not change state: write, then report
  // OnBytesWritten (and MarkBlocked if the stream has nothing left).
  std::optional<uint64_t> Next() const;
  // Incremental and control streams rotate to the back of their lane once they have written
  // a quantum since reaching the front.
  void OnBytesWritten(uint64_t id, size_t n);

  bool IsRegistered(uint64_t id) const { return entries_.contains(id); }
  bool IsReady(uint64_t id) const;
  bool HasReady() const { return ready_count_ > 0; }
  size_t ready_count() const { return ready_count_; }
  size_t size() const { return entries_.size(); }
  size_t quantum() const { return quantum_; }

 private:
  static constexpr size_t kControlLane = 0;
  static constexpr size_t kLanes = 1 + Priority::kMaxUrgency + 1;

  struct Entry {
    uint64_t id = 0;
    size_t lane = 0;
    bool incremental = false;  // rotates (always true on the control lane)
    bool ready = false;
    size_t written_in_turn = 0;
    Entry* prev = nullptr;  // round-robin list links while ready and incremental
    Entry* next = nullptr;
  };
  struct Lane {
    absl::btree_set<uint64_t> sequential;  // ready non-incremental streams, by id
    Entry* head = nullptr;                 // ready incremental streams, round robin
    Entry* tail = nullptr;
  };

  void RegisterEntry(uint64_t id, size_t lane, bool incremental);
  void Link(Entry* e);    // to the back of its lane
  void Unlink(Entry* e);  // from wherever it is queued
  static size_t LaneFor(Priority p);

  const size_t quantum_;
  absl::node_hash_map<uint64_t, Entry> entries_;  // node map: Entry addresses are stable
  std::array<Lane, kLanes> lanes_;
  size_t ready_count_ = 0;
};

}  // namespace kite::quic

#endif  // KITE_QUIC_SCHEDULER_STREAM_SCHEDULER_H_
