#include "quic/scheduler/stream_scheduler.h"

#include <algorithm>

namespace kite::quic {

StreamScheduler::StreamScheduler(size_t quantum) : quantum_(std::max<size_t>(quantum, 1)) {}

size_t StreamScheduler::LaneFor(Priority p) {
  return 1 + std::min(p.urgency, Priority::kMaxUrgency);
}

void StreamScheduler::Register(uint64_t id) {
  RegisterEntry(id, LaneFor(Priority{}), /*incremental=*/true);
}

void StreamScheduler::Register(uint64_t id, Priority priority) {
  RegisterEntry(id, LaneFor(priority), priority.incremental);
}

void StreamScheduler::RegisterControl(uint64_t id) {
  RegisterEntry(id, kControlLane, /*incremental=*/true);
}

void StreamScheduler::UpdatePriority(uint64_t id, Priority priority) {
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.lane == kControlLane) return;
  RegisterEntry(id, LaneFor(priority), priority.incremental);
}

void StreamScheduler::RegisterEntry(uint64_t id, size_t lane, bool incremental) {
  auto [it, inserted] = entries_.try_emplace(id);
  Entry& e = it->second;
  if (inserted) {
    e.id = id;
  } else if (e.lane == lane && e.incremental == incremental) {
    return;  // unchanged: keep its place
  }
  const bool was_ready = e.ready;
  if (was_ready) Unlink(&e);
  e.lane = lane;
  e.incremental = incremental;
  if (was_ready) Link(&e);
}

void StreamScheduler::Unregister(uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  if (it->second.ready) {
    Unlink(&it->second);
    --ready_count_;
  }
  entries_.erase(it);
}

void StreamScheduler::MarkReady(uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.ready) return;
  it->second.ready = true;
  ++ready_count_;
  Link(&it->second);
}

void StreamScheduler::MarkBlocked(uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end() || !it->second.ready) return;
  Unlink(&it->second);
  it->second.ready = false;
  --ready_count_;
}

bool StreamScheduler::IsReady(uint64_t id) const {
  auto it = entries_.find(id);
  return it != entries_.end() && it->second.ready;
}

void StreamScheduler::Link(Entry* e) {
  Lane& lane = lanes_[e->lane];
  e->written_in_turn = 0;
  if (!e->incremental) {
    lane.sequential.insert(e->id);
    return;
  }
  e->next = nullptr;
  e->prev = lane.tail;
  if (lane.tail != nullptr) {
    lane.tail->next = e;
  } else {
    lane.head = e;
  }
  lane.tail = e;
}

void StreamScheduler::Unlink(Entry* e) {
  Lane& lane = lanes_[e->lane];
  if (!e->incremental) {
    lane.sequential.erase(e->id);
    return;
  }
  if (e->prev != nullptr) {
    e->prev->next = e->next;
  } else {
    lane.head = e->next;
  }
  if (e->next != nullptr) {
    e->next->prev = e->prev;
  } else {
    lane.tail = e->prev;
  }
  e->prev = e->next = nullptr;
}

std::optional<uint64_t> StreamScheduler::Next() const {
  if (ready_count_ == 0) return std::nullopt;
  for (const Lane& lane : lanes_) {
    if (!lane.sequential.empty()) return *lane.sequential.begin();
    if (lane.head != nullptr) return lane.head->id;
  }
  return std::nullopt;
}

void StreamScheduler::OnBytesWritten(uint64_t id, size_t n) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  if (!e.ready || !e.incremental) return;
  e.written_in_turn += n;
  if (e.written_in_turn >= quantum_) {
    Unlink(&e);
    Link(&e);  // to the back, with a fresh turn
  }
}

}  // namespace kite::quic
