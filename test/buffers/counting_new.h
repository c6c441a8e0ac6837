// Counts global operator new / operator delete calls in a binary that links :counting_new (which
// replaces them). Tests and benches read the counters around a loop to prove it never allocates.
#ifndef KITE_TEST_BUFFERS_COUNTING_NEW_H_
#define KITE_TEST_BUFFERS_COUNTING_NEW_H_

#include <cstdint>

namespace kite::testing {

// Every operator new / new[] variant (plain, nothrow, aligned) called so far in this process.
uint64_t HeapAllocationCount();
// Every operator delete / delete[] variant called so far with a non-null pointer.
uint64_t HeapDeallocationCount();

}  // namespace kite::testing

#endif  // KITE_TEST_BUFFERS_COUNTING_NEW_H_
