#include "quic/io/udp_socket.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "quic/io/sockaddr.h"

namespace kite::quic::io {
namespace {

absl::Status ErrnoStatus(const char* what, int err) {
  return absl::Status(absl::StatusCode::kUnavailable,
                      absl::StrCat(what, ": ", std::string(std::strerror(err))));
}

bool SetIntOption(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof(value)) == 0;
}

// Appends one control message to `msg` (whose msg_controllen counts the bytes used so far).
template <typename T>
void AppendControl(msghdr* msg, int level, int type, const T& value) {
  auto* cmsg = reinterpret_cast<cmsghdr*>(static_cast<uint8_t*>(msg->msg_control) +
                                          msg->msg_controllen);
  cmsg->cmsg_level = level;
  cmsg->cmsg_type = type;
  cmsg->cmsg_len = CMSG_LEN(sizeof(T));
  std::memcpy(CMSG_DATA(cmsg), &value, sizeof(T));
  msg->msg_controllen += CMSG_SPACE(sizeof(T));
}

}  // namespace

// --- RecvBatch ---

RecvBatch::RecvBatch(buffers::PacketPool* pool, size_t max_messages)
    : pool_(pool),
      slots_(std::clamp<size_t>(max_messages, 1, kMaxBatchMessages)),
      headers_(slots_.size()),
      iovecs_(slots_.size()),
      names_(slots_.size()),
      controls_(slots_.size()) {}

size_t RecvBatch::datagram_count() const {
  size_t n = 0;
  for (size_t i = 0; i < count_; ++i) {
    const Message& m = slots_[i];
    if (m.truncated) continue;
    size_t len = m.buffer.size();
    n += (m.segment_size == 0 || m.segment_size >= len) ? 1
                                                         : (len + m.segment_size - 1) / m.segment_size;
  }
  return n;
}

void RecvBatch::ForEachDatagram(absl::FunctionRef<void(const ReceivedDatagram&)> fn) const {
  for (size_t i = 0; i < count_; ++i) {
    const Message& m = slots_[i];
    if (m.truncated || !m.buffer.valid()) continue;
    absl::Span<const uint8_t> all = m.buffer.span();
    size_t step = (m.segment_size == 0 || m.segment_size >= all.size()) ? all.size() : m.segment_size;
    size_t offset = 0;
    do {
      ReceivedDatagram d;
      d.path = m.path;
      d.ecn = m.ecn;
      d.data = all.subspan(offset, std::min(step, all.size() - offset));
      fn(d);
      offset += step;
    } while (offset < all.size());
  }
}

// --- UdpSocket ---

UdpSocket::UdpSocket(int fd, bool ipv6, const SocketAddress& local)
    : fd_(fd), ipv6_(ipv6), wildcard_(IsWildcard(local)), local_(local) {}

