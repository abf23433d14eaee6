#include "allocator.hpp"

#include <cstdlib>

#ifdef STK_WITH_MIMALLOC
#include <mimalloc.h>
#endif

namespace stk::bridge {

const char* allocator_name() {
#ifdef STK_WITH_MIMALLOC
  // Linked is not enough: malloc must resolve to mimalloc's (it comes before libc in the link order).
  auto* probe = static_cast<char*>(std::malloc(16));
  if (!probe) return "libc";
  probe[0] = 0;  // written, so the compiler does not take the check for a read of uninitialized memory
  const bool ours = mi_is_in_heap_region(probe);
  std::free(probe);
  return ours ? "mimalloc" : "libc";
#else
  return "libc";
#endif
}

}  // namespace stk::bridge
