// Fatal LibOS errors: end the instance with a report (see HcReport).
#pragma once

namespace libos {

[[noreturn]] void panic(const char* message);
#define LIBOS_ASSERT(cond)                                                        \
  do {                                                                            \
    if (!(cond)) ::libos::panic("assertion failed: " #cond " at " __FILE__);      \
  } while (0)

// Print to the instance's stderr (console_write hypercall), for diagnostics.
void kprint(const char* message);
void kprint_u64(unsigned long long value);

}  // namespace libos