UdpSocket::~UdpSocket() {
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<std::unique_ptr<UdpSocket>> UdpSocket::Bind(const SocketAddress& local,
                                                           const UdpSocketOptions& options) {
  const int family = local.ipv6 ? AF_INET6 : AF_INET;
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) return ErrnoStatus("socket", errno);
  std::unique_ptr<UdpSocket> s(new UdpSocket(fd, local.ipv6, local));

  const bool dual_stack = local.ipv6 && !options.ipv6_only;
  if (local.ipv6 && !SetIntOption(fd, IPPROTO_IPV6, IPV6_V6ONLY, options.ipv6_only ? 1 : 0)) {
    return ErrnoStatus("IPV6_V6ONLY", errno);
  }
  if (options.reuse_port && !SetIntOption(fd, SOL_SOCKET, SO_REUSEPORT, 1)) {
    return ErrnoStatus("SO_REUSEPORT", errno);
  }
  if (options.receive_buffer_bytes > 0 &&
      !SetIntOption(fd, SOL_SOCKET, SO_RCVBUF, options.receive_buffer_bytes)) {
    return ErrnoStatus("SO_RCVBUF", errno);
  }
  if (options.send_buffer_bytes > 0 &&
      !SetIntOption(fd, SOL_SOCKET, SO_SNDBUF, options.send_buffer_bytes)) {
    return ErrnoStatus("SO_SNDBUF", errno);
  }
  // RFC 9000 §14: QUIC datagrams must not be fragmented, so set DF. PROBE (rather than DO) keeps
  // the kernel's cached path MTU out of the way: kite runs its own path MTU discovery.
  if (!local.ipv6 || dual_stack) {
    if (!SetIntOption(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_PROBE)) {
      return ErrnoStatus("IP_MTU_DISCOVER", errno);
    }
    // The local address of each datagram, for servers bound to a wildcard.
    if (!SetIntOption(fd, IPPROTO_IP, IP_PKTINFO, 1)) return ErrnoStatus("IP_PKTINFO", errno);
  }
  if (local.ipv6) {
    if (!SetIntOption(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_PROBE)) {
      return ErrnoStatus("IPV6_MTU_DISCOVER", errno);
    }
    if (!SetIntOption(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)) {
      return ErrnoStatus("IPV6_RECVPKTINFO", errno);
    }
  }
  if (options.receive_ecn) {
    // RFC 9000 §13.4.1: an endpoint reports the ECN codepoints of the packets it receives.
    bool ok = true;
    if (!local.ipv6 || dual_stack) ok = SetIntOption(fd, IPPROTO_IP, IP_RECVTOS, 1) && ok;
    if (local.ipv6) ok = SetIntOption(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1) && ok;
    s->ecn_receive_ = ok;
  }

  sockaddr_storage addr;
  socklen_t len = ToSockaddr(local, local.ipv6, &addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) return ErrnoStatus("bind", errno);
  len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return ErrnoStatus("getsockname", errno);
  }
  std::optional<SocketAddress> bound = FromSockaddr(reinterpret_cast<sockaddr*>(&addr), len);
  if (!bound.has_value()) return absl::InternalError("getsockname: unexpected family");
  // Keep the family we asked for (a dual-stack wildcard stays IPv6).
  bound->ipv6 = local.ipv6;
  s->local_ = *bound;

  // Run-time detection: a kernel without UDP GSO/GRO rejects the socket options (ENOPROTOOPT).
  // Setting the socket-wide segment size to 0 changes nothing; the size goes per send.
  if (options.gso) s->gso_ = SetIntOption(fd, SOL_UDP, UDP_SEGMENT, 0);
  if (options.gro) s->gro_ = SetIntOption(fd, SOL_UDP, UDP_GRO, 1);
  return s;
}

absl::Status UdpSocket::Connect(const SocketAddress& remote) {
  sockaddr_storage addr;
  socklen_t len = ToSockaddr(remote, ipv6_, &addr);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    return ErrnoStatus("connect", errno);
  }
  return absl::OkStatus();
}

void UdpSocket::DisableGro() {
  if (gro_) SetIntOption(fd_, SOL_UDP, UDP_GRO, 0);
  gro_ = false;
}

