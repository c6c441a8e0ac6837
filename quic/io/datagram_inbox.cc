#include "quic/io/datagram_inbox.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

namespace kite::quic::io {

absl::StatusOr<std::unique_ptr<DatagramInbox>> DatagramInbox::Create(size_t capacity) {
  if (capacity == 0) return absl::InvalidArgumentError("inbox capacity must be at least 1");
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("eventfd: ", std::string(std::strerror(errno))));
  }
  return std::unique_ptr<DatagramInbox>(new DatagramInbox(capacity, fd));
}

DatagramInbox::DatagramInbox(size_t capacity, int event_fd)
    : event_fd_(event_fd), ring_(capacity), scratch_(capacity) {}

DatagramInbox::~DatagramInbox() { close(event_fd_); }

bool DatagramInbox::Push(const ReceivedDatagram& d) {
  bool was_empty;
  {
    absl::MutexLock lock(&mutex_);
    if (d.data.size() > kMaxForwardedDatagramSize || count_ == ring_.size()) {
      ++dropped_;
      return false;
    }
    Slot& s = ring_[(head_ + count_) % ring_.size()];
    s.path = d.path;
    s.ecn = d.ecn;
    s.length = static_cast<uint16_t>(d.data.size());
    if (!d.data.empty()) std::memcpy(s.bytes.data(), d.data.data(), d.data.size());
    was_empty = count_ == 0;
    ++count_;
  }
  // One wakeup per batch: the consumer drains everything once woken.
  if (was_empty) {
    uint64_t one = 1;
    ssize_t n = write(event_fd_, &one, sizeof(one));
    (void)n;
  }
  return true;
}

size_t DatagramInbox::Drain(absl::FunctionRef<void(const ReceivedDatagram&)> fn) {
  uint64_t value;
  ssize_t r = read(event_fd_, &value, sizeof(value));
  (void)r;
  size_t taken;
  {
    absl::MutexLock lock(&mutex_);
    taken = count_;
    for (size_t i = 0; i < taken; ++i) {
      const Slot& from = ring_[(head_ + i) % ring_.size()];
      Slot& to = scratch_[i];
      to.path = from.path;
      to.ecn = from.ecn;
      to.length = from.length;
      std::memcpy(to.bytes.data(), from.bytes.data(), from.length);
    }
    head_ = (head_ + taken) % ring_.size();
    count_ = 0;
  }
  for (size_t i = 0; i < taken; ++i) {
    ReceivedDatagram d;
    d.path = scratch_[i].path;
    d.ecn = scratch_[i].ecn;
    d.data = absl::MakeConstSpan(scratch_[i].bytes.data(), scratch_[i].length);
    fn(d);
  }
  return taken;
}

uint64_t DatagramInbox::dropped() const {
  absl::MutexLock lock(&mutex_);
  return dropped_;
}

}  // namespace kite::quic::io
