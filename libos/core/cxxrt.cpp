// The few C++ runtime hooks gcc references from freestanding code: pure
// virtual calls and static destructors (the LibOS never runs them). The
// operator delete that deleting destructors reference is the heap's
// (mm/kmalloc.cpp).
#include <stddef.h>

#include "core/panic.hpp"

extern "C" {
void* __dso_handle = nullptr;
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }
void __cxa_pure_virtual() { libos::panic("pure virtual function called"); }
}