absl::StatusOr<size_t> UdpSocket::Receive(RecvBatch& batch) {
  if (gro_ && batch.buffer_size() < kGroBufferSize) DisableGro();
  batch.count_ = 0;
  // Refill slots whose buffer was taken; stop at the first the pool cannot fill, since
  // recvmmsg wants a contiguous array.
  size_t ready = 0;
  for (; ready < batch.slots_.size(); ++ready) {
    RecvBatch::Message& m = batch.slots_[ready];
    if (!m.buffer.valid()) {
      std::optional<buffers::PacketBuffer> b = batch.pool_->Acquire();
      if (!b.has_value()) break;
      m.buffer = std::move(*b);
    }
    batch.iovecs_[ready] = iovec{m.buffer.data(), m.buffer.capacity()};
    msghdr& h = batch.headers_[ready].msg_hdr;
    h.msg_name = &batch.names_[ready];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_iov = &batch.iovecs_[ready];
    h.msg_iovlen = 1;
    h.msg_control = batch.controls_[ready].data();
    h.msg_controllen = kControlBytes;
    h.msg_flags = 0;
    batch.headers_[ready].msg_len = 0;
  }
  if (ready == 0) return absl::ResourceExhaustedError("packet pool exhausted");

  int n;
  do {
    n = recvmmsg(fd_, batch.headers_.data(), static_cast<unsigned>(ready), MSG_DONTWAIT, nullptr);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return ErrnoStatus("recvmmsg", errno);
  }

  for (int i = 0; i < n; ++i) {
    RecvBatch::Message& m = batch.slots_[i];
    const msghdr& h = batch.headers_[i].msg_hdr;
    // msg_len never exceeds the iovec, so set_size cannot fail.
    (void)m.buffer.set_size(std::min<size_t>(batch.headers_[i].msg_len, m.buffer.capacity()));
    m.truncated = (h.msg_flags & MSG_TRUNC) != 0;
    m.segment_size = 0;
    m.ecn = EcnCodepoint::kNotEct;
    m.path.local = local_;
    std::optional<SocketAddress> from =
        FromSockaddr(static_cast<const sockaddr*>(h.msg_name), h.msg_namelen);
    m.path.remote = from.value_or(SocketAddress{});
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr;
         c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
      const uint8_t* data = CMSG_DATA(c);
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS && c->cmsg_len >= CMSG_LEN(1)) {
        m.ecn = static_cast<EcnCodepoint>(data[0] & kEcnMask);
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS &&
                 c->cmsg_len >= CMSG_LEN(sizeof(int))) {
        int tclass;
        std::memcpy(&tclass, data, sizeof(tclass));
        m.ecn = static_cast<EcnCodepoint>(tclass & kEcnMask);
      } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
                 c->cmsg_len >= CMSG_LEN(sizeof(in_pktinfo))) {
        in_pktinfo info;
        std::memcpy(&info, data, sizeof(info));
        m.path.local = SocketAddress{};
        std::memcpy(m.path.local.ip.data(), &info.ipi_addr, 4);
        m.path.local.port = local_.port;
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
                 c->cmsg_len >= CMSG_LEN(sizeof(in6_pktinfo))) {
        in6_pktinfo info;
        std::memcpy(&info, data, sizeof(info));
        sockaddr_in6 sin6{};
        sin6.sin6_family = AF_INET6;
        sin6.sin6_addr = info.ipi6_addr;
        sin6.sin6_port = htons(local_.port);
        std::optional<SocketAddress> local =
            FromSockaddr(reinterpret_cast<const sockaddr*>(&sin6), sizeof(sin6));
        if (local.has_value()) m.path.local = *local;
      } else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
                 c->cmsg_len >= CMSG_LEN(sizeof(int))) {
        int segment;
        std::memcpy(&segment, data, sizeof(segment));
        if (segment > 0) m.segment_size = static_cast<size_t>(segment);
      }
    }
  }
  batch.count_ = static_cast<size_t>(n);
  return batch.count_;
}

void UdpSocket::PrepareSend(size_t slot, const OutgoingDatagram& entry,
                            absl::Span<const uint8_t> bytes, uint16_t gso_segment) {
  send_iovecs_[slot] = iovec{const_cast<uint8_t*>(bytes.data()), bytes.size()};
  msghdr& h = send_headers_[slot].msg_hdr;
  h.msg_name = &send_names_[slot];
  h.msg_namelen = ToSockaddr(entry.path.remote, ipv6_, &send_names_[slot]);
  h.msg_iov = &send_iovecs_[slot];
  h.msg_iovlen = 1;
  h.msg_control = send_controls_[slot].data();
  h.msg_controllen = 0;
  h.msg_flags = 0;
  send_headers_[slot].msg_len = 0;

  const bool v4_packet = !ipv6_ || !entry.path.remote.ipv6;
  // RFC 9000 §13.4.2: the ECN codepoint of every datagram we send.
  const int tos = static_cast<int>(entry.ecn) & kEcnMask;
  if (v4_packet) {
    AppendControl(&h, IPPROTO_IP, IP_TOS, tos);
  } else {
    AppendControl(&h, IPPROTO_IPV6, IPV6_TCLASS, tos);
  }
  // A wildcard-bound server answers from the address the client wrote to (RFC 9000 §9: the
  // peer validates the path by its addresses).
  if (wildcard_ && !IsWildcard(entry.path.local) && entry.path.local.ipv6 == !v4_packet) {
    if (v4_packet && !ipv6_) {
      in_pktinfo info{};
      std::memcpy(&info.ipi_spec_dst, entry.path.local.ip.data(), 4);
      AppendControl(&h, IPPROTO_IP, IP_PKTINFO, info);
    } else if (!v4_packet) {
      in6_pktinfo info{};
      std::memcpy(&info.ipi6_addr, entry.path.local.ip.data(), 16);
      AppendControl(&h, IPPROTO_IPV6, IPV6_PKTINFO, info);
    }
  }
  if (gso_segment > 0) AppendControl(&h, SOL_UDP, UDP_SEGMENT, gso_segment);
  if (h.msg_controllen == 0) h.msg_control = nullptr;
}

