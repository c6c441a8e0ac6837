// Which end of a connection we are.
#ifndef KITE_QUIC_STREAMS_PERSPECTIVE_H_
#define KITE_QUIC_STREAMS_PERSPECTIVE_H_

namespace kite::quic {

enum class Perspective { kClient, kServer };

constexpr Perspective OtherPerspective(Perspective p) {
  return p == Perspective::kClient ? Perspective::kServer : Perspective::kClient;
}

}  // namespace kite::quic

#endif  // KITE_QUIC_STREAMS_PERSPECTIVE_H_
