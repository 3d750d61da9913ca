// The few C++ runtime hooks gcc references from freestanding code: pure
// virtual calls, deleting destructors (objects are freed with kfree, never
// with delete), and static destructors (the LibOS never runs them).
#include <stddef.h>

#include "core/kmalloc.hpp"
#include "core/panic.hpp"

extern "C" {
void* __dso_handle = nullptr;
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }
void __cxa_pure_virtual() { libos::panic("pure virtual function called"); }
}

void operator delete(void* ptr) noexcept { libos::kfree(ptr); }
void operator delete(void* ptr, size_t) noexcept { libos::kfree(ptr); }