int UdpSocket::SendSlots(size_t count, bool* would_block) {
  *would_block = false;
  int n;
  do {
    n = sendmmsg(fd_, send_headers_.data(), static_cast<unsigned>(count), MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n >= 0) return n;
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    *would_block = true;
    return 0;
  }
  return -errno;
}

absl::StatusOr<SendResult> UdpSocket::Send(absl::Span<const OutgoingDatagram> entries) {
  for (const OutgoingDatagram& e : entries) {
    if (e.segment_count() > 1 &&
        (e.segment_count() > kMaxGsoSegments || e.data.size() > kMaxGsoBytes)) {
      return absl::InvalidArgumentError("GSO train too long");
    }
  }
  SendResult result;
  size_t entry = 0;    // next entry to send
  size_t segment = 0;  // next segment of that entry (fallback path)
  // Which entry each slot carries and how many datagrams.
  std::array<uint32_t, kMaxBatchMessages> slot_entry;
  std::array<uint32_t, kMaxBatchMessages> slot_datagrams;

  while (entry < entries.size()) {
    const bool gso = gso_;
    size_t slots = 0;
    if (gso) {
      for (size_t e = entry; e < entries.size() && slots < kMaxBatchMessages; ++e) {
        const OutgoingDatagram& d = entries[e];
        size_t count = d.segment_count();
        // `segment` is always 0 here: only the fallback stops mid-entry, and GSO never comes back.
        PrepareSend(slots, d, d.data,
                    count > 1 ? static_cast<uint16_t>(d.segment_size) : uint16_t{0});
        slot_entry[slots] = static_cast<uint32_t>(e);
        slot_datagrams[slots] = static_cast<uint32_t>(count);
        ++slots;
      }
    } else {
      size_t e = entry;
      size_t s = segment;
      while (e < entries.size() && slots < kMaxBatchMessages) {
        const OutgoingDatagram& d = entries[e];
        size_t count = d.segment_count();
        size_t step = count > 1 ? d.segment_size : d.data.size();
        size_t offset = s * step;
        PrepareSend(slots, d, d.data.subspan(offset, std::min(step, d.data.size() - offset)), 0);
        slot_entry[slots] = static_cast<uint32_t>(e);
        slot_datagrams[slots] = 1;
        ++slots;
        if (++s == count) {
          ++e;
          s = 0;
        }
      }
    }

    bool would_block = false;
    int sent = SendSlots(slots, &would_block);
    if (would_block) {
      result.would_block = true;
      break;
    }
    if (sent < 0) {
      int err = -sent;
      if (err == EIO && gso && slot_datagrams[0] > 1) {
        // The route cannot checksum-offload GSO trains; send them one by one from now on.
        gso_ = false;
        continue;
      }
      // A hard error on the first message (unreachable, too big, refused): UDP gives no
      // delivery promise, so drop it and carry on with the rest.
      result.last_error = ErrnoStatus("sendmmsg", err);
      result.dropped += slot_datagrams[0];
      sent = 1;
    } else {
      for (int i = 0; i < sent; ++i) result.datagrams_sent += slot_datagrams[i];
    }
    // Advance past `sent` slots.
    if (gso) {
      entry = slot_entry[sent - 1] + 1;
    } else {
      for (int i = 0; i < sent; ++i) {
        if (++segment == entries[entry].segment_count()) {
          ++entry;
          segment = 0;
        }
      }
    }
  }
  result.entries_done = entry;
  result.partial_segments = segment;
  return result;
}

}  // namespace kite::quic::io
