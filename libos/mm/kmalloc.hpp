// The LibOS's own heap (thread structs, kernel stacks, file nodes, /tmp data).
// Separate from the program's brk/mmap memory.
#pragma once

#include <stddef.h>

namespace libos {

void* kmalloc(size_t size);   // nullptr when out of memory; 16-byte aligned
void* kzalloc(size_t size);   // zeroed
void* krealloc(void* ptr, size_t size);
void kfree(void* ptr);

}  // namespace libos
