// Counts global operator new calls in a binary that links :new_counter, which replaces the
// replaceable allocation functions. The same technique as test/buffers/counting_new (whose
// target is not visible to this package); link statically so the sanitizer runtime's operator
// new does not win.
#ifndef KITE_TEST_QUIC_IO_NEW_COUNTER_H_
#define KITE_TEST_QUIC_IO_NEW_COUNTER_H_

#include <cstdint>

namespace kite::quic::io::testing {

// Every operator new / new[] call (all variants) so far in this process.
uint64_t NewCallCount();

}  // namespace kite::quic::io::testing

#endif  // KITE_TEST_QUIC_IO_NEW_COUNTER_H_
