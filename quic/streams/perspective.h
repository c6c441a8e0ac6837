// Which end of a connection we are.
#ifndef KITE_QUIC_STREAMS_PERSPECTIVE_H_
#define KITE_QUIC_STREAMS_PERSPECTIVE_H_

// Perspective and OtherPerspective live in the codec, the lowest layer that needs them.
#include "quic/codec/perspective.h"


#endif  // KITE_QUIC_STREAMS_PERSPECTIVE_H_
