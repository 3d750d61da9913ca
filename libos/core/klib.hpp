// Freestanding basics the compiler and the LibOS need (no host libc).
#pragma once

#include <stddef.h>
#include <stdint.h>

extern "C" {
void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);
size_t strlen(const char* s);
}

namespace libos {
int kstrcmp(const char* a, const char* b);
int kstrncmp(const char* a, const char* b, size_t n);
}  // namespace libos
