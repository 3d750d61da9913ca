// One value of a table the test compares: a constant's value or a structure's size.
#pragma once

namespace uapi_test {

struct Named {
  const char* name;
  long long value;
};

// The same lists (names.inc, sizes.inc, asm.inc) evaluated twice: against libos/uapi and against
// the system headers. Their macros clash (uapi::PROT_READ would expand to uapi::0x1), so
// each side is its own translation unit.
extern const Named kLibosValues[];
extern const Named kLinuxValues[];
extern const int kValueCount;
extern const Named kLibosAsm[];
extern const Named kLinuxAsm[];
extern const int kAsmCount;

}  // namespace uapi_test
