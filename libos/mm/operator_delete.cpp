// The operator delete that gcc's deleting destructors reference. Objects are
// freed with kfree, never with delete, so this only has to agree with kfree.
// (A file of its own so that kfree is called, not inlined twice more.)
#include <stddef.h>

#include "mm/kmalloc.hpp"

void operator delete(void* ptr) noexcept { libos::kfree(ptr); }
void operator delete(void* ptr, size_t) noexcept { libos::kfree(ptr); }
