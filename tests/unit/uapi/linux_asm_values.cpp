// The values of the kernel's own signal-frame headers (asm/signal.h first: asm/ucontext.h
// uses its stack_t and sigset_t).
#include <asm/signal.h>
#include <asm/sigcontext.h>
#include <asm/ucontext.h>

#include "named.hpp"

namespace uapi_test {

#define X(n) {#n, (long long)(n)},
#define S(ours, theirs) {#ours, (long long)sizeof(theirs)},
const Named kLinuxAsm[] = {
#include "asm.inc"
};
const int kAsmCount = sizeof(kLinuxAsm) / sizeof(kLinuxAsm[0]);

}  // namespace uapi_test
