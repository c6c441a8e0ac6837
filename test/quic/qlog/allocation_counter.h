// Counts calls of the replaceable global allocation functions in a binary that links
// :allocation_counter (test/buffers:counting_new does the same but is not visible here). Link
// the test statically so these replacements win over a sanitizer runtime's.
#ifndef KITE_TEST_QUIC_QLOG_ALLOCATION_COUNTER_H_
#define KITE_TEST_QUIC_QLOG_ALLOCATION_COUNTER_H_

#include <cstdint>

namespace kite::quic::qlog::test {

// operator new / new[] calls, every variant, so far in this process.
uint64_t AllocationCount();

}  // namespace kite::quic::qlog::test

#endif  // KITE_TEST_QUIC_QLOG_ALLOCATION_COUNTER_H_
